"""Deals: opened, changed and moved through stages, never around their stage requirements."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.domain import requirements as rules
from services.deals.domain.fields import BadValue, read_value
from services.deals.tables import (
    Company,
    Contact,
    CustomField,
    Deal,
    DealContact,
    DealDocument,
    DealTally,
    LostReason,
    Member,
    Pipeline,
    Stage,
    TimelineEntry,
)
from shared.auth import Identity
from shared.contracts.deals import DealCreated, DealLost, DealStageChanged, DealUpdated, DealWon
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, Forbidden, Invalid, NotFound
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


class RequirementsUnmet(Exception):
    """The deal may not enter the stage; `unmet` lists every reason, per deal for bulk moves."""

    def __init__(self, unmet: dict[UUID | None, list[rules.Unmet]]) -> None:
        super().__init__("stage requirements unmet")
        self.unmet = unmet


@dataclass(frozen=True)
class Evidence:
    contact_ids: list[UUID]
    completed_activities: int
    documents: int


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
        return Evidence([], 0, 0)
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
    return Evidence(list(contacts), completed or 0, documents or 0)


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
    current: Stage | None,
    target: Stage,
    contact_ids: list[UUID] | None,
    today: date,
    new_documents: int = 0,
) -> list[rules.Unmet]:
    """`contact_ids`: the deal's contacts after the change, or None when they stay as on file;
    `new_documents`: documents linked in the same change (a deal opened with its offer)."""
    evidence = await _evidence(session, deal.id)
    reasons = await session.scalars(select(LostReason.name).where(LostReason.active.is_(True)))
    state = rules.Deal(
        values=_values(deal, evidence.contact_ids if contact_ids is None else contact_ids),
        current_position=current.position if current else 0,
        completed_activities=evidence.completed_activities,
        documents=evidence.documents + new_documents,
        lost_reason=deal.lost_reason,
        lost_reasons=tuple(reasons),
    )
    return rules.unmet_requirements(state, _rule_stage(target), today=today)


def _rule_stage(stage: Stage) -> rules.Stage:
    return rules.Stage(
        id=stage.id,
        position=stage.position,
        kind=stage.kind,  # type: ignore[arg-type]
        required_fields=tuple(stage.required_fields),
        completed_activity=stage.completed_activity,
        document=stage.document,
        no_skipping=stage.no_skipping,
        close_date_not_past=stage.close_date_not_past,
    )


async def _custom_values(
    session: AsyncSession, current: dict[str, Any], given: dict[str, Any]
) -> dict[str, Any]:
    fields = {
        f.key: f
        for f in await session.scalars(select(CustomField).where(CustomField.record_type == "deal"))
    }
    problems, values = {}, dict(current)
    for key, value in given.items():
        field = fields.get(key)
        if field is None:
            problems[f"custom.{key}"] = N_("no such custom field")
            continue
        try:
            values[key] = read_value(field.type, value, field.options)  # type: ignore[arg-type]
        except BadValue as bad:
            problems[f"custom.{key}"] = str(bad)
    if problems:
        raise Invalid(problems)
    return {key: value for key, value in values.items() if value is not None}


async def _check_links(
    session: AsyncSession, identity: Identity, deal: Deal, changes: dict[str, Any]
) -> None:
    problems: dict[str, str] = {}
    new = deal.id is None  # being opened: everything it links to is checked
    if "company_id" in changes and (new or changes["company_id"] != deal.company_id):
        company = await session.get(Company, changes["company_id"])
        if company is None:
            problems["company_id"] = N_("no such company")
        elif company.archived_at is not None:
            problems["company_id"] = N_("the company is archived; restore it first")
    wanted = set(changes.get("contact_ids") or [])
    if wanted:
        linked = set() if new else set(await _linked_contacts(session, deal.id))
        found = set(
            await session.scalars(
                select(Contact.id).where(Contact.id.in_(wanted), Contact.archived_at.is_(None))
            )
        )
        if wanted - found - linked:
            problems["contact_ids"] = N_("no such contact")
    if "owner_id" in changes and changes["owner_id"] != deal.owner_id:
        await _check_owner(session, identity, changes["owner_id"])
    if problems:
        raise Invalid(problems)


async def _check_owner(session: AsyncSession, identity: Identity, owner_id: UUID) -> None:
    """Only heads and admins hand deals to others; a head only within the group."""
    if identity.role not in ("head", "admin") and str(owner_id) != identity.user_id:
        raise Forbidden("only a head or an administrator may give a deal to someone else")
    owner = await session.get(Member, owner_id)
    if owner is None or not owner.active:
        raise Invalid({"owner_id": N_("no such active user")})
    if (
        identity.role == "head"
        and str(owner.team_id) not in identity.team_ids
        and str(owner_id) != identity.user_id
    ):
        raise Forbidden("a head may give deals only to people of the group")


async def _linked_contacts(session: AsyncSession, deal_id: UUID) -> list[UUID]:
    query = select(DealContact.contact_id).where(DealContact.deal_id == deal_id)
    return list(await session.scalars(query))


def snapshot(deal: Deal, stage: Stage) -> dict[str, Any]:
    """A deal as its events carry it."""
    return {
        "deal_id": deal.id,
        "title": deal.title,
        "company_id": deal.company_id,
        "owner_id": deal.owner_id,
        "amount": deal.amount,
        "currency": deal.currency,
        "expected_close_date": deal.expected_close_date,
        "pipeline_id": deal.pipeline_id,
        "stage_id": deal.stage_id,
        "stage_kind": stage.kind,
        "probability": deal.probability,
        "archived": deal.archived_at is not None,
    }


async def _stage(session: AsyncSession, stage_id: UUID, pipeline_id: UUID | None = None) -> Stage:
    stage = await session.get(Stage, stage_id)
    if stage is None or (pipeline_id is not None and stage.pipeline_id != pipeline_id):
        raise Invalid({"stage_id": N_("no such stage in this pipeline")})
    return stage


async def _first_stage(session: AsyncSession, pipeline_id: UUID | None) -> Stage:
    if pipeline_id is None:
        pipeline_id = await session.scalar(select(Pipeline.id).where(Pipeline.is_default.is_(True)))
    stage = await session.scalar(
        select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position).limit(1)
    )
    if stage is None:
        raise Invalid({"pipeline_id": N_("no such pipeline")})
    return stage


TallyKey = tuple[UUID, UUID, str, Decimal]


def tally_key(deal: Deal) -> TallyKey:
    return (deal.stage_id, deal.owner_id, deal.currency, deal.amount or Decimal(0))


async def count_in_tally(session: AsyncSession, key: TallyKey, sign: int) -> None:
    """Add (or take away) one deal from its stage's running totals."""
    stage_id, owner_id, currency, amount = key
    values = {
        "stage_id": stage_id,
        "owner_id": owner_id,
        "currency": currency,
        "count": sign,
        "amount": sign * amount,
    }
    statement = insert(DealTally).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[DealTally.stage_id, DealTally.owner_id, DealTally.currency],
            set_={"count": DealTally.count + sign, "amount": DealTally.amount + sign * amount},
        )
    )


