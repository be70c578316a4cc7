"""A deal's or a company's timeline as people read it: field labels, stage and people's names,
amounts, dates and percentages as the reader's language writes them; never an identifier."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from fastapi import Request
from sqlalchemy import select

from services.gateway.tables import User
from services.gateway.web.backend import part, read
from services.gateway.web.calendar.activities import KINDS, OUTCOMES, outcome_labels
from services.gateway.web.i18n import format_date, format_money, format_number, format_percent
from services.gateway.web.i18n import gettext as _
from shared.text import N_

# The deal's own fields the timeline records, by what the page calls them.
LABELS = {
    "title": N_("Title"),
    "company_id": N_("Company"),
    "owner_id": N_("Owner"),
    "amount": N_("Amount"),
    "currency": N_("Currency"),
    "expected_close_date": N_("Expected close date"),
    "probability": N_("Probability"),
    "source": N_("Source"),
    "lost_reason": N_("Lost reason"),
    # a company's own
    "name": N_("Name"),
    "tax_id": "NIP",  # its name in both languages, as the form says it
    "address": N_("Address"),
}
NOTHING = "—"


@dataclass(frozen=True)
class Line:
    """One thing that happened, ready to show."""

    kind: str
    at: datetime
    actor: str
    label: str = ""
    old: str = ""
    new: str = ""
    text: str = ""
    url: str = ""
    deal_id: str = ""  # on a company's timeline: which of its deals
    files: tuple[tuple[str, str], ...] = ()  # a delivered request's files: what, where


@dataclass(frozen=True)
class Names:
    """What the timeline's identifiers are called: stages, companies, people, custom fields."""

    stages: Mapping[str, str]
    companies: Mapping[str, str]
    people: Mapping[str, str]
    fields: Mapping[str, Mapping[str, Any]]
    outcomes: Mapping[str, str]


async def readable(
    request: Request, user: User, entries: list[dict[str, Any]], currencies: Mapping[str, str]
) -> list[Line]:
    """`entries` of a timeline as lines to show; amounts in their deal's currency."""
    names = await _names(request, user, entries)
    lines = []
    for entry in entries:
        deal_id = str(entry.get("deal_id") or "")
        line = _line(entry, names, currencies.get(deal_id, "PLN"))
        lines.append(replace(line, deal_id=deal_id))
    return lines


def with_notes(lines: list[Line], notes: list[Line]) -> list[Line]:
    """The timeline with the record's notes from the feed in their place, the newest first."""
    return sorted([*lines, *notes], key=lambda line: line.at, reverse=True)


def _line(entry: dict[str, Any], names: Names, currency: str) -> Line:
    data: dict[str, Any] = entry["data"]
    at = datetime.fromisoformat(entry["at"])
    actor = entry.get("actor_name") or NOTHING
    kind = entry["kind"]
    if kind == "field_changed":
        field = str(data.get("field", ""))
        if field in ("archived", "contact.archived"):
            return Line("archived", at, actor, text=_archiving(field, data))
        label, old = _field_value(field, data.get("old"), names, currency)
        new = _field_value(field, data.get("new"), names, currency)[1]
        if field == "contact.owner_id":  # on the timeline of the contact's company
            label = _("Account manager of %(contact)s") % {"contact": data.get("contact", "")}
        elif field == "contact.company_id":  # on the timelines of the companies left and joined
            label = _("Company of %(contact)s") % {"contact": data.get("contact", "")}
        elif field == "owner_id" and not entry.get("deal_id"):  # the company's own
            label = _("Account manager")
        return Line(kind, at, actor, label=label, old=old, new=new)
    if kind == "created" and not entry.get("deal_id"):  # the company's history begins
        return Line(kind, at, actor, text=str(data.get("source", "")))
    if kind == "contact_added":  # on the timeline of the contact's company
        if data.get("source") == "import":
            said = _("Contact %(name)s imported from a file")
        else:
            said = _("Contact %(name)s added")
        return Line(kind, at, actor, text=said % {"name": data.get("contact", "")})
    if kind == "stage_changed":
        old = names.stages.get(str(data.get("from_stage_id")), str(data.get("from", NOTHING)))
        new = names.stages.get(str(data.get("to_stage_id")), str(data.get("to", NOTHING)))
        return Line(kind, at, actor, label=_("Stage"), old=old, new=new)
    if kind == "outcome":
        what = KINDS.get(str(data.get("activity_kind")), ("", ""))[0]
        code = str(data.get("result"))
        result = names.outcomes.get(code) or _(OUTCOMES.get(code, code))
        label = f"{_(what)}: {data.get('title', '')}" if what else str(data.get("title", ""))
        return Line(kind, at, actor, label=label, new=result, text=str(data.get("note", "")))
    if kind == "document_added":
        return Line(kind, at, actor, text=str(data.get("title", "")), url=str(data.get("url", "")))
    if kind == "request_delivered":
        given = data.get("outputs") or []
        outputs = "; ".join(
            f"{one.get('label', '')}: {_output(one, names, currency)}"
            for one in given
            if not isinstance(one.get("value"), dict)
        )
        files = tuple(
            (f"{one.get('label', '')}: {one['value'].get('file_name', '')}", _file_url(data, one))
            for one in given
            if isinstance(one.get("value"), dict)
        )
        service = str(data.get("service", ""))
        url = str(data.get("url", ""))
        return Line(kind, at, actor, label=service, text=outputs, url=url, files=files)
    return Line(kind, at, actor)


