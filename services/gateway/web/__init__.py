"""The browser application: server-rendered pages with HTMX, in Polish and English."""