async def _retally(session: AsyncSession, old: TallyKey | None, new: TallyKey) -> None:
    if old == new:
        return
    if old is not None:
        await count_in_tally(session, old, -1)
    await count_in_tally(session, new, +1)


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
    sessions: SessionFactory, *, identity: Identity, fields: dict[str, Any], today: date
) -> Deal:
    """Open a deal in its pipeline's first stage (or the given one, if its requirements are met),
    with the documents it is opened with (they count for the stage)."""
    async with unit_of_work(sessions) as session:
        owner_id = fields.pop("owner_id", None) or UUID(identity.user_id)
        contact_ids = fields.pop("contact_ids", [])
        documents = fields.pop("documents", [])
        custom = await _custom_values(session, {}, fields.pop("custom", {}))
        stage_id, pipeline_id = fields.pop("stage_id", None), fields.pop("pipeline_id", None)
        stage = (
            await _stage(session, stage_id, pipeline_id)
            if stage_id
            else await _first_stage(session, pipeline_id)
        )
        deal = Deal(
            **fields,
            owner_id=owner_id,
            custom=custom,
            pipeline_id=stage.pipeline_id,
            stage_id=stage.id,
        )
        if deal.probability is None:
            deal.probability = stage.probability
        await _check_links(
            session, identity, deal, {"company_id": deal.company_id, "contact_ids": contact_ids}
        )
        if str(owner_id) != identity.user_id:  # opening a deal for someone else is a reassignment
            await _check_owner(session, identity, owner_id)
        unmet = await _unmet(session, deal, None, stage, contact_ids, today, len(documents))
        if unmet:
            raise RequirementsUnmet({None: unmet})
        session.add(deal)
        await session.flush()
        for document in documents:
            await _link_document(session, identity, deal, document["title"], document["url"])
        await _retally(session, None, tally_key(deal))
        session.add_all(
            DealContact(deal_id=deal.id, contact_id=c) for c in dict.fromkeys(contact_ids)
        )
        session.add(
            timeline_entry(
                deal, "created", identity.user_id, {"title": deal.title, "stage": stage.name}
            )
        )
        await add_event(session, new_event(DealCreated(**snapshot(deal, stage)), subject=deal.id))
        await session.refresh(deal)  # server-set timestamps, for the answer
    return deal


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
        await _apply(session, identity, deal, changes, today)
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
        for deal_id in dict.fromkeys(deal_ids):
            deal = await visible_deal(session, identity, deal_id, lock=True)
            try:
                await _apply(session, identity, deal, {"stage_id": stage_id}, today)
            except RequirementsUnmet as refused:
                unmet[deal_id] = refused.unmet[None]
            moved.append(deal)
        if unmet:
            raise RequirementsUnmet(unmet)
        await session.flush()
        for deal in moved:
            await session.refresh(deal)
    return moved


