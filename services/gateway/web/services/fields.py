"""Service forms on the pages: what each type and prefill is called, a form filled from the deal
or company a request is raised from, the values a person submitted (files sent on to
knowledge first), and values shown as the reader writes them."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile

from services.gateway.tables import User
from services.gateway.web.backend import ask, part, problems, read
from services.gateway.web.i18n import format_date, format_money, format_number
from services.gateway.web.i18n import gettext as _
from shared.text import N_

TYPES = {
    "text": N_("Text"),
    "number": N_("Number"),
    "money": N_("Amount of money"),
    "date": N_("Date"),
    "boolean": N_("Yes or no"),
    "select": N_("Choice from a list"),
    "user": N_("User"),
    "document": N_("Link to a document"),
    "file": N_("File"),
    "company": N_("Company"),
    "contact": N_("Contact"),
    "deal": N_("Deal"),
}
PREFILLS = {
    "deal": N_("the deal"),
    "deal.title": N_("the deal's title"),
    "deal.amount": N_("the deal's amount"),
    "deal.expected_close_date": N_("the deal's expected close date"),
    "company": N_("the company"),
    "company.name": N_("the company's name"),
    "company.tax_id": N_("the company's NIP"),
    "company.city": N_("the company's city"),
    "contact": N_("the deal's first contact"),
}
PREFIX = "field."  # a form's input named `field.<key>`


def labels(names: Mapping[str, str]) -> dict[str, str]:
    return {key: _(label) for key, label in names.items()}


@dataclass
class Origin:
    """The deal and company a request is raised from, as far as the user may read them."""

    deal: dict[str, Any] | None = None
    company: dict[str, Any] | None = None

    def value(self, source: str) -> Any:
        deal, company = self.deal or {}, self.company or {}
        address = company.get("address") or {}
        found = {
            "deal": deal.get("id"),
            "deal.title": deal.get("title"),
            "deal.amount": deal.get("amount"),
            "deal.expected_close_date": deal.get("expected_close_date"),
            "company": company.get("id"),
            "company.name": company.get("name"),
            "company.tax_id": company.get("tax_id"),
            "company.city": address.get("city"),
            "contact": (deal.get("contact_ids") or [None])[0],
        }
        return found.get(source)


async def origin_of(
    request: Request, user: User, deal_id: str | None, company_id: str | None
) -> Origin:
    """The deal and its company (or the company alone); nothing the user may not read."""
    origin = Origin()
    if user.role == "staff":
        return origin  # staff do not see customers
    if deal_id:
        origin.deal = (
            await part(read(request, user, "deals", f"/api/deals/{deal_id}"), None)
        ).value
        company_id = origin.deal["company_id"] if origin.deal else company_id
    if company_id:
        reading = read(request, user, "deals", f"/api/companies/{company_id}")
        origin.company = (await part(reading, None)).value
    return origin


def prefilled(fields: Sequence[Mapping[str, Any]], origin: Origin) -> dict[str, Any]:
    """Each field filled from the record it names (a deal or company field from the record
    itself when it names none)."""
    values: dict[str, Any] = {}
    for one in fields:
        source = one.get("prefill") or (one["type"] if one["type"] in ("deal", "company") else None)
        value = origin.value(source) if source else None
        if value is not None:
            values[one["key"]] = str(value)
    return values


@dataclass
class Choices:
    """What a form's user, company, contact and deal fields offer, by id."""

    users: list[tuple[str, str]] = field(default_factory=list)
    companies: list[tuple[str, str]] = field(default_factory=list)
    contacts: list[tuple[str, str]] = field(default_factory=list)
    deals: list[tuple[str, str]] = field(default_factory=list)

    def of(self, kind: str) -> list[tuple[str, str]]:
        return {
            "user": self.users,
            "company": self.companies,
            "contact": self.contacts,
            "deal": self.deals,
        }.get(kind, [])


def _with(options: list[tuple[str, str]], names: Mapping[str, str], ids: Sequence[str]) -> None:
    known = {id_ for id_, _name in options}
    for id_ in ids:
        if id_ and id_ not in known:
            options.insert(0, (id_, names.get(id_, id_)))
            known.add(id_)


async def choices_for(
    request: Request,
    user: User,
    fields: Sequence[Mapping[str, Any]],
    values: Mapping[str, Any],
    names: Mapping[str, str],
    origin: Origin,
) -> Choices:
    """The options of the fields that name records: only those the form has, each read once;
    the chosen ones always among them."""
    kinds = {one["type"] for one in fields}
    found = Choices()
    if "user" in kinds:
        async with request.app.state.sessions() as session:
            rows = await session.execute(
                select(User.id, User.name).where(User.active).order_by(User.name)
            )
            found.users = [(str(id_), name) for id_, name in rows]
    if user.role != "staff":
        if "company" in kinds:
            page = await part(
                read(request, user, "deals", "/api/companies", limit=50), {"items": []}
            )
            found.companies = [(c["id"], c["name"]) for c in page.value["items"]]
        if "deal" in kinds:
            page = await part(read(request, user, "deals", "/api/deals", limit=50), {"items": []})
            found.deals = [(d["id"], d["title"]) for d in page.value["items"]]
        company = (origin.company or {}).get("id")
        if "contact" in kinds and company:
            reading = read(request, user, "deals", "/api/contacts", company_id=company, limit=100)
            page = await part(reading, {"items": []})
            found.contacts = [(c["id"], c["name"]) for c in page.value["items"]]
    shown = dict(names)
    if origin.deal:
        shown[origin.deal["id"]] = origin.deal["title"]
    if origin.company:
        shown[origin.company["id"]] = origin.company["name"]
    for one in fields:
        chosen = values.get(one["key"])
        if one["type"] in ("user", "company", "contact", "deal") and isinstance(chosen, str):
            _with(found.of(one["type"]), shown, [chosen])
    return found


