"""HTTP routers of the planning service."""

from services.planning.api import clients, grid, lines, locks, teams

ROUTERS = [clients.router, teams.router, lines.router, locks.router, grid.router]
