"""Importing a batch of companies, contacts or deals: the API's checks, the API's writes, in bulk.

Each importer reads a batch of rows (`prepare`: the request model per row, one lookup per batch
of what the rows name, the use case's own checks) and hands back how to write what passed, in
the caller's transaction: the same rows and events the API writes for one record, with one
statement per table. A refused row is reported and never undoes the others.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.domain.sheet import ADDRESS, COMPANY_REFS, CUSTOM
from services.deals.schemas import CompanyCreate, ContactCreate, DealImport
from services.deals.tables import Company, Contact, Member
from services.deals.usecases.companies import NIP_TAKEN, NewCompany, insert_companies
from services.deals.usecases.contacts import (
    ContactRecord,
    change_contacts,
    check_company,
    existing_companies,
    insert_contacts,
)
from services.deals.usecases.deal_rules import (
    Catalogue,
    RequirementsUnmet,
    check_new_deal,
    load_known,
)
from services.deals.usecases.deal_writes import rows_of, write_deals
from services.deals.usecases.import_rows import (
    Batch,
    Directory,
    ImportContext,
    Reason,
    Rejection,
    Row,
    company_of,
    custom_value,
    day,
    name_key,
    number,
    owner_of,
    paced,
    reasons_of,
    rejection,
    validate,
    without_refs,
)
from services.deals.usecases.ownership import NOT_YOURS, check_giving
from shared.auth import Identity
from shared.contracts.deals import Address
from shared.errors import Forbidden, Invalid
from shared.text import N_
from shared.visibility import can_see

# Writes a prepared batch in the given session's transaction.
Write = Callable[[AsyncSession], Awaitable[None]]


class Importer(Protocol):
    async def prepare(self, rows: list[Row], batch: Batch) -> Write:
        """Check `rows`, noting in `batch` how each turned out; how to write what passed."""


# --- Companies ------------------------------------------------------------------------------


class CompanyImporter:
    """Companies; of two rows with one NIP the first in the file is added, as the API would."""

    def __init__(self, context: ImportContext, directory: Directory) -> None:
        self.context, self.directory = context, directory
        self.seen: set[str] = set()  # NIPs of earlier rows

    async def prepare(self, rows: list[Row], batch: Batch) -> Write:
        drafts: list[tuple[Row, CompanyCreate, str | None]] = []
        async for row in paced(rows):
            reasons: list[Reason] = []
            address = {name: row.values[name] for name in ADDRESS if name in row.values}
            data: dict[str, Any] = {
                "name": row.values.get("name"),
                "tax_id": row.values.get("tax_id"),
            }
            owner_id, named_by = owner_of(self.directory, row.values, reasons)
            if named_by and owner_id is not None:
                data["owner_id"] = owner_id
            body = validate(CompanyCreate, {**data, "address": address or None}, reasons)
            if body is not None and body.tax_id in self.seen:
                reasons.append(("tax_id", NIP_TAKEN, {}))
            if body is None or reasons:
                batch.rejections.append(rejection(self.context, row.line, row.cells, reasons))
                continue
            if body.tax_id:
                self.seen.add(body.tax_id)
            drafts.append((row, body, named_by))
        given = await self._given(drafts, batch)
        taken = await self._taken([body.tax_id for _, body in given if body.tax_id])
        by_id: dict[UUID, Row] = {}
        companies = []
        for row, body in given:
            if body.tax_id in taken:
                batch.rejections.append(self._taken_row(row))
                continue
            company = NewCompany(
                body.name,
                body.tax_id,
                Address(**body.address.model_dump()) if body.address else None,
                created_by=self.context.identity.user_id,
                owner_id=body.owner_id or UUID(self.context.identity.user_id),
            )
            companies.append(company)
            by_id[company.id] = row
        batch.imported = len(companies)

        async def write(session: AsyncSession) -> None:
            added = await insert_companies(session, companies, source="import")
            for company_id in by_id.keys() - added:  # taken meanwhile by someone else
                batch.rejections.append(self._taken_row(by_id[company_id]))
            batch.imported = len(added)

        return write

    async def _given(
        self, drafts: list[tuple[Row, CompanyCreate, str | None]], batch: Batch
    ) -> list[tuple[Row, CompanyCreate]]:
        """The rows whose owner the importer may give a company to (see `ownership`); a refusal
        names the column that named the owner."""
        identity = self.context.identity
        named = {body.owner_id for _, body, _ in drafts if body.owner_id}
        async with self.context.sessions() as session:
            people = (await load_known(session, identity, companies=(), people=named)).people
        kept = []
        for row, body, named_by in drafts:
            try:
                if body.owner_id:
                    check_giving(identity, body.owner_id, people.get(body.owner_id))
            except (Invalid, Forbidden) as refusal:
                reasons = [
                    (named_by or field, message, params)
                    for field, message, params in reasons_of(refusal)
                ]
                batch.rejections.append(rejection(self.context, row.line, row.cells, reasons))
                continue
            kept.append((row, body))
        return kept

    def _taken_row(self, row: Row) -> Rejection:
        return rejection(self.context, row.line, row.cells, [("tax_id", NIP_TAKEN, {})])

    async def _taken(self, tax_ids: list[str]) -> set[str]:
        if not tax_ids:
            return set()
        async with self.context.sessions() as session:
            query = select(Company.tax_id).where(Company.tax_id.in_(tax_ids))
            return {tax_id for tax_id in await session.scalars(query) if tax_id}


# --- Contacts -------------------------------------------------------------------------------


class ContactImporter:
    """Contacts, linked to their company by id, NIP or name. A contact whose e-mail (any case) is
    on file already is updated with the row's values instead (skipped when they change nothing);
    of two rows with one e-mail the first in the file counts, the second is refused."""

    def __init__(self, context: ImportContext, directory: Directory) -> None:
        self.context, self.directory = context, directory
        self.seen: set[str] = set()  # e-mails of earlier rows, in lower case as `lower()` in SQL

    async def prepare(self, rows: list[Row], batch: Batch) -> Write:
        drafts: list[tuple[Row, ContactCreate, dict[str, str]]] = []
        async for row in paced(rows):
            reasons: list[Reason] = []
            company_id, named_by = company_of(self.directory, row.values, reasons)
            data = {**without_refs(row.values), "company_id": company_id}
            explained = ["company_id"] if reasons else []
            body = validate(ContactCreate, data, reasons, explained)
            email = body.email.lower() if body and body.email else None
            if email in self.seen:
                reasons.append(("email", N_("another row of this file has this e-mail"), {}))
            names = {"company_id": named_by} if named_by else {}
            if body is None or reasons:
                batch.rejections.append(
                    rejection(self.context, row.line, row.cells, reasons, names)
                )
                continue
            if email:
                self.seen.add(email)
            drafts.append((row, body, names))
        return await self._sort(drafts, batch)

    async def _sort(
        self, drafts: list[tuple[Row, ContactCreate, dict[str, str]]], batch: Batch
    ) -> Write:
        """New contacts, changed ones and unchanged ones; refusals to the batch."""
        emails = [body.email.lower() for _, body, _ in drafts if body.email]
        identity = self.context.identity
        async with self.context.sessions() as session:
            named = [b.company_id for _, b, _ in drafts]
            companies = await existing_companies(session, named, identity)
            on_file = await _by_email(session, emails)
            mine = await _changeable(session, identity, on_file)
        new, changed = [], []
        me = UUID(identity.user_id)
        for row, body, names in drafts:
            matches = on_file.get(body.email.lower(), []) if body.email else []
            reasons: list[Reason] = []
            try:
                check_company(companies, body.company_id)
            except Invalid as refusal:
                reasons = reasons_of(refusal)
            if len(matches) > 1:
                reasons.append(("email", N_("more than one contact has this e-mail"), {}))
            elif matches and matches[0].id not in mine:
                reasons.append(("email", NOT_YOURS, {}))
            if reasons:
                batch.rejections.append(
                    rejection(self.context, row.line, row.cells, reasons, names)
                )
            elif not matches:
                record = ContactRecord(
                    body.name, body.company_id, body.position, body.phone, body.email, me
                )
                new.append(record)
            elif (merged := _merged(matches[0], body)) != _record(matches[0]):
                changed.append(merged)
            else:
                batch.skipped += 1
        batch.imported, batch.updated = len(new), len(changed)
        actor = identity.user_id

        async def write(session: AsyncSession) -> None:
            await insert_contacts(session, new, created_by=actor, source="import")
            await change_contacts(session, changed)

        return write


async def _by_email(session: AsyncSession, emails: list[str]) -> dict[str, list[Contact]]:
    """Contacts on file by e-mail in lower case (as the index has it); oldest first."""
    if not emails:
        return {}
    query = (
        select(Contact)
        .where(func.lower(Contact.email).in_(emails))
        .order_by(Contact.created_at, Contact.id)
    )
    found: dict[str, list[Contact]] = {}
    for contact in await session.scalars(query):
        found.setdefault((contact.email or "").lower(), []).append(contact)
    return found


async def _changeable(
    session: AsyncSession, identity: Identity, on_file: dict[str, list[Contact]]
) -> set[UUID]:
    """Which contacts found by e-mail the importer may change (see `ownership`): one query."""
    found = [contact for contacts in on_file.values() for contact in contacts]
    owners = {contact.owner_id for contact in found if contact.owner_id is not None}
    teams = {}
    if owners and identity.role == "head":
        rows = await session.execute(select(Member.id, Member.team_id).where(Member.id.in_(owners)))
        teams = dict(rows.tuples().all())
    return {
        contact.id
        for contact in found
        if identity.role == "admin"
        or (
            contact.owner_id is not None
            and can_see(identity, owner_id=contact.owner_id, team_id=teams.get(contact.owner_id))
        )
    }


def _record(contact: Contact) -> ContactRecord:
    return ContactRecord(
        contact.name,
        contact.company_id,
        contact.position,
        contact.phone,
        contact.email,
        contact.owner_id,
        contact.id,
    )


def _merged(contact: Contact, body: ContactCreate) -> ContactRecord:
    """The contact with the row's values; what the row leaves empty stays as it is."""
    return ContactRecord(
        name=body.name,
        company_id=body.company_id or contact.company_id,
        position=body.position or contact.position,
        phone=body.phone or contact.phone,
        email=contact.email,
        owner_id=contact.owner_id,
        id=contact.id,
    )


