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
    "posts": "knowledge",
    "services": "knowledge",
    "requests": "knowledge",
}


# The sales team's records: refused to the staff of other departments, who work on requests.
SALES_ONLY = frozenset(
    {"companies", "contacts", "pipelines", "deals", "fields", "imports", "export"}
    | {"activities", "calendar", "plans"}
)


def _first_segment(path: str) -> str:
    return path.strip("/").split("/", 1)[0]


def owner_of(path: str) -> str | None:
    """The service owning `/api/<path>`, judged by its first segment; None when nobody does."""
    return ROUTES.get(_first_segment(path))


def may_use(role: str, path: str) -> bool:
    """Whether a user of `role` may call `/api/<path>` at all (records are checked by the owner)."""
    return role != "staff" or _first_segment(path) not in SALES_ONLY
