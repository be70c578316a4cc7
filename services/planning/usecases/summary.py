"""Plan against actual and forecast for any period: company, groups, managers and their clients.

A period's plan is made of every line overlapping it, whatever the lines' size: those inside it
count whole, those crossing its edges in proportion to their days (`domain/prorata.py`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import (
    Date,
    Numeric,
    and_,
    case,
    false,
    func,
    literal,
    not_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.domain.periods import LONGEST
from services.planning.domain.rollup import IN_SUBMITTED, carry_up, in_final
from services.planning.tables import Client, DealReplica, Member, PlanLine, Team
from services.planning.usecases.plan_settings import settings
from shared.auth import Identity
from shared.errors import Forbidden, NotFound

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
    id: UUID
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


def _shares(key: Any, start: date, end: date, manager_id: UUID | None) -> Any:
    """Every line overlapping the window with its share of it (`domain/prorata.py`'s rule).

    Each period kind is read as ranges of the covering index, since no line of a kind is longer
    than its kind's longest period: the lines inside the window (summed whole, as a plain
    GROUP BY would), and the few crossing its first or its last day (counted by their days in
    it). Custom ranges have no longest, so they are read in one range and told apart per line.
    """
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
    mine = [PlanLine.manager_id == manager_id] if manager_id else []

    def lines(columns: tuple[Any, ...], *where: Any) -> Any:
        return select(*columns).where(*where, *mine)

    parts = []
    for kind, longest in LONGEST.items():
        of_kind = PlanLine.period == kind
        parts.append(
            lines(whole, of_kind, PlanLine.start_date.between(start, end), PlanLine.end_date <= end)
        )
        if longest > 1:
            before = start - timedelta(days=longest - 1), start - timedelta(days=1)
            parts.append(
                lines(
                    in_part,
                    of_kind,
                    PlanLine.start_date.between(*before),
                    PlanLine.end_date >= start,
                )
            )
            last_starts = max(start, end - timedelta(days=longest - 2)), end
            parts.append(
                lines(
                    in_part,
                    of_kind,
                    PlanLine.start_date.between(*last_starts),
                    PlanLine.end_date > end,
                )
            )
    custom = (PlanLine.period == "custom", PlanLine.start_date <= end, PlanLine.end_date >= start)
    parts.append(lines(either, *custom))
    return union_all(*parts).subquery()


async def _figures_by(
    session: AsyncSession,
    key: Key,
    *,
    start: date,
    end: date,
    manager_id: UUID | None = None,
) -> dict[UUID, Figures]:
    """Plan (both layers), actual and forecast in the window, in the base currency, per manager
    or per client (of one manager when given), in one aggregate query."""
    plan = await settings(session)
    line_key = PlanLine.manager_id if key == "manager" else PlanLine.company_id
    shares = _shares(line_key, start, end, manager_id)
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
    final = in_final(approval_required=plan.approval_required)
    counted = sums.c.status.in_(IN_SUBMITTED)
    lines = select(
        sums.c.key,
        _sum_if(sums.c.amount, counted).label("submitted"),
        _sum_if(sums.c.amount, sums.c.status.in_(final)).label("final"),
        _zero().label("actual"),
        _zero().label("forecast"),
        func.coalesce(func.bool_or(sums.c.partial).filter(counted), False).label("prorated"),
    ).group_by(sums.c.key)
    deal_key = DealReplica.owner_id if key == "manager" else DealReplica.company_id
    # In the base currency, and not archived (as the replica's partial indexes say it).
    in_base = and_(DealReplica.currency == plan.base_currency, not_(DealReplica.archived))
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
    if manager_id is not None:
        won = won.where(DealReplica.owner_id == manager_id)
        open_ = open_.where(DealReplica.owner_id == manager_id)
    both = union_all(lines, won.group_by(deal_key), open_.group_by(deal_key)).subquery()
    rows = await session.execute(
        select(
            both.c.key,
            func.sum(both.c.submitted),
            func.sum(both.c.final),
            func.sum(both.c.actual),
            func.sum(both.c.forecast),
            func.bool_or(both.c.prorated),
        ).group_by(both.c.key)
    )
    return {row[0]: Figures(*row[1:]) for row in rows}


async def summary(
    session: AsyncSession,
    *,
    identity: Identity,
    start: date,
    end: date,
    scope: Scope,
    id_: UUID | None,
) -> Node:
    """The figures of the company, a group or a manager, with the level below as children."""
    between: dict[str, Any] = {"start": start, "end": end}
    if scope == "manager":
        manager_id = id_ or UUID(identity.user_id)
        member = await session.get(Member, manager_id)
        if member is None:
            raise NotFound("manager")
        _check(identity, member.team_id, own=manager_id)
        return await _manager_node(session, manager_id, member.name, between)
    teams = {team.id: team for team in await session.scalars(select(Team).order_by(Team.name))}
    members = {m.id: m for m in await session.scalars(select(Member).order_by(Member.name))}
    parents: Mapping[UUID, UUID | None] = {
        team_id: team.parent_id for team_id, team in teams.items()
    }
    team_id = id_ if scope == "team" else next((t for t, p in parents.items() if p is None), None)
    if team_id is None or team_id not in teams:
        raise NotFound("sales group")
    _check(identity, team_id)
    per_manager = await _figures_by(session, "manager", **between)
    team_of = {member_id: member.team_id for member_id, member in members.items()}
    per_team = carry_up(parents, team_of, per_manager, zero=Figures())
    node = Node(scope, team_id, teams[team_id].name, per_team[team_id])
    node.children = [
        Node("team", child, teams[child].name, per_team[child])
        for child, parent in parents.items()
        if parent == team_id
    ] + [
        Node("manager", member_id, member.name, per_manager.get(member_id, Figures()))
        for member_id, member in members.items()
        if member.team_id == team_id and member.role in ("manager", "head")
    ]
    return node


async def _manager_node(
    session: AsyncSession, manager_id: UUID, name: str, between: dict[str, Any]
) -> Node:
    """A manager's figures with one child per client planned or sold to in the period."""
    per_client = await _figures_by(session, "client", manager_id=manager_id, **between)
    clients = await session.execute(select(Client.id, Client.name).where(Client.id.in_(per_client)))
    names: dict[UUID, str] = {client_id: name for client_id, name in clients}
    children = sorted(
        (
            Node("client", client_id, names.get(client_id, ""), figures)
            for client_id, figures in per_client.items()
        ),
        key=lambda child: child.name,
    )
    total = sum((child.figures for child in children), Figures())
    return Node("manager", manager_id, name, total, children)


def _check(identity: Identity, team_id: UUID | None, own: UUID | None = None) -> None:
    """A manager sees their own figures, a head the group's subtree, an admin everything."""
    if identity.role == "admin" or (own is not None and str(own) == identity.user_id):
        return
    if identity.role == "head" and str(team_id) in identity.team_ids:
        return
    raise Forbidden("these figures are outside what you may see")
