"""The desk's rules: the catalogue of widgets, who may have which, and what a layout may hold."""

from dataclasses import dataclass
from typing import Any

from shared.text import N_

SELLERS = frozenset({"admin", "head", "manager"})
EVERYONE = SELLERS | {"staff"}
SIZES = (1, 2, 3)  # columns of the desk's grid a widget spans
MAX_SHORTCUTS = 30
# What makes a live widget load again, as the page's events say it (HTMX triggers): a
# notification over the stream, an outcome reported, a change of the feed.
NOTIFIED = "crm:notified from:body"
CALENDAR = f"{NOTIFIED}, crm:awaiting-changed from:body, crm:calendar-changed from:body"
FEED = "crm:feed from:body throttle:3s"


@dataclass(frozen=True)
class Widget:
    """A part of the desk: where its data comes from, who may have it, whether it stays live."""

    name: str
    label: str
    hint: str
    services: tuple[str, ...]  # none: the gateway's own
    roles: frozenset[str] = SELLERS
    size: int = 1
    refresh: str = ""  # the page's events that load it again (empty: not live)

    @property
    def live(self) -> bool:
        return bool(self.refresh)


CATALOGUE: dict[str, Widget] = {
    widget.name: widget
    for widget in (
        Widget(
            "agenda",
            N_("Today's agenda"),
            N_("Your calls, meetings, letters and tasks today, and what is overdue."),
            ("calendar",),
            refresh=CALENDAR,
        ),
        Widget(
            "awaiting",
            N_("Outcomes to report"),
            N_("Activities that ended and wait for a short report of how they went."),
            ("calendar",),
            refresh=CALENDAR,
        ),
        Widget(
            "pipeline",
            N_("Pipeline by stage"),
            N_("Your open deals in each stage, with their amounts (a head: the group's)."),
            ("deals",),
            size=2,
        ),
        Widget(
            "plan",
            N_("Plan this month"),
            N_("Plan against actual and forecast for the current month (a head: per manager)."),
            ("planning",),
            size=2,
        ),
        Widget(
            "idle_deals",
            N_("Deals with nothing planned"),
            N_("Open deals without a next activity: plan the next step."),
            ("deals",),
        ),
        Widget(
            "must_read",
            N_("Must read"),
            N_("Documents you are asked to read and confirm."),
            ("knowledge",),
            roles=EVERYONE,
            refresh=NOTIFIED,
        ),
        Widget(
            "my_requests",
            N_("Your open requests"),
            N_("Requests you raised to other departments that are not closed yet."),
            ("knowledge",),
            roles=EVERYONE,
            refresh=NOTIFIED,
        ),
        Widget(
            "department_queue",
            N_("Your department's queue"),
            N_("Open requests to your department, the nearest deadline first."),
            ("knowledge",),
            roles=frozenset({"staff"}),
            refresh=NOTIFIED,
        ),
        Widget(
            "latest_posts",
            N_("Latest posts"),
            N_("The newest posts of the feed you may read."),
            ("knowledge",),
            roles=EVERYONE,
            size=2,
            refresh=FEED,
        ),
        Widget(
            "mentions",
            N_("Unread mentions"),
            N_("Posts and comments that mention you and that you have not opened yet."),
            (),
            roles=EVERYONE,
            refresh=NOTIFIED,
        ),
        Widget(
            "quick_actions",
            N_("Quick actions"),
            N_("A new deal, activity, post, request or document in one click."),
            (),
            roles=EVERYONE,
        ),
        Widget(
            "shortcuts",
            N_("Shortcuts"),
            N_("Pages and saved filters you pinned with the star in the top bar."),
            (),
            roles=EVERYONE,
        ),
    )
}

# Each role's desk until the administrator sets another.
BUILT_IN: dict[str, tuple[str, ...]] = {
    "manager": (
        "agenda",
        "awaiting",
        "pipeline",
        "plan",
        "idle_deals",
        "my_requests",
        "mentions",
        "latest_posts",
        "must_read",
        "quick_actions",
        "shortcuts",
    ),
    "head": (
        "plan",
        "agenda",
        "awaiting",
        "pipeline",
        "idle_deals",
        "my_requests",
        "mentions",
        "latest_posts",
        "must_read",
        "quick_actions",
        "shortcuts",
    ),
    "admin": ("pipeline", "plan", "latest_posts", "must_read", "quick_actions", "shortcuts"),
    "staff": (
        "department_queue",
        "my_requests",
        "mentions",
        "latest_posts",
        "must_read",
        "quick_actions",
        "shortcuts",
    ),
}


@dataclass(frozen=True)
class Placed:
    """A widget on a desk, with how many columns it spans."""

    name: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size}


def available(role: str) -> list[Widget]:
    """The catalogue as a user of `role` may use it."""
    return [widget for widget in CATALOGUE.values() if role in widget.roles]


def built_in(role: str) -> list[Placed]:
    return [Placed(name, CATALOGUE[name].size) for name in BUILT_IN.get(role, ())]


def cleaned(stored: list[dict[str, Any]], role: str) -> list[Placed]:
    """A stored layout as it may be shown to `role`: widgets that left the catalogue or that
    the role may not have are dropped, each widget once, sizes kept within bounds."""
    seen: set[str] = set()
    placed: list[Placed] = []
    for entry in stored:
        name = str(entry.get("name", ""))
        widget = CATALOGUE.get(name)
        if widget is None or role not in widget.roles or name in seen:
            continue
        seen.add(name)
        size = entry.get("size")
        placed.append(Placed(name, size if size in SIZES else widget.size))
    return placed


def layout_problems(widgets: list[tuple[str, int]], role: str) -> dict[str, str]:
    """What is wrong with a layout a user of `role` asks for, by field; empty when nothing."""
    names = [name for name, _ in widgets]
    unknown = [name for name in names if name not in CATALOGUE]
    if unknown:
        return {"widgets": N_("a widget named is not in the catalogue")}
    refused = [name for name in names if role not in CATALOGUE[name].roles]
    if refused:
        return {"widgets": N_("a widget named is not for this role")}
    if len(set(names)) != len(names):
        return {"widgets": N_("each widget may be on the desk once")}
    if any(size not in SIZES for _, size in widgets):
        return {"widgets": N_("a widget spans 1, 2 or 3 columns")}
    return {}


def shortcut_problems(label: str, url: str) -> dict[str, str]:
    """A shortcut leads to a page of the CRM: a path on the same site, never elsewhere."""
    problems: dict[str, str] = {}
    if not label.strip() or len(label) > 100:
        problems["label"] = N_("name the shortcut in at most 100 characters")
    if not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > 500:
        problems["url"] = N_("a shortcut leads to a page of the CRM (a path starting with /)")
    return problems
