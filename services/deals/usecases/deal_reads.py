"""Deals as the API shows them, read at database speed: a page, one deal, the board.

Each read is one statement per answer part on the read pool (`shared.reads`), with the deal's
contacts aggregated into the same statement and the board's columns in one LATERAL query. The
statements differ only by their shape (which filters, which visibility, which sort), so each
shape is compiled once and reused; the rows become the answer's JSON as they come, without
ORM objects or models in between. Visibility is the rule of `deals.visible_deals`, written
with named parameters.
"""

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from services.deals.schemas import DealFilters
from services.deals.tables import (
    Company,
    Deal,
    DealActivity,
    DealContact,
    DealTally,
    Member,
    Pipeline,
    Stage,
)
from shared.auth import Identity
from shared.errors import NotFound
from shared.pagination import (
    CHANGED,
    archived_condition,
    decode_cursor,
    encode_cursor,
    order_named,
)
from shared.reads import ReadPool, Statement
from shared.visibility import visibility, visible_by_owner_shape


def _visible(kind: str, owner: Any) -> ColumnElement[bool]:
    return visible_by_owner_shape(
        kind, owner, lambda teams: select(Member.id).where(Member.team_id == teams)
    )


_CONTACT_IDS = func.coalesce(
    select(func.array_agg(aggregate_order_by(DealContact.contact_id, DealContact.contact_id)))
    .where(DealContact.deal_id == Deal.id)
    .scalar_subquery(),
    literal_column("'{}'::uuid[]"),
).label("contact_ids")
# `DealPublic`'s fields, in its order.
PUBLIC = (
    Deal.id,
    Deal.title,
    Deal.company_id,
    Deal.owner_id,
    Deal.amount,
    Deal.currency,
    Deal.expected_close_date,
    Deal.pipeline_id,
    Deal.stage_id,
    Deal.probability,
    Deal.source,
    Deal.custom,
    Deal.lost_reason,
    _CONTACT_IDS,
    Deal.created_at,
    Deal.updated_at,
    Deal.archived_at,
)

# --- the list ---------------------------------------------------------------------------------

SORTS: dict[str, tuple[Any, Any]] = {
    "created_at": (Deal.created_at, datetime.fromisoformat),
    "updated_at": (Deal.updated_at, datetime.fromisoformat),
    "title": (Deal.title, str),
}
_EQUAL = {
    "owner_id": Deal.owner_id,
    "stage_id": Deal.stage_id,
    "pipeline_id": Deal.pipeline_id,
    "company_id": Deal.company_id,
}
_RANGES = {
    "updated_since": Deal.updated_at.__ge__,
    "amount_min": Deal.amount.__ge__,
    "amount_max": Deal.amount.__le__,
    "close_from": Deal.expected_close_date.__ge__,
    "close_to": Deal.expected_close_date.__le__,
}

# Filters that narrow when true and do nothing otherwise.
_FLAGS: dict[str, ColumnElement[bool]] = {
    "no_next_activity": and_(
        Deal.stage_id.in_(select(Stage.id).where(Stage.kind == "open")),
        ~exists().where(DealActivity.deal_id == Deal.id, DealActivity.status == "scheduled"),
    ),
}


def _where(name: str, value: Any) -> ColumnElement[bool]:
    if name in _FLAGS:
        return _FLAGS[name] if value else true()
    return _EQUAL[name] == value if name in _EQUAL else _RANGES[name](value)


def filtered(query: Select[*tuple[Any, ...]], filters: DealFilters) -> Select[*tuple[Any, ...]]:
    """`query` narrowed by the list's filters, with their values (the CSV export)."""
    for name, value in filters.model_dump(exclude=_NOT_COMPARED).items():
        if value is not None:
            query = query.where(_where(name, value))
    return query.where(_archived(filters))


_NOT_COMPARED = {"archived", "include_archived"}


def _archived(filters: DealFilters) -> ColumnElement[bool]:
    return archived_condition(
        Deal.archived_at, archived=filters.archived, include_archived=filters.include_archived
    )


@cache
def _page_statement(
    seen: str, filters: tuple[str, ...], archived: tuple[bool, bool], sort: str, after: bool
) -> Statement:
    column, _ = SORTS[sort.lstrip("-")]
    descending = sort.startswith("-")
    query = select(*PUBLIC).where(_visible(seen, Deal.owner_id))
    for name in filters:
        if name in _FLAGS:
            query = query.where(_FLAGS[name])
        elif name in _EQUAL:
            query = query.where(_EQUAL[name] == bindparam(name, type_=PG_UUID()))
        else:
            query = query.where(_RANGES[name](bindparam(name)))
    only, also = archived
    query = query.where(archived_condition(Deal.archived_at, archived=only, include_archived=also))
    if after:
        key = tuple_(column, Deal.id)
        start = tuple_(bindparam("after_key", type_=column.type), bindparam("after_id"))
        query = query.where(key < start if descending else key > start)
    order = (column.desc(), Deal.id.desc()) if descending else (column, Deal.id)
    return Statement.of(query.order_by(*order).limit(bindparam("limit", type_=Integer)))


