"""References to deals' records from other services: who owns each, and may the caller link it.

A service that lets its records point at a deal, a company or a contact (an activity, a plan
line, a document) keeps a replica of who owns each one and of the administrator's setting for
who reads customers, from deals' own events, and checks every new reference against the
caller's view: a record the caller may not see is refused as if it did not exist. The replica
tables are the service's own (`linked_record`, `customer_access`; `migration_ops` creates them),
kept by `link_handlers`.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, cast
from uuid import UUID

from sqlalchemy import DateTime, Select, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.auth import Identity
from shared.consumer import Handler, combined
from shared.contracts.deals import (
    COMPANY_EVENTS,
    CONTACT_EVENTS,
    DEAL_EVENTS,
    CustomerAccessChanged,
)
from shared.errors import Invalid
from shared.events import Envelope
from shared.replicas import upsert_newer
from shared.text import N_
from shared.visibility import CustomerReaders, can_see, customers_visible_to, may_read_customer

LinkKind = Literal["deal", "company", "contact"]

NO_SUCH: Mapping[str, str] = {
    "deal": N_("no such deal"),
    "company": N_("no such company"),
    "contact": N_("no such contact"),
}


def link_handlers(records: Any, access: Any) -> dict[str, Handler]:
    """Handlers that keep `records` (`id`, `kind`, `owner_id`, `changed_at`) from every company,
    contact and deal snapshot, and `access` (`id`, `readers`, `changed_at`) from the setting."""

    def keep(kind: LinkKind, id_field: str) -> Handler:
        async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
            values = {"kind": kind, "owner_id": event.data.owner_id, "changed_at": event.time}
            await upsert_newer(session, records, getattr(event.data, id_field), values)

        return handle

    async def on_access(session: AsyncSession, event: Envelope[Any]) -> None:
        values = {"readers": event.data.readers, "changed_at": event.time}
        await upsert_newer(session, access, 1, values)

    return {
        **{contract.type: keep("company", "company_id") for contract in COMPANY_EVENTS},
        **{contract.type: keep("contact", "contact_id") for contract in CONTACT_EVENTS},
        **{contract.type: keep("deal", "deal_id") for contract in DEAL_EVENTS},
        CustomerAccessChanged.type: on_access,
    }


def with_links(handlers: Mapping[str, Handler], records: Any, access: Any) -> dict[str, Handler]:
    """A service's own `handlers` and `link_handlers`; a type both handle runs both, in that
    order, in the one transaction."""
    return combined(handlers, link_handlers(records, access))


async def readers_of(session: AsyncSession, access: Any) -> CustomerReaders:
    """Who reads customers, as the replica last heard (every salesperson until told)."""
    readers = await session.scalar(select(access.readers).where(access.id == 1))
    return cast(CustomerReaders, readers or "sales")


def visible_customer_ids(
    identity: Identity, kind: LinkKind, readers: CustomerReaders, *, records: Any, members: Any
) -> Select[tuple[UUID]] | None:
    """The ids of the companies (or contacts) the caller may see, from the replica, to filter a
    list with; None when the caller may see every one."""
    if identity.role == "admin" or (readers == "sales" and identity.role != "staff"):
        return None

    def people_in(teams: list[UUID]) -> Any:
        return select(members.id).where(members.team_id.in_(teams))

    seen = customers_visible_to(identity, records.owner_id, people_in, readers)
    return select(records.id).where(records.kind == kind, seen)


async def check_may_link(
    session: AsyncSession,
    identity: Identity,
    links: Mapping[LinkKind, UUID | None],
    *,
    records: Any,
    access: Any,
    members: Any,
    field: str | None = None,
) -> None:
    """Refuse (422, naming `<kind>_id`, or `field`) a link to a record the caller may not see or
    that the service never heard of: deals as deals shows them (own; a head's group's; all for
    the administrator), companies and contacts by the administrator's setting.

    `members` is the service's replica of people (`id`, `team_id`): the owner's group.
    """
    wanted = {kind: record_id for kind, record_id in links.items() if record_id is not None}
    if not wanted:
        return
    rows = await session.execute(
        select(records.id, records.kind, records.owner_id, members.team_id)
        .outerjoin(members, members.id == records.owner_id)
        .where(records.id.in_(list(wanted.values())))
    )
    found = {(row.kind, row.id): (row.owner_id, row.team_id) for row in rows}
    readers = await readers_of(session, access)
    problems = {}
    for kind, record_id in wanted.items():
        owner = found.get((kind, record_id))
        if owner is None or not _may_see(identity, kind, *owner, readers):
            problems[field or f"{kind}_id"] = NO_SUCH[kind]
    if problems:
        raise Invalid(problems)


def _may_see(
    identity: Identity, kind: LinkKind, owner_id: UUID | None, team_id: UUID | None, readers: Any
) -> bool:
    if kind == "deal":
        return can_see(identity, owner_id=owner_id, team_id=team_id)
    return may_read_customer(identity, owner_id=owner_id, owner_team_id=team_id, readers=readers)


class LinkedRecordTable:
    """Mixin of a service's `linked_record` replica: a deal, company or contact and its owner."""

    __tablename__ = "linked_record"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(Text, comment="deal | company | contact")
    owner_id: Mapped[UUID | None]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerAccessTable:
    """Mixin of a service's `customer_access` replica: one row, who reads customers."""

    __tablename__ = "customer_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    readers: Mapped[str] = mapped_column(Text, comment="sales | group")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