# --- Deals ----------------------------------------------------------------------------------


class DealImporter:
    """Deals, through `check_new_deal` and `write_deals` as `create_deal` goes; a stage by id or
    by its name in the default pipeline, possibly lost (with a reason from the list)."""

    def __init__(self, context: ImportContext, directory: Directory, catalogue: Catalogue) -> None:
        self.context, self.directory, self.catalogue = context, directory, catalogue
        self.stages = {
            name_key(stage.name): stage.id
            for stage in catalogue.stages.values()
            if stage.pipeline_id == catalogue.default_pipeline_id
        }
        # a stage may require a custom field: its reason names the field's column
        self.custom_columns = {key: CUSTOM + key for key in catalogue.fields}

    async def prepare(self, rows: list[Row], batch: Batch) -> Write:
        drafts: list[tuple[Row, DealImport, dict[str, str]]] = []
        async for row in paced(rows):
            reasons: list[Reason] = []
            data, refs = self._data(row.values, reasons)
            # A company or owner named but not found is said once, not again as a missing id.
            explained = [field for field, column in refs.items() if _said(reasons, column)]
            body = validate(DealImport, data, reasons, explained)
            if body is None:
                batch.rejections.append(self._refused(row, reasons, refs))
                continue
            drafts.append((row, body, refs))
        async with self.context.sessions() as session:
            known = await load_known(
                session,
                self.context.identity,
                companies={body.company_id for _, body, _ in drafts},
                people={body.owner_id for _, body, _ in drafts if body.owner_id},
            )
        deals = []
        async for row, body, refs in paced(drafts):
            try:
                deal = check_new_deal(
                    body,
                    lost_reason=body.lost_reason,
                    identity=self.context.identity,
                    catalogue=self.catalogue,
                    known=known,
                    today=self.context.today,
                )
            except (Invalid, Forbidden, RequirementsUnmet) as refusal:
                batch.rejections.append(self._refused(row, reasons_of(refusal), refs))
                continue
            deals.append(deal)
        batch.imported = len(deals)
        rows_ = rows_of(deals, actor=self.context.identity.user_id)

        async def write(session: AsyncSession) -> None:
            await write_deals(session, rows_)

        return write

    def _refused(self, row: Row, reasons: list[Reason], refs: dict[str, str]) -> Rejection:
        return rejection(
            self.context, row.line, row.cells, reasons, {**self.custom_columns, **refs}
        )

    def _data(
        self, values: dict[str, str], reasons: list[Reason]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The row as `DealImport` takes it, and which column named the company, owner, stage."""
        data: dict[str, Any] = {
            k: v for k, v in values.items() if k not in _NOT_FIELDS and not k.startswith(CUSTOM)
        }
        refs: dict[str, str] = {}
        company_id, by = company_of(self.directory, values, reasons)
        if by:
            data["company_id"], refs["company_id"] = company_id, by
        owner_id, by = owner_of(self.directory, values, reasons)
        if by:
            data["owner_id"], refs["owner_id"] = owner_id, by
        if "stage" in values and "stage_id" not in values:
            refs["stage_id"] = "stage"
            data["stage_id"] = self.stages.get(name_key(values["stage"]))
            if data["stage_id"] is None:
                reasons.append(("stage", N_("no such stage in the default pipeline"), {}))
        if "amount" in data:
            data["amount"] = number(data["amount"])
        if "expected_close_date" in data:
            data["expected_close_date"] = day(data["expected_close_date"])
        data["custom"] = {
            key.removeprefix(CUSTOM): custom_value(
                getattr(self.catalogue.fields.get(key.removeprefix(CUSTOM)), "type", None), value
            )
            for key, value in values.items()
            if key.startswith(CUSTOM)
        }
        return data, refs


# Columns that name a deal's field rather than give it.
_NOT_FIELDS = frozenset({*COMPANY_REFS, "stage", "owner"})


def _said(reasons: list[Reason], field: str) -> bool:
    return any(name == field for name, _, _ in reasons)
