"""A request's values checked as a whole: typed by their form, and every record they name one
the person giving them may use: a deal they may see (their own, their group's for a head),
a company or a contact on file (not to staff, who do not see customers), a file they may read,
an active user. Knowledge answers from its replicas of deals' and the gateway's records."""

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain import forms
from services.knowledge.domain.forms import Problem
from services.knowledge.service_tables import CompanyRef, ContactRef, DealRef
from services.knowledge.tables import Document, Member
from services.knowledge.usecases.access import readable_documents, reader_of
from shared.auth import Identity
from shared.errors import Invalid
from shared.i18n import translate
from shared.text import N_
from shared.visibility import visible_by_owner

NO_SUCH = {
    "deal": N_("no such deal"),
    "company": N_("no such company"),
    "contact": N_("no such contact"),
    "user": N_("no such active user"),
    "file": N_("no such file"),
}


def fields_of(stored: Sequence[Mapping[str, Any]]) -> list[forms.Field]:
    """A form as stored (JSON) back into fields."""
    return [forms.Field(**{**one, "options": tuple(one.get("options") or ())}) for one in stored]


def stored_form(fields: Sequence[forms.Field]) -> list[dict[str, Any]]:
    return [
        {
            "key": one.key,
            "label": one.label,
            "type": one.type,
            "required": one.required,
            "options": list(one.options),
            "minimum": one.minimum,
            "maximum": one.maximum,
            "pattern": one.pattern,
            "prefill": one.prefill,
            "help": one.help,
        }
        for one in fields
    ]


def said(problems: Mapping[str, Problem], locale: str, prefix: str = "") -> dict[str, str]:
    """Problems in the caller's language, each with what it names filled in."""
    return {
        f"{prefix}{key}": translate(problem.message, locale) % dict(problem.params)
        if problem.params
        else problem.message
        for key, problem in problems.items()
    }


class Usable:
    """Which of the records some values name the caller may use, looked up once per kind."""

    def __init__(self, session: AsyncSession, identity: Identity) -> None:
        self._session = session
        self._identity = identity

    async def missing(self, kind: str, ids: Sequence[str]) -> set[str]:
        """The ids of `kind` the caller may not use (or that do not exist)."""
        wanted = {UUID(id_) for id_ in ids}
        found = await self._found(kind, wanted) if wanted else set()
        return {str(id_) for id_ in wanted - found}

    async def _found(self, kind: str, ids: set[UUID]) -> set[UUID]:
        seller = self._identity.role != "staff"
        query: Any
        if kind == "deal":
            people_in = _people_in
            visible = visible_by_owner(self._identity, DealRef.owner_id, people_in)
            query = select(DealRef.id).where(DealRef.id.in_(ids), ~DealRef.archived, visible)
        elif kind == "company":
            if not seller:
                return set()
            query = select(CompanyRef.id).where(CompanyRef.id.in_(ids), ~CompanyRef.archived)
        elif kind == "contact":
            if not seller:
                return set()
            query = select(ContactRef.id).where(ContactRef.id.in_(ids), ~ContactRef.archived)
        elif kind == "user":
            query = select(Member.id).where(Member.id.in_(ids), Member.active)
        else:  # a file: a document the caller may read
            reader = await reader_of(self._session, self._identity)
            query = select(Document.id).where(
                Document.id.in_(ids), Document.archived_at.is_(None), readable_documents(reader)
            )
        return set(await self._session.scalars(query))

    async def file_names(self, ids: Sequence[str]) -> dict[str, str]:
        rows = await self._session.execute(
            select(Document.id, Document.file_name).where(Document.id.in_(map(UUID, ids)))
        )
        return {str(id_): name for id_, name in rows}


def _people_in(teams: list[UUID]) -> Any:
    return select(Member.id).where(Member.team_id.in_(teams))


async def checked_values(
    session: AsyncSession,
    identity: Identity,
    fields: Sequence[forms.Field],
    given: Mapping[str, Any],
    *,
    prefix: str,
) -> dict[str, Any]:
    """The values as stored, files as `{document_id, file_name}`; `Invalid` naming every field
    that is wrong (`<prefix>.<key>`) in the caller's language."""
    values, problems = forms.read_values(fields, given)
    usable = Usable(session, identity)
    files: list[str] = []
    for one in fields:
        value = values.get(one.key)
        if value is None or one.type not in NO_SUCH:
            continue
        if await usable.missing(one.type, [value]):
            problems[one.key] = Problem(NO_SUCH[one.type])
        elif one.type == "file":
            files.append(value)
    if problems:
        raise Invalid(said(problems, identity.locale, f"{prefix}."))
    names = await usable.file_names(files) if files else {}
    for one in fields:
        if one.type == "file" and one.key in values:
            document_id = values[one.key]
            values[one.key] = {"document_id": document_id, "file_name": names[document_id]}
    return values


async def check_origin(
    session: AsyncSession, identity: Identity, origin: Mapping[str, UUID | None]
) -> None:
    """The deal, company and contact a request is raised from: ones the requester may use."""
    usable = Usable(session, identity)
    problems = {
        f"{kind}_id": Problem(NO_SUCH[kind])
        for kind, id_ in origin.items()
        if id_ is not None and await usable.missing(kind, [str(id_)])
    }
    if problems:
        raise Invalid(said(problems, identity.locale))
