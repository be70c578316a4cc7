"""Deals: opened, changed and moved through stages, never around their stage requirements."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.domain import requirements as rules
from services.deals.schemas import DealCreate
from services.deals.tables import (
    Company,
    Deal,
    DealContact,
    DealDocument,
    DealRequest,
    Member,
    TimelineEntry,
)
from services.deals.usecases.deal_rules import (
    Catalogue,
    RequirementsUnmet,
    StageRef,
    check_links,
    check_new_deal,
    check_owner,
    load_catalogue,
    load_known,
    pick_stage,
    read_custom,
)
from services.deals.usecases.deal_writes import (
    add_to_tally,
    rows_of,
    snapshot,
    tally_changes,
    write_deals,
)
from shared.auth import Identity
from shared.contracts.deals import DealLost, DealStageChanged, DealUpdated, DealWon
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, Invalid, NotFound
from shared.events import new_event
from shared.outbox import add_event
from shared.text import N_
from shared.visibility import visible_by_owner

# Fields whose changes the timeline records, old -> new.
AUDITED = (
    "title",
    "company_id",
    "owner_id",
    "amount",
    "currency",
    "expected_close_date",
    "probability",
    "source",
    "lost_reason",
)


@dataclass(frozen=True)
class Evidence:
    contact_ids: list[UUID]
    completed_activities: int
    documents: int
    delivered: list[rules.Delivered]


def visible_owners(identity: Identity, owner: Any) -> Any:
    """Rows whose `owner` column `identity` may see: own; a head's also the group's; an admin's all."""
    return visible_by_owner(identity, owner, _people_in)


def _people_in(teams: list[UUID]) -> Any:
    return select(Member.id).where(Member.team_id.in_(teams))


def visible_deals(identity: Identity) -> Any:
    """The deals `identity` may see."""
    return visible_owners(identity, Deal.owner_id)


async def visible_deal(
    session: AsyncSession, identity: Identity, deal_id: UUID, *, lock: bool = False
) -> Deal:
    query = select(Deal).where(Deal.id == deal_id, visible_deals(identity))
    deal = await session.scalar(query.with_for_update() if lock else query)
    if deal is None:
        raise NotFound("deal")
    return deal


async def _evidence(session: AsyncSession, deal_id: UUID | None) -> Evidence:
    if deal_id is None:
        return Evidence([], 0, 0, [])
    contacts = await session.scalars(
        select(DealContact.contact_id).where(DealContact.deal_id == deal_id)
    )
    completed = await session.scalar(
        select(func.count()).where(
            TimelineEntry.deal_id == deal_id,
            TimelineEntry.kind == "outcome",
            TimelineEntry.data["result"].astext == "completed",
        )
    )
    documents = await session.scalar(select(func.count()).where(DealDocument.deal_id == deal_id))
    delivered = await session.execute(
        select(DealRequest.service_id, DealRequest.outputs).where(
            DealRequest.deal_id == deal_id, DealRequest.status == "delivered"
        )
    )
    return Evidence(
        list(contacts),
        completed or 0,
        documents or 0,
        [rules.Delivered(str(service_id), outputs) for service_id, outputs in delivered],
    )


def _values(deal: Deal, contact_ids: list[UUID]) -> dict[str, Any]:
    built_in = {
        "amount": deal.amount,
        "expected_close_date": deal.expected_close_date,
        "contact_ids": contact_ids,
        "source": deal.source,
        "probability": deal.probability,
    }
    return {**deal.custom, **built_in}


async def _unmet(
    session: AsyncSession,
    deal: Deal,
    current: StageRef,
    target: StageRef,
    contact_ids: list[UUID] | None,
    today: date,
    catalogue: Catalogue,
    new_documents: int = 0,
) -> list[rules.Unmet]:
    """`contact_ids`: the deal's contacts after the change, or None when they stay as on file;
    `new_documents`: documents linked in the same change (a deal opened with its offer)."""
    evidence = await _evidence(session, deal.id)
    state = rules.Deal(
        values=_values(deal, evidence.contact_ids if contact_ids is None else contact_ids),
        current_position=current.position,
        completed_activities=evidence.completed_activities,
        documents=evidence.documents + new_documents,
        delivered=evidence.delivered,
        lost_reason=deal.lost_reason,
        lost_reasons=catalogue.lost_reasons,
    )
    return rules.unmet_requirements(state, target.rule, today=today)


