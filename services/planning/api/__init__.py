"""HTTP routers of the planning service."""

from services.planning.api import clients, teams

ROUTERS = [clients.router, teams.router]
