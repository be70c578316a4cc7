"""HTTP routers of the gateway; the proxy comes last so the gateway's own paths win."""

from services.gateway.api import auth, people, proxy

ROUTERS = [auth.router, people.router, proxy.router]
