"""Plan against actual and forecast for any period: company, groups, managers and their clients.

A period's plan is made of every line overlapping it, whatever the lines' size: those inside it
count whole, those crossing its edges in proportion to their days (`domain/prorata.py`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, Literal
from uuid import UUID

import asyncpg
from sqlalchemy import (
    ARRAY,
    Date,
    Numeric,
    Text,
    and_,
    any_,
    bindparam,
    case,
    false,
    func,
    literal,
    not_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from services.planning.domain.periods import LONGEST
from services.planning.domain.rollup import IN_SUBMITTED, carry_up, in_final
from services.planning.tables import Client, DealReplica, Member, PlanLine, PlanSettings, Team
from services.planning.usecases.plan_settings import DEFAULTS
from shared.auth import Identity
from shared.errors import Forbidden, NotFound
from shared.reads import ReadPool, Statement

Scope = Literal["company", "team", "manager"]


NOTHING = Decimal("0.00")


@dataclass(frozen=True)
class Figures:
    submitted: Decimal = NOTHING
    final: Decimal = NOTHING
    actual: Decimal = NOTHING
    forecast: Decimal = NOTHING
    prorated: bool = False  # some line crossing the window's edges counts in part

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            self.submitted + other.submitted,
            self.final + other.final,
            self.actual + other.actual,
            self.forecast + other.forecast,
            self.prorated or other.prorated,
        )


@dataclass
class Node:
    scope: str
    id: str
    name: str
    figures: Figures
    children: list["Node"] = field(default_factory=list)


Key = Literal["manager", "client"]


def _sum_if(amount: Any, condition: Any) -> Any:
    return func.coalesce(func.sum(amount).filter(condition), 0)


def _total(amount: Any) -> Any:
    return func.coalesce(func.sum(amount), 0)


def _zero() -> Any:
    return literal(0, Numeric(14, 2))


def _day(name: str) -> Any:
    return bindparam(name, type_=Date)


def _edges(kind: str) -> tuple[str, str, str, str]:
    """The names of the parameters bounding the starts of a kind's lines crossing the window's
    first day and those crossing its last."""
    return f"{kind}_before_from", f"{kind}_before_to", f"{kind}_last_from", f"{kind}_last_to"


def _shares(key: Any, *, mine: bool) -> Any:
    """Every line overlapping the window (`:start` to `:end`) with its share of it
    (`domain/prorata.py`'s rule).

    Each period kind is read as ranges of the covering index, since no line of a kind is longer
    than its kind's longest period: the lines inside the window (summed whole, as a plain
    GROUP BY would), and the few crossing its first or its last day (counted by their days in
    it; the ranges' bounds are parameters, see `_window`). Custom ranges have no longest, so
    they are read in one range and told apart per line.
    """
    start, end = _day("start"), _day("end")
    inside = and_(PlanLine.start_date >= start, PlanLine.end_date <= end)
    shared = (
        func.least(PlanLine.end_date, end, type_=Date)
        - func.greatest(PlanLine.start_date, start, type_=Date)
        + 1
    )
    length = PlanLine.end_date - PlanLine.start_date + 1
    share = func.round(PlanLine.amount * shared / length, 2)
    whole = (key.label("key"), PlanLine.status, PlanLine.amount.label("share"), false())
    in_part = (key, PlanLine.status, share, true())
    either = (key, PlanLine.status, case((inside, PlanLine.amount), else_=share), ~inside)
    only = [PlanLine.manager_id == bindparam("manager", type_=PG_UUID())] if mine else []

    def lines(columns: tuple[Any, ...], *where: Any) -> Any:
        return select(*columns).where(*where, *only)

    parts = []
    for kind, longest in LONGEST.items():
        of_kind = PlanLine.period == kind
        parts.append(
            lines(whole, of_kind, PlanLine.start_date.between(start, end), PlanLine.end_date <= end)
        )
        if longest > 1:
            before_from, before_to, last_from, last_to = map(_day, _edges(kind))
            parts.append(
                lines(
                    in_part,
                    of_kind,
                    PlanLine.start_date.between(before_from, before_to),
                    PlanLine.end_date >= start,
                )
            )
            parts.append(
                lines(
                    in_part,
                    of_kind,
                    PlanLine.start_date.between(last_from, last_to),
                    PlanLine.end_date > end,
                )
            )
    custom = (PlanLine.period == "custom", PlanLine.start_date <= end, PlanLine.end_date >= start)
    parts.append(lines(either, *custom))
    return union_all(*parts).subquery()


def _window(start: date, end: date) -> dict[str, date]:
    """The parameters of `_shares` for the window from `start` to `end`."""
    window = {"start": start, "end": end}
    for kind, longest in LONGEST.items():
        if longest > 1:
            before_from, before_to, last_from, last_to = _edges(kind)
            window[before_from] = start - timedelta(days=longest - 1)
            window[before_to] = start - timedelta(days=1)
            window[last_from] = max(start, end - timedelta(days=longest - 2))
            window[last_to] = end
    return window


def _one_of(status: Any, statuses: frozenset[str]) -> Any:
    return status == any_(literal(sorted(statuses), ARRAY(Text)))


def _setting(column: Any, default: Any) -> Any:
    """A plan setting read in the statement itself (its default before the row is made)."""
    return func.coalesce(
        select(column).where(PlanSettings.id == 1).scalar_subquery(), literal(default)
    )


@cache
def _figures_statement(key: Key) -> Statement:
    """Plan (both layers), actual and forecast in the window, in the base currency, per manager
    (of everyone) or per client with its name (of `:manager`), in one aggregate statement built
    and compiled once per key."""
    mine = key == "client"
    line_key = PlanLine.manager_id if key == "manager" else PlanLine.company_id
    shares = _shares(line_key, mine=mine)
    # Summing by status first keeps the scan as cheap as a plain GROUP BY; the few sums per key
    # are then split by the domain's rule of what counts in the submitted and the final plan.
    partial = shares.c[3]
    sums = (
        select(
            shares.c.key,
            shares.c.status,
            func.sum(shares.c.share).label("amount"),
            func.bool_or(partial).label("partial"),
        )
        .group_by(shares.c.key, shares.c.status)
        .subquery()
    )
    approval = _setting(PlanSettings.approval_required, DEFAULTS["approval_required"])
    counted = _one_of(sums.c.status, IN_SUBMITTED)
    final = case(
        (approval, _one_of(sums.c.status, in_final(approval_required=True))),
        else_=_one_of(sums.c.status, in_final(approval_required=False)),
    )
    lines = select(
        sums.c.key,
        _sum_if(sums.c.amount, counted).label("submitted"),
        _sum_if(sums.c.amount, final).label("final"),
        _zero().label("actual"),
        _zero().label("forecast"),
        func.coalesce(func.bool_or(sums.c.partial).filter(counted), False).label("prorated"),
    ).group_by(sums.c.key)
    deal_key = DealReplica.owner_id if key == "manager" else DealReplica.company_id
    # In the base currency, and not archived (as the replica's partial indexes say it).
    base = _setting(PlanSettings.base_currency, DEFAULTS["base_currency"])
    in_base = and_(DealReplica.currency == base, not_(DealReplica.archived))
    start, end = _day("start"), _day("end")
    # Actual revenue counts on the day a deal was won, the forecast on the expected close.
    won = select(deal_key, _zero(), _zero(), _total(DealReplica.amount), _zero(), false()).where(
        in_base, DealReplica.won_on.between(start, end)
    )
    weighted = func.round(DealReplica.amount * DealReplica.probability / 100, 2)
    open_ = select(deal_key, _zero(), _zero(), _zero(), _total(weighted), false()).where(
        in_base,
        DealReplica.stage_kind == "open",
        DealReplica.expected_close_date.between(start, end),
    )
    if mine:
        manager = bindparam("manager", type_=PG_UUID())
        won = won.where(DealReplica.owner_id == manager)
        open_ = open_.where(DealReplica.owner_id == manager)
    both = union_all(lines, won.group_by(deal_key), open_.group_by(deal_key)).subquery()
    figures = select(
        both.c.key,
        func.sum(both.c.submitted).label("submitted"),
        func.sum(both.c.final).label("final"),
        func.sum(both.c.actual).label("actual"),
        func.sum(both.c.forecast).label("forecast"),
        func.bool_or(both.c.prorated).label("prorated"),
    ).group_by(both.c.key)
    if not mine:
        return Statement.of(figures)
    per_client = figures.subquery()
    named = func.coalesce(Client.name, "").label("name")
    return Statement.of(select(per_client, named).outerjoin(Client, Client.id == per_client.c.key))


def _figures(row: Any) -> Figures:
    return Figures(row["submitted"], row["final"], row["actual"], row["forecast"], row["prorated"])


_MEMBER = Statement.of(
    select(Member.name, Member.team_id).where(Member.id == bindparam("id", type_=PG_UUID()))
)
_TEAMS = Statement.of(select(Team.id, Team.name, Team.parent_id).order_by(Team.name))
_MEMBERS = Statement.of(
    select(Member.id, Member.name, Member.team_id, Member.role).order_by(Member.name)
)


async def summary(
    reads: ReadPool,
    *,
    identity: Identity,
    start: date,
    end: date,
    scope: Scope,
    id_: UUID | None,
) -> Node:
    """The figures of the company, a group or a manager, with the level below as children."""
    window = _window(start, end)
    if scope == "manager":
        manager_id = str(id_ or identity.user_id)
        return await reads.run(
            lambda connection: _manager(connection, identity, manager_id, window)
        )
    return await reads.run(lambda connection: _group(connection, identity, scope, id_, window))


async def _manager(
    connection: asyncpg.Connection, identity: Identity, manager_id: str, window: dict[str, date]
) -> Node:
    """A manager's figures with one child per client planned or sold to in the period."""
    member = await connection.fetchrow(_MEMBER.sql, *_MEMBER.arguments({"id": manager_id}))
    if member is None:
        raise NotFound("manager")
    _check(identity, member["team_id"], own=manager_id)
    statement = _figures_statement("client")
    rows = await connection.fetch(
        statement.sql, *statement.arguments(window | {"manager": manager_id})
    )
    children = sorted(
        (Node("client", row["key"], row["name"], _figures(row)) for row in rows),
        key=lambda child: child.name,
    )
    total = sum((child.figures for child in children), Figures())
    return Node("manager", manager_id, member["name"], total, children)


async def _group(
    connection: asyncpg.Connection,
    identity: Identity,
    scope: Scope,
    id_: UUID | None,
    window: dict[str, date],
) -> Node:
    """The figures of the company or a group, with its groups and managers as children; the
    tree and the figures read in one snapshot."""
    statement = _figures_statement("manager")
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        teams = {row["id"]: row for row in await connection.fetch(_TEAMS.sql)}
        parents: Mapping[str, str | None] = {t: row["parent_id"] for t, row in teams.items()}
        team_id = (
            str(id_)
            if scope == "team"
            else next((t for t, p in parents.items() if p is None), None)
        )
        if team_id is None or team_id not in teams:
            raise NotFound("sales group")
        _check(identity, team_id)
        members = await connection.fetch(_MEMBERS.sql)
        rows = await connection.fetch(statement.sql, *statement.arguments(window))
    per_manager = {row["key"]: _figures(row) for row in rows}
    team_of = {member["id"]: member["team_id"] for member in members}
    per_team = carry_up(parents, team_of, per_manager, zero=Figures())
    node = Node(scope, team_id, teams[team_id]["name"], per_team[team_id])
    node.children = [
        Node("team", child, teams[child]["name"], per_team[child])
        for child, parent in parents.items()
        if parent == team_id
    ] + [
        Node("manager", member["id"], member["name"], per_manager.get(member["id"], Figures()))
        for member in members
        if member["team_id"] == team_id and member["role"] in ("manager", "head")
    ]
    return node


def _check(identity: Identity, team_id: str | None, own: str | None = None) -> None:
    """A manager sees their own figures, a head the group's subtree, an admin everything."""
    if identity.role == "admin" or (own is not None and own == identity.user_id):
        return
    if identity.role == "head" and str(team_id) in identity.team_ids:
        return
    raise Forbidden("these figures are outside what you may see")
