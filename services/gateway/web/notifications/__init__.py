"""Notifications in the page: the bell and its list."""
