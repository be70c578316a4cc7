"""HTTP routers of the deals service."""

from services.deals.api import companies, contacts, deals, pipelines

ROUTERS = [companies.router, contacts.router, deals.router, pipelines.router]