async def submitted(
    request: Request, user: User, form: FormData, fields: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The values a person submitted for `fields`, by key, and what went wrong with a file;
    a new file goes to knowledge first and is given by its id, a kept one stays."""
    values: dict[str, Any] = {}
    wrong: dict[str, str] = {}
    for one in fields:
        name = PREFIX + one["key"]
        given = form.get(name)
        if one["type"] == "file":
            if isinstance(given, UploadFile) and given.filename:
                uploaded = await _upload(request, user, given)
                if isinstance(uploaded, str):
                    values[one["key"]] = uploaded
                else:
                    wrong[one["key"]] = uploaded.get("file", next(iter(uploaded.values()), ""))
            elif form.get(f"{name}.kept"):
                values[one["key"]] = str(form.get(f"{name}.kept"))
            continue
        if isinstance(given, str) and given.strip():
            values[one["key"]] = given.strip()
    return values, wrong


async def upload_files(
    request: Request, user: User, files: Sequence[Any]
) -> tuple[list[str], dict[str, str]]:
    """Files sent with a comment, sent on to knowledge: their ids, or what went wrong."""
    ids: list[str] = []
    for given in files:
        if isinstance(given, UploadFile) and given.filename:
            uploaded = await _upload(request, user, given)
            if isinstance(uploaded, dict):
                return ids, uploaded
            ids.append(uploaded)
    return ids, {}


async def _upload(request: Request, user: User, given: UploadFile) -> str | dict[str, str]:
    data = await given.read()
    answer = await ask(
        request,
        user,
        "knowledge",
        "POST",
        "/api/requests/files",
        files={"file": (given.filename or "file", data, given.content_type or "")},
    )
    if answer.status_code == 201:
        return str(answer.json()["document_id"])
    if answer.status_code == 413:
        return {"file": _("The file is larger than the limit.")}
    return problems(answer)


def field_problems(found: Mapping[str, str], prefix: str) -> dict[str, str]:
    """A service's refusal of `<prefix>.<key>` named by the form's own keys."""
    return {key.removeprefix(f"{prefix}."): message for key, message in found.items()}


def shown(
    one: Mapping[str, Any], value: Any, names: Mapping[str, str], currency: str = "PLN"
) -> str:
    """A value as the reader writes it: amounts and dates in their language, yes or no, the
    name of what an id names, a file by its name."""
    if value is None or value == "":
        return "—"
    kind = one["type"]
    try:
        if kind == "money":
            return format_money(Decimal(str(value)), currency)
        if kind == "number":
            return format_number(Decimal(str(value)))
        if kind == "date":
            return format_date(date.fromisoformat(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)
    if kind == "boolean":
        return _("yes") if value in (True, "true") else _("no")
    if kind == "file" and isinstance(value, Mapping):
        return str(value.get("file_name", ""))
    if kind in ("user", "company", "contact", "deal"):
        return names.get(str(value), str(value))
    return str(value)


def problems_by_path(answer: Any) -> dict[str, str]:
    """A refusal by the whole path of each field (`inputs.0.label`, `inputs.amount`), so a form
    of many rows shows each problem beside its own input."""
    try:
        detail = answer.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if not isinstance(detail, list):
        return problems(answer)
    found: dict[str, str] = {}
    for problem in detail:
        path = ".".join(str(part) for part in problem.get("loc", [])[1:]) or "form"
        message = _(str(problem.get("msg", "")).removeprefix("Value error, "))
        found[path] = f"{found[path]}; {message}" if path in found else message
    return found


def facts(
    form: Sequence[Mapping[str, Any]],
    values: Mapping[str, Any],
    names: Mapping[str, str],
    request_id: str,
    *,
    seller: bool,
) -> list[tuple[str, str, str | None]]:
    """A form's values to show: each field's label, its value as the reader writes it, and a
    link where there is one (a file, through the request; a deal or company, for sellers)."""
    rows: list[tuple[str, str, str | None]] = []
    for one in form:
        value = values.get(one["key"])
        link = None
        if one["type"] == "file" and isinstance(value, Mapping):
            link = f"/api/requests/{request_id}/files/{value['document_id']}"
        elif one["type"] == "deal" and isinstance(value, str) and seller:
            link = f"/deals/{value}"
        elif one["type"] == "company" and isinstance(value, str) and seller:
            link = f"/companies/{value}"
        rows.append((one["label"], shown(one, value, names), link))
    return rows