async def _check_links(
    session: AsyncSession, identity: Identity, deal: Deal, changes: dict[str, Any]
) -> None:
    """The company, contacts and owner a change names exist (and the owner may be given): a
    company only when it changes (a deal keeps an archived company), contacts but those already
    linked (an archived one may stay)."""
    company_id = changes.get("company_id")
    if company_id == deal.company_id:
        company_id = None
    linked = set(await _linked_contacts(session, deal.id)) if changes.get("contact_ids") else set()
    contact_ids = [c for c in changes.get("contact_ids") or [] if c not in linked]
    owner_id = changes.get("owner_id")
    reassigned = "owner_id" in changes and owner_id != deal.owner_id
    known = await load_known(
        session,
        identity,
        companies=[company_id] if company_id else [],
        contacts=contact_ids,
        people=[owner_id] if reassigned and owner_id else [],
    )
    check_links(known, company_id, contact_ids)
    if reassigned:
        check_owner(identity, owner_id, known.people.get(owner_id) if owner_id else None)


async def _linked_contacts(session: AsyncSession, deal_id: UUID) -> list[UUID]:
    query = select(DealContact.contact_id).where(DealContact.deal_id == deal_id)
    return list(await session.scalars(query))


# What a deal counts for on the board: its stage, owner and currency, and its amount.
Counted = tuple[tuple[UUID, UUID, str], Decimal | None]


def _counted(deal: Deal) -> Counted:
    return (deal.stage_id, deal.owner_id, deal.currency), deal.amount


async def _retally(session: AsyncSession, old: Counted, new: Counted) -> None:
    """Move the deal's share of the running totals from where it counted to where it counts now."""
    if old != new:
        (old_key, old_amount), (new_key, new_amount) = old, new
        changes = tally_changes([(old_key, old_amount, -1), (new_key, new_amount, +1)])
        await add_to_tally(session, changes)


def timeline_entry(deal: Deal, kind: str, actor: str, data: dict[str, Any]) -> TimelineEntry:
    return TimelineEntry(
        deal_id=deal.id,
        company_id=deal.company_id,
        kind=kind,
        actor_id=actor,
        at=datetime.now(UTC),
        data=data,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | date | UUID):
        return str(value)
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


async def create_deal(
    sessions: SessionFactory, *, identity: Identity, deal: DealCreate, today: date
) -> Deal:
    """Open a deal in its pipeline's first stage (or the given one, if its requirements are met).

    The checks and the writes are the CSV import's own (`deal_rules`, `deal_writes`), for one deal.
    """
    async with unit_of_work(sessions) as session:
        owner_id = deal.owner_id or UUID(identity.user_id)
        catalogue = await load_catalogue(session)
        known = await load_known(
            session,
            identity,
            companies=[deal.company_id],
            contacts=deal.contact_ids,
            people=[owner_id],
        )
        new = check_new_deal(deal, identity=identity, catalogue=catalogue, known=known, today=today)
        await write_deals(session, rows_of([new], actor=identity.user_id))
        created = await session.get(Deal, new.id)  # with the server-set timestamps
    assert created is not None
    return created


async def update_deal(
    sessions: SessionFactory,
    *,
    identity: Identity,
    deal_id: UUID,
    changes: dict[str, Any],
    today: date,
) -> Deal:
    """Change fields and/or move the deal (`stage_id`); all or nothing, audited field by field."""
    async with unit_of_work(sessions) as session:
        deal = await visible_deal(session, identity, deal_id, lock=True)
        await apply_changes(session, identity, deal, changes, today, await load_catalogue(session))
        await session.flush()
        await session.refresh(deal)
    return deal


async def bulk_move(
    sessions: SessionFactory,
    *,
    identity: Identity,
    deal_ids: list[UUID],
    stage_id: UUID,
    today: date,
) -> list[Deal]:
    """Move several deals at once; if any may not enter the stage, none moves."""
    moved: list[Deal] = []
    unmet: dict[UUID | None, list[rules.Unmet]] = {}
    async with unit_of_work(sessions) as session:
        catalogue = await load_catalogue(session)
        for deal_id in dict.fromkeys(deal_ids):
            deal = await visible_deal(session, identity, deal_id, lock=True)
            try:
                await apply_changes(
                    session, identity, deal, {"stage_id": stage_id}, today, catalogue
                )
            except RequirementsUnmet as refused:
                unmet[deal_id] = refused.unmet[None]
            moved.append(deal)
        if unmet:
            raise RequirementsUnmet(unmet)
        await session.flush()
        for deal in moved:
            await session.refresh(deal)
    return moved


