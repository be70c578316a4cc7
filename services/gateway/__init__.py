"""Gateway: identity, the web UI, the desk, and the public JSON API routed to the owning service."""
