"""HTTP routers of the calendar service."""

from services.calendar.api import activities, calendar

ROUTERS = [activities.router, calendar.router]