async def apply_changes(
    session: AsyncSession,
    identity: Identity,
    deal: Deal,
    changes: dict[str, Any],
    today: date,
    catalogue: Catalogue,
) -> None:
    if deal.archived_at is not None:
        raise Conflict({"archived": N_("the deal is archived; restore it first")})
    await _check_links(session, identity, deal, changes)
    current = catalogue.stages[deal.stage_id]
    counted = _counted(deal)
    old = {name: getattr(deal, name) for name in AUDITED} | {"custom": dict(deal.custom)}
    contact_ids = changes.pop("contact_ids", None)
    if "custom" in changes:
        deal.custom = read_custom(catalogue.fields, deal.custom, changes.pop("custom"))
    target = (
        pick_stage(catalogue, changes.pop("stage_id"), deal.pipeline_id)
        if "stage_id" in changes
        else current
    )
    _check_lost_reason(changes.get("lost_reason"), current, target, catalogue)
    for name, value in changes.items():
        setattr(deal, name, value)
    if target.id != current.id and "probability" not in changes:
        deal.probability = target.probability
    if target.id != current.id:
        unmet = await _unmet(session, deal, current, target, contact_ids, today, catalogue)
        if unmet:
            raise RequirementsUnmet({None: unmet})
        deal.stage_id = target.id
    if contact_ids is not None:
        await session.execute(delete(DealContact).where(DealContact.deal_id == deal.id))
        session.add_all(
            DealContact(deal_id=deal.id, contact_id=c) for c in dict.fromkeys(contact_ids)
        )
    await _retally(session, counted, _counted(deal))
    await _record(session, identity, deal, old, current, target)


def _check_lost_reason(
    reason: str | None, current: StageRef, target: StageRef, catalogue: Catalogue
) -> None:
    """A reason is given for a deal that is (or is becoming) lost, and one from the list (for
    a deal moving into a lost stage, the stage's requirements say so)."""
    if reason is None:
        return
    if target.kind != "lost":
        raise Invalid({"lost_reason": N_("is given only when the deal is lost")})
    if target.id == current.id and reason not in catalogue.lost_reasons:
        raise Invalid({"lost_reason": N_("choose a reason from the list")})


async def _record(
    session: AsyncSession,
    identity: Identity,
    deal: Deal,
    old: dict[str, Any],
    current: StageRef,
    target: StageRef,
) -> None:
    """The audit trail and the events of one change."""
    changed = [name for name in AUDITED if getattr(deal, name) != old[name]]
    for name in changed:
        data = {"field": name, "old": _jsonable(old[name]), "new": _jsonable(getattr(deal, name))}
        session.add(timeline_entry(deal, "field_changed", identity.user_id, data))
    for key in sorted(set(old["custom"]) | set(deal.custom)):
        if old["custom"].get(key) != deal.custom.get(key):
            data = {
                "field": f"custom.{key}",
                "old": old["custom"].get(key),
                "new": deal.custom.get(key),
            }
            session.add(timeline_entry(deal, "field_changed", identity.user_id, data))
    await session.flush()
    data_now = snapshot(deal, target.kind)
    if target.id != current.id:
        deal.stage_entered_at = datetime.now(UTC)
        data = {
            "from_stage_id": str(current.id),
            "from": current.name,
            "to_stage_id": str(target.id),
            "to": target.name,
        }
        session.add(timeline_entry(deal, "stage_changed", identity.user_id, data))
        await add_event(
            session,
            new_event(DealStageChanged(**data_now, from_stage_id=current.id), subject=deal.id),
        )
        if target.kind == "won":
            company = await session.scalar(
                select(Company.name).where(Company.id == deal.company_id)
            )
            won = DealWon(**data_now, company_name=company)
            await add_event(session, new_event(won, subject=deal.id))
        if target.kind == "lost":
            await add_event(
                session,
                new_event(
                    DealLost(**data_now, lost_reason=deal.lost_reason or ""), subject=deal.id
                ),
            )
    elif changed or old["custom"] != deal.custom:
        await add_event(session, new_event(DealUpdated(**data_now), subject=deal.id))


async def check_stage(
    sessions: SessionFactory, *, identity: Identity, deal_id: UUID, stage_id: UUID, today: date
) -> tuple[StageRef, list[rules.Unmet]]:
    """What the deal still lacks to enter `stage_id` (nothing: it may move)."""
    async with sessions() as session:
        deal = await visible_deal(session, identity, deal_id)
        catalogue = await load_catalogue(session)
        target = pick_stage(catalogue, stage_id, deal.pipeline_id)
        current = catalogue.stages[deal.stage_id]
        return target, await _unmet(session, deal, current, target, None, today, catalogue)


async def add_document(
    sessions: SessionFactory, *, identity: Identity, deal_id: UUID, title: str, url: str
) -> DealDocument:
    async with unit_of_work(sessions) as session:
        deal = await visible_deal(session, identity, deal_id)
        return await _link_document(session, identity, deal, title, url)


async def _link_document(
    session: AsyncSession, identity: Identity, deal: Deal, title: str, url: str
) -> DealDocument:
    document = DealDocument(deal_id=deal.id, title=title, url=url, added_by=identity.user_id)
    session.add(document)
    data = {"title": title, "url": url}
    session.add(timeline_entry(deal, "document_added", identity.user_id, data))
    return document