async def deal_page(
    reads: ReadPool,
    identity: Identity,
    filters: DealFilters,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """A page of the deals `identity` sees, as `Page[DealPublic]` writes it."""
    seen, params = visibility(identity)
    given = {
        name: value
        for name, value in filters.model_dump(exclude=_NOT_COMPARED).items()
        if value is not None and value is not False
    }
    order = sort  # what a cursor names: another sort's cursor is not read as this one's
    if filters.updated_since is not None:
        sort, order = "updated_at", CHANGED  # changes are paged through in the order they happened
    name = sort.lstrip("-")
    _, read = SORTS[name]
    if cursor:
        _, params["after_key"], params["after_id"] = decode_cursor(
            cursor, order_named(order), read, UUID
        )
    archived = (filters.archived, filters.include_archived)
    statement = _page_statement(seen, tuple(sorted(given)), archived, sort, bool(cursor))
    rows = await reads.rows(statement, **params, **given, limit=limit + 1)
    items = [dict(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1][name]
        next_cursor = encode_cursor(
            order, last.isoformat() if isinstance(last, datetime) else last, items[-1]["id"]
        )
    return {"items": items, "next_cursor": next_cursor}


# --- one deal, or the deals a write returns ---------------------------------------------------


@cache
def _one_statement(seen: str) -> Statement:
    return Statement.of(
        select(*PUBLIC).where(Deal.id == bindparam("deal_id"), _visible(seen, Deal.owner_id))
    )


_MANY = Statement.of(
    select(*PUBLIC).where(Deal.id == func.any(bindparam("ids", type_=ARRAY(PG_UUID()))))
)


async def deal_public(reads: ReadPool, identity: Identity, deal_id: UUID) -> dict[str, Any]:
    """One deal as `DealPublic` writes it; `NotFound` when it is not one `identity` sees."""
    seen, params = visibility(identity)
    row = await reads.row(_one_statement(seen), **params, deal_id=deal_id)
    if row is None:
        raise NotFound("deal")
    return dict(row)


async def deals_public(reads: ReadPool, deal_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """Deals just written (the writer saw them), as `DealPublic` writes them, in that order."""
    rows = {row["id"]: dict(row) for row in await reads.rows(_MANY, ids=list(deal_ids))}
    return [rows[str(deal_id)] for deal_id in deal_ids if str(deal_id) in rows]


STAGE_COLUMNS = (
    Stage.id,
    Stage.name,
    Stage.position,
    Stage.probability,
    Stage.kind,
    Stage.required_fields,
    Stage.completed_activity,
    Stage.document,
    Stage.no_skipping,
    Stage.close_date_not_past,
    Stage.service_requirements,
)


# --- pipelines -------------------------------------------------------------------------------

_PIPELINES = Statement.of(
    select(
        Pipeline.id.label("pipeline_id"),
        Pipeline.name.label("pipeline_name"),
        Pipeline.is_default,
        *STAGE_COLUMNS,
    )
    .outerjoin_from(Pipeline, Stage, Stage.pipeline_id == Pipeline.id)
    .order_by(Pipeline.is_default.desc(), Pipeline.name, Pipeline.id, Stage.position)
)


async def pipelines(reads: ReadPool) -> list[dict[str, Any]]:
    """Every pipeline with its stages, as `list[PipelinePublic]` writes it: the default first."""
    found: dict[str, dict[str, Any]] = {}
    for row in await reads.rows(_PIPELINES):
        pipeline = found.setdefault(
            row["pipeline_id"],
            {
                "id": row["pipeline_id"],
                "name": row["pipeline_name"],
                "is_default": row["is_default"],
                "stages": [],
            },
        )
        if row["id"] is not None:
            pipeline["stages"].append({column.key: row[column.key] for column in STAGE_COLUMNS})
    return list(found.values())


# --- the board --------------------------------------------------------------------------------

_STAGES = Statement.of(
    select(Pipeline.name.label("pipeline_name"), *STAGE_COLUMNS)
    .join_from(Pipeline, Stage, Stage.pipeline_id == Pipeline.id)
    .where(Pipeline.id == bindparam("pipeline_id"))
    .order_by(Stage.position)
)
_STAGE_IDS = bindparam("stage_ids", type_=ARRAY(PG_UUID()))
_ACTIVITY = ("id", "kind", "title", "starts_at", "recurring")


@cache
def _tally_statement(seen: str, one_owner: bool) -> Statement:
    count = func.sum(DealTally.count)
    query = select(DealTally.stage_id, DealTally.currency, count, func.sum(DealTally.amount))
    query = query.where(DealTally.stage_id == func.any(_STAGE_IDS))
    query = query.where(_visible(seen, DealTally.owner_id))
    if one_owner:
        query = query.where(DealTally.owner_id == bindparam("owner_id", type_=PG_UUID()))
    grouped = query.group_by(DealTally.stage_id, DealTally.currency).having(count > 0)
    return Statement.of(grouped.order_by(DealTally.stage_id, DealTally.currency))


# What a card shows on the board's page (`brief`): a card without the rest of the deal.
BRIEF = (
    "id",
    "title",
    "company_id",
    "owner_id",
    "amount",
    "currency",
    "expected_close_date",
    "stage_id",
)


@cache
def _cards_statement(seen: str, one_owner: bool, brief: bool) -> Statement:
    """Each stage's newest cards (one LATERAL query for all columns), with the company's and
    owner's names and the next planned activity; `brief`: with only the fields of `BRIEF`."""
    stages = (
        func.unnest(_STAGE_IDS).table_valued("id", with_ordinality="n").render_derived("column")
    )
    newest: Select[Any] = select(Deal).where(
        Deal.stage_id == stages.c.id, Deal.archived_at.is_(None), _visible(seen, Deal.owner_id)
    )
    if one_owner:
        newest = newest.where(Deal.owner_id == bindparam("owner_id", type_=PG_UUID()))
    newest_cards = (
        newest.order_by(Deal.created_at.desc(), Deal.id.desc())
        .limit(bindparam("limit", type_=Integer))
        .lateral("deal")
    )
    activity = (
        select(*(getattr(DealActivity, name) for name in _ACTIVITY))
        .where(DealActivity.deal_id == newest_cards.c.id, DealActivity.status == "scheduled")
        .order_by(DealActivity.starts_at, DealActivity.id)
        .limit(1)
        .lateral("next_activity")
    )
    contacts = func.coalesce(
        select(func.array_agg(aggregate_order_by(DealContact.contact_id, DealContact.contact_id)))
        .where(DealContact.deal_id == newest_cards.c.id)
        .scalar_subquery(),
        literal_column("'{}'::uuid[]"),
    ).label("contact_ids")
    deal_columns = [
        contacts if column.key == "contact_ids" else newest_cards.c[column.key]
        for column in PUBLIC
        if not brief or column.key in BRIEF
    ]
    query = (
        select(
            stages.c.id.label("column_id"),
            *deal_columns,
            func.coalesce(Company.name, "").label("company_name"),
            Member.name.label("owner_name"),
            *(activity.c[name].label(f"activity_{name}") for name in _ACTIVITY),
        )
        .select_from(stages)
        .join(newest_cards, true())
        .outerjoin(Company, Company.id == newest_cards.c.company_id)
        .outerjoin(Member, Member.id == newest_cards.c.owner_id)
        .outerjoin(activity, true())
        .order_by(stages.c.n, newest_cards.c.created_at.desc(), newest_cards.c.id.desc())
    )
    return Statement.of(query)


def _card(row: Any) -> dict[str, Any]:
    card = dict(row)
    del card["column_id"]
    activity = {name: card.pop(f"activity_{name}") for name in _ACTIVITY}
    card["next_activity"] = activity if activity["id"] is not None else None
    return card


async def board(
    reads: ReadPool,
    identity: Identity,
    pipeline_id: UUID,
    *,
    owner_id: UUID | None,
    limit: int,
    brief: bool = False,
) -> dict[str, Any]:
    """The kanban board as `Board` writes it: per stage its totals (from the running tallies)
    and its newest `limit` cards that `identity` sees, of `owner_id` alone when given; `brief`
    cards carry only what a card shows (`BriefBoard`)."""
    seen, params = visibility(identity)
    if owner_id is not None:
        params["owner_id"] = owner_id
    tallies, cards = (
        _tally_statement(seen, owner_id is not None),
        _cards_statement(seen, owner_id is not None, brief),
    )

    async def read(connection: Any) -> tuple[list[Any], list[Any], list[Any]]:
        stages = await connection.fetch(
            _STAGES.sql, *_STAGES.arguments({"pipeline_id": pipeline_id})
        )
        if not stages:
            return [], [], []
        ids = {"stage_ids": [stage["id"] for stage in stages], "limit": limit, **params}
        sums = await connection.fetch(tallies.sql, *tallies.arguments(ids))
        return stages, sums, await connection.fetch(cards.sql, *cards.arguments(ids))

    stages, sums, rows = await reads.run(read)
    if not stages:
        raise NotFound("pipeline")
    columns: dict[str, dict[str, Any]] = {
        stage["id"]: {
            "stage": {column.key: stage[column.key] for column in STAGE_COLUMNS},
            "count": 0,
            "totals": [],
            "deals": [],
        }
        for stage in stages
    }
    for stage_id, currency, count, amount in sums:
        columns[stage_id]["count"] += count
        columns[stage_id]["totals"].append({"currency": currency, "amount": amount})
    for row in rows:
        columns[row["column_id"]]["deals"].append(_card(row))
    return {
        "pipeline_id": pipeline_id,
        "name": stages[0]["pipeline_name"],
        "columns": list(columns.values()),
    }
