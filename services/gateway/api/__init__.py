"""HTTP routers of the gateway."""

from services.gateway.api import proxy

ROUTERS = [proxy.router]
