"""Plan against actual and forecast for a period: company, groups, managers and their clients."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import Numeric, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.domain.periods import Period
from services.planning.domain.rollup import IN_SUBMITTED, carry_up, in_final
from services.planning.tables import Client, DealReplica, Member, PlanLine, Team
from services.planning.usecases.plan_settings import settings
from shared.auth import Identity
from shared.errors import Forbidden, NotFound

Scope = Literal["company", "team", "manager"]


@dataclass(frozen=True)
class Figures:
    submitted: Decimal = Decimal(0)
    final: Decimal = Decimal(0)
    actual: Decimal = Decimal(0)
    forecast: Decimal = Decimal(0)

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            self.submitted + other.submitted,
            self.final + other.final,
            self.actual + other.actual,
            self.forecast + other.forecast,
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


def _zero() -> Any:
    return literal(0, Numeric(14, 2))


async def _figures_by(
    session: AsyncSession,
    key: Key,
    *,
    period: Period,
    start: date,
    end: date,
    manager_id: UUID | None = None,
) -> dict[UUID, Figures]:
    """Plan (both layers), actual and forecast in the period, in the base currency, per manager or
    per client (of one manager when given), in one aggregate query."""
    plan = await settings(session)
    line_key = PlanLine.manager_id if key == "manager" else PlanLine.company_id
    # Summing by status first keeps the scan as cheap as a plain GROUP BY; the few sums per key
    # are then split by the domain's rule of what counts in the submitted and the final plan.
    by_status = select(
        line_key.label("key"), PlanLine.status, func.sum(PlanLine.amount).label("amount")
    ).where(PlanLine.period == period, PlanLine.start_date == start, PlanLine.end_date == end)
    deal_key = DealReplica.owner_id if key == "manager" else DealReplica.company_id
    weighted = func.round(DealReplica.amount * DealReplica.probability / 100, 2)
    deals = select(
        deal_key,
        _zero(),
        _zero(),
        _sum_if(DealReplica.amount, DealReplica.stage_kind == "won"),
        _sum_if(weighted, DealReplica.stage_kind == "open"),
    ).where(
        DealReplica.currency == plan.base_currency,
        DealReplica.expected_close_date.between(start, end),
        DealReplica.stage_kind.in_(("won", "open")),
        DealReplica.archived.is_(False),
    )
    if manager_id is not None:
        by_status = by_status.where(PlanLine.manager_id == manager_id)
        deals = deals.where(DealReplica.owner_id == manager_id)
    sums = by_status.group_by(line_key, PlanLine.status).subquery()
    final = in_final(approval_required=plan.approval_required)
    lines = select(
        sums.c.key,
        _sum_if(sums.c.amount, sums.c.status.in_(IN_SUBMITTED)).label("submitted"),
        _sum_if(sums.c.amount, sums.c.status.in_(final)).label("final"),
        _zero().label("actual"),
        _zero().label("forecast"),
    ).group_by(sums.c.key)
    both = union_all(lines, deals.group_by(deal_key)).subquery()
    rows = await session.execute(
        select(
            both.c.key,
            func.sum(both.c.submitted),
            func.sum(both.c.final),
            func.sum(both.c.actual),
            func.sum(both.c.forecast),
        ).group_by(both.c.key)
    )
    return {row[0]: Figures(*row[1:]) for row in rows}


async def summary(
    session: AsyncSession,
    *,
    identity: Identity,
    period: Period,
    start: date,
    end: date,
    scope: Scope,
    id_: UUID | None,
) -> Node:
    """The figures of the company, a group or a manager, with the level below as children."""
    between: dict[str, Any] = {"period": period, "start": start, "end": end}
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
