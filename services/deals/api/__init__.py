"""HTTP routers of the deals service."""

from services.deals.api import companies

ROUTERS = [companies.router]