async def _apply(
    session: AsyncSession, identity: Identity, deal: Deal, changes: dict[str, Any], today: date
) -> None:
    if deal.archived_at is not None:
        raise Conflict({"archived": N_("the deal is archived; restore it first")})
    await _check_links(session, identity, deal, changes)
    current = await _stage(session, deal.stage_id)
    counted = tally_key(deal)
    old = {name: getattr(deal, name) for name in AUDITED} | {"custom": dict(deal.custom)}
    contact_ids = changes.pop("contact_ids", None)
    if "custom" in changes:
        deal.custom = await _custom_values(session, deal.custom, changes.pop("custom"))
    target = (
        await _stage(session, changes.pop("stage_id"), deal.pipeline_id)
        if "stage_id" in changes
        else current
    )
    for name, value in changes.items():
        setattr(deal, name, value)
    if target.id != current.id and "probability" not in changes:
        deal.probability = target.probability
    if target.id != current.id:
        unmet = await _unmet(session, deal, current, target, contact_ids, today)
        if unmet:
            raise RequirementsUnmet({None: unmet})
        deal.stage_id = target.id
    if contact_ids is not None:
        await session.execute(delete(DealContact).where(DealContact.deal_id == deal.id))
        session.add_all(
            DealContact(deal_id=deal.id, contact_id=c) for c in dict.fromkeys(contact_ids)
        )
    await _retally(session, counted, tally_key(deal))
    await _record(session, identity, deal, old, current, target)


async def _record(
    session: AsyncSession,
    identity: Identity,
    deal: Deal,
    old: dict[str, Any],
    current: Stage,
    target: Stage,
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
    state = snapshot(deal, target)
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
            new_event(DealStageChanged(**state, from_stage_id=current.id), subject=deal.id),
        )
        if target.kind == "won":
            await add_event(session, new_event(DealWon(**state), subject=deal.id))
        if target.kind == "lost":
            await add_event(
                session,
                new_event(DealLost(**state, lost_reason=deal.lost_reason or ""), subject=deal.id),
            )
    elif changed or old["custom"] != deal.custom:
        await add_event(session, new_event(DealUpdated(**state), subject=deal.id))


async def check_stage(
    sessions: SessionFactory, *, identity: Identity, deal_id: UUID, stage_id: UUID, today: date
) -> tuple[Stage, list[rules.Unmet]]:
    """What the deal still lacks to enter `stage_id` (nothing: it may move)."""
    async with sessions() as session:
        deal = await visible_deal(session, identity, deal_id)
        target = await _stage(session, stage_id, deal.pipeline_id)
        current = await _stage(session, deal.stage_id)
        return target, await _unmet(session, deal, current, target, None, today)


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
