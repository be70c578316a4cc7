"""HTTP routers of the calendar service."""

from services.calendar.api import activities, calendar, dav, search

ROUTERS = [search.router, activities.router, calendar.router, dav.router]
