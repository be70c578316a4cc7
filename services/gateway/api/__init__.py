"""HTTP routers of the gateway's own JSON API; the proxy to the services is `proxy.router`."""

from services.gateway.api import auth, dav, desk, notifications, openapi, people, search

ROUTERS = [
    auth.router,
    people.router,
    notifications.router,
    search.router,
    desk.router,
    openapi.router,
    dav.router,
]
