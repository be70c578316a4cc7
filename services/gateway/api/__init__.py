"""HTTP routers of the gateway's own JSON API; the proxy to the services is `proxy.router`."""

from services.gateway.api import (
    auth,
    dav,
    events,
    notifications,
    openapi,
    people,
    search,
    webhooks,
)

ROUTERS = [
    auth.router,
    people.router,
    notifications.router,
    search.router,
    openapi.router,
    events.router,
    webhooks.router,
    dav.router,
]