def _archiving(field: str, data: dict[str, Any]) -> str:
    """A record archived or restored, as the timeline says it (a contact's, on its company's)."""
    archived = data.get("new") is not None
    if field == "contact.archived":
        said = _("Contact %(name)s archived") if archived else _("Contact %(name)s restored")
        return said % {"name": data.get("contact", "")}
    return _("Moved to the archive") if archived else _("Restored from the archive")


def _file_url(data: dict[str, Any], one: dict[str, Any]) -> str:
    """Where a delivered file is downloaded: the request's own, which checks who may."""
    return f"/api/requests/{data.get('request_id')}/files/{one['value'].get('document_id')}"


def _output(one: dict[str, Any], names: Names, currency: str) -> str:
    """A delivered request's output as the reader writes it (a file by its name)."""
    value = one.get("value")
    if isinstance(value, dict):
        return str(value.get("file_name", ""))
    kinds = {"money": "money", "number": "number", "date": "date", "boolean": "boolean"}
    return _shown(kinds.get(str(one.get("type")), "text"), value, names, currency)


def _field_value(field: str, value: Any, names: Names, currency: str) -> tuple[str, str]:
    """What the changed field is called, and `value` as the reader writes it."""
    if field.startswith("custom."):
        custom = names.fields.get(field.removeprefix("custom."), {})
        label = str(custom.get("label") or field.removeprefix("custom."))
        return label, _shown(str(custom.get("type", "text")), value, names, currency)
    kinds = {
        "amount": "money",
        "expected_close_date": "date",
        "probability": "percent",
        "company_id": "company",
        "contact.company_id": "company",
        "owner_id": "user",
        "contact.owner_id": "user",
    }
    return _(LABELS.get(field, field)), _shown(kinds.get(field, "text"), value, names, currency)


def _shown(kind: str, value: Any, names: Names, currency: str) -> str:
    if value is None or value == "":
        return NOTHING
    try:
        if kind == "money":
            return format_money(value, currency)
        if kind == "number":
            return format_number(Decimal(str(value)))
        if kind == "percent":
            return format_percent(value)
        if kind == "date":
            return format_date(date.fromisoformat(str(value)[:10]))
    except (ValueError, InvalidOperation):
        return str(value)
    if kind == "boolean":
        return _("yes") if value in (True, "true") else _("no")
    if kind == "company":
        return names.companies.get(str(value), NOTHING)
    if kind == "user":
        return names.people.get(str(value), NOTHING)
    return str(value)


async def _names(request: Request, user: User, entries: list[dict[str, Any]]) -> Names:
    """Everything the entries name, read once each, only when some entry needs it."""
    kinds = {entry["kind"] for entry in entries}
    changed = [entry["data"] for entry in entries if entry["kind"] == "field_changed"]
    fields = {str(data.get("field")) for data in changed}
    stages: dict[str, str] = {}
    if "stage_changed" in kinds:
        pipelines = await read(request, user, "deals", "/api/pipelines")
        stages = {s["id"]: s["name"] for p in pipelines for s in p["stages"]}
    custom: dict[str, Any] = {}
    if any(field.startswith("custom.") for field in fields):
        found = await read(request, user, "deals", "/api/fields", record_type="deal")
        custom = {f["key"]: f for f in found}
    outcomes: dict[str, str] = {}
    if "outcome" in kinds:  # the timeline stays useful without the calendar
        types = await part(read(request, user, "calendar", "/api/calendar/outcome-types"), [])
        outcomes = outcome_labels(types.value)
    values = [data.get(side) for data in changed for side in ("old", "new")]
    companies = await _companies(request, user, changed)
    people = await _people(request, {str(v) for v in values if v})
    return Names(stages, companies, people, custom, outcomes)


async def _companies(request: Request, user: User, changed: list[dict[str, Any]]) -> dict[str, str]:
    ids = {
        str(data.get(side))
        for data in changed
        if data.get("field") in ("company_id", "contact.company_id")
        for side in ("old", "new")
        if data.get(side)
    }
    names = {}
    for company_id in ids:
        found = await part(read(request, user, "deals", f"/api/companies/{company_id}"), None)
        if found.value:
            names[company_id] = found.value["name"]
    return names


async def _people(request: Request, values: set[str]) -> dict[str, str]:
    """The gateway's own users among `values` (owners, custom user fields), by id."""
    ids = []
    for value in values:
        try:
            ids.append(UUID(value))
        except ValueError:
            continue
    if not ids:
        return {}
    async with request.app.state.sessions() as session:
        rows = await session.execute(select(User.id, User.name).where(User.id.in_(ids)))
        return {str(row.id): row.name for row in rows}
