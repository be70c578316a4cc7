"""Which service owns which part of the public API (DESIGN §6)."""

ROUTES: dict[str, str] = {
    "companies": "deals",
    "contacts": "deals",
    "pipelines": "deals",
    "deals": "deals",
    "fields": "deals",
    "imports": "deals",
    "export": "deals",
    "activities": "calendar",
    "calendar": "calendar",
    "plans": "planning",
    "documents": "knowledge",
    "folders": "knowledge",
    "feed": "knowledge",
    "services": "knowledge",
    "requests": "knowledge",
}


def owner_of(path: str) -> str | None:
    """The service owning `/api/<path>`, judged by its first segment; None when nobody does."""
    first = path.strip("/").split("/", 1)[0]
    return ROUTES.get(first)
