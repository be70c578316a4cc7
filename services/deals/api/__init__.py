"""HTTP routers of the deals service."""

from services.deals.api import board, companies, contacts, deals, imports, pipelines, search

ROUTERS = [
    companies.router,
    contacts.router,
    search.router,  # before the deals' `/{deal_id}`
    deals.router,
    pipelines.router,
    board.router,
    imports.router,
]
