"""Rendering pages: templates with the user's language, CSRF token, navigation and formatters."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape

from services.gateway.tables import User
from services.gateway.web import i18n
from services.gateway.web.i18n import gettext as _

HERE = Path(__file__).parent
# Each feature keeps its templates in its own folder and names them by the feature
# ("deals/board.html"); the page frame (base, error) is shared.
FEATURES = sorted(folder.name for folder in HERE.iterdir() if (folder / "templates").is_dir())
templates = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(HERE / "templates"),
            PrefixLoader({name: FileSystemLoader(HERE / name / "templates") for name in FEATURES}),
        ]
    ),
    autoescape=select_autoescape(default=True),  # user content is always escaped
    extensions=["jinja2.ext.i18n"],
    finalize=lambda value: "" if value is None else value,  # a field left empty shows nothing
)
templates.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
templates.globals.update(
    format_date=i18n.format_date,
    format_day=i18n.format_day,
    format_datetime=i18n.format_datetime,
    format_money=i18n.format_money,
    format_amount=i18n.format_amount,
    format_number=i18n.format_number,
    format_percent=i18n.format_percent,
    static=lambda path: f"/static/{path}",
    parse_date=date.fromisoformat,
    day_before=lambda day: date.fromisoformat(day) - timedelta(days=1),  # "until" the last one
    parse_datetime=datetime.fromisoformat,
)


def role_label(role: str) -> str:
    labels = {
        "admin": _("Administrator"),
        "head": _("Head of sales"),
        "manager": _("Sales manager"),
        "staff": _("Staff"),
    }
    return labels.get(role, role)


templates.globals["role_label"] = role_label


def status_label(status: str) -> str:
    labels = {
        "draft": _("draft"),
        "submitted": _("submitted"),
        "approved": _("approved"),
        "doubtful": _("doubtful"),
        "rejected": _("rejected"),
    }
    return labels.get(status, status)


templates.globals["status_label"] = status_label


def request_status(status: str) -> str:
    """Where a request to a department stands, as the reader says it."""
    labels = {
        "submitted": _("waiting"),
        "accepted": _("in progress"),
        "returned": _("returned for information"),
        "delivered": _("delivered"),
        "rejected": _("rejected"),
        "cancelled": _("cancelled"),
    }
    return labels.get(status, status)


templates.globals["request_status"] = request_status


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    active: bool


def navigation(user: User, path: str) -> list[NavItem]:
    """The entries this user may open; each part of the CRM adds its own when its page exists."""
    entries = [("/", _("Desk"))]
    if user.role != "staff":
        entries += [
            ("/calendar", _("Calendar")),
            ("/deals", _("Deals")),
            ("/companies", _("Companies")),
            ("/contacts", _("Contacts")),
            ("/plans", _("Plan")),
            ("/imports", _("Import")),
        ]
    entries.append(("/feed", _("Feed")))
    entries.append(("/knowledge", _("Knowledge base")))
    entries.append(("/requests", _("Requests")))
    if user.role == "admin":
        entries += [
            ("/admin/users", _("Users")),
            ("/admin/teams", _("Sales groups")),
            ("/admin/departments", _("Departments")),
            ("/admin/pipelines", _("Pipelines")),
            ("/admin/webhooks", _("Webhooks")),
            ("/services", _("Services")),
        ]
    return [
        NavItem(href, label, path == href or path.startswith(f"{href}/")) for href, label in entries
    ]


def use_locale(request: Request, user: User | None) -> str:
    """Pick the language: the user's own, else the browser's choice, else Polish."""
    chosen = user.locale if user else request.cookies.get("crm_locale")
    locale = (
        chosen if chosen in i18n.LOCALES else i18n.negotiate(request.headers.get("accept-language"))
    )
    i18n.current_locale.set(locale)
    i18n.current_time_zone.set(user.time_zone if user else "Europe/Warsaw")
    return locale


def page_context(request: Request, user: User | None, **context: Any) -> dict[str, Any]:
    locale = use_locale(request, user)
    return {
        "request": request,
        "user": user,
        "locale": locale,
        "csrf_token": request.state.csrf_token,
        "upload_mb": f"{request.app.state.settings.max_upload_mb:g}",
        "navigation": navigation(user, request.url.path) if user else [],
        "today": i18n.format_date(datetime.now(UTC)),
        **context,
    }


def fragment(request: Request, template: str, user: User | None, **context: Any) -> str:
    """A piece of a page, e.g. for an HTMX swap."""
    html: str = templates.get_template(template).render(page_context(request, user, **context))
    return html


def render(
    request: Request, template: str, user: User | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return HTMLResponse(fragment(request, template, user, **context), status_code=status_code)


def complaint(message: str) -> dict[str, str]:
    """Headers that make the page show `message` as an error (HTMX event `crm:error`)."""
    return {"HX-Trigger": json.dumps({"crm:error": message})}
