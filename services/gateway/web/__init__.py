"""The browser application, laid out by feature; `ROUTERS` are its pages."""

from services.gateway.web.account import routes as account
from services.gateway.web.admin import departments as admin_departments
from services.gateway.web.admin import pipelines as admin_pipelines
from services.gateway.web.admin import teams as admin_teams
from services.gateway.web.admin import users as admin_users
from services.gateway.web.admin import webhooks as admin_webhooks
from services.gateway.web.calendar import activities as calendar
from services.gateway.web.calendar import awaiting as calendar_awaiting
from services.gateway.web.calendar import settings as calendar_settings
from services.gateway.web.calendar import sync as calendar_sync
from services.gateway.web.deals import board as deal_board
from services.gateway.web.deals import companies, contacts, deals
from services.gateway.web.desk import routes as desk
from services.gateway.web.feed import pages as feed_pages
from services.gateway.web.feed import posts as feed_posts
from services.gateway.web.feed import records as feed_records
from services.gateway.web.feed import settings as feed_settings
from services.gateway.web.imports import routes as imports
from services.gateway.web.knowledge import deals as knowledge_deals
from services.gateway.web.knowledge import documents as knowledge_documents
from services.gateway.web.knowledge import library as knowledge_library
from services.gateway.web.knowledge import must_read as knowledge_must_read
from services.gateway.web.knowledge import search as knowledge_search
from services.gateway.web.knowledge import upload as knowledge_upload
from services.gateway.web.notifications import routes as notifications
from services.gateway.web.plans import export as plan_export
from services.gateway.web.plans import grid as plan_grid
from services.gateway.web.plans import history as plan_history
from services.gateway.web.plans import review as plan_review
from services.gateway.web.plans import settings as plan_settings
from services.gateway.web.services import catalogue as service_catalogue
from services.gateway.web.services import parts as request_parts
from services.gateway.web.services import requests as service_requests

ROUTERS = [
    account.router,
    desk.router,
    notifications.router,
    admin_users.router,
    admin_teams.router,
    admin_departments.router,
    admin_pipelines.router,
    admin_webhooks.router,
    deal_board.router,
    deals.router,
    companies.router,
    contacts.router,
    imports.router,
    calendar.router,
    calendar_awaiting.router,
    calendar_sync.router,
    calendar_settings.router,
    plan_grid.router,
    plan_history.router,
    plan_export.router,
    plan_review.router,
    plan_settings.router,
    knowledge_library.router,
    knowledge_search.router,
    knowledge_must_read.router,
    knowledge_upload.router,
    knowledge_documents.router,
    knowledge_deals.router,
    service_catalogue.router,
    request_parts.router,  # before the requests' own pages: `/requests/desk` is no request
    service_requests.router,
    feed_settings.router,
    feed_pages.router,
    feed_posts.router,
    feed_records.router,
]
