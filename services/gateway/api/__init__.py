"""HTTP routers of the gateway; the proxy comes last so the gateway's own paths win."""

from services.gateway.api import auth, notifications, people, proxy
from services.gateway.web import (
    admin_deals_pages,
    calendar_pages,
    deals_pages,
    import_pages,
    pages,
    plan_pages,
    plan_review_pages,
    plan_settings_pages,
)

ROUTERS = [
    auth.router,
    people.router,
    notifications.router,
    pages.router,
    deals_pages.router,
    admin_deals_pages.router,
    import_pages.router,
    plan_pages.router,
    calendar_pages.router,
    plan_review_pages.router,
    plan_settings_pages.router,
    proxy.router,
]
