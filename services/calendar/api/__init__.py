"""HTTP routers of the calendar service."""

from services.calendar.api import activities, calendar, dav

ROUTERS = [activities.router, calendar.router, dav.router]
