"""HTTP routers of the deals service."""

from services.deals.api import board, companies, contacts, deals, imports, pipelines

ROUTERS = [
    companies.router,
    contacts.router,
    deals.router,
    pipelines.router,
    board.router,
    imports.router,
]
