"""HTTP routers of the planning service."""

from services.planning.api import clients

ROUTERS = [clients.router]
