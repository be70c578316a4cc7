"""Plan against actual and forecast for a period, at company, group or manager level."""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.domain.periods import Period
from services.planning.domain.rollup import Line, carry_up, line_totals
from services.planning.tables import DealReplica, Member, PlanLine, Team
from services.planning.usecases.lines import settings
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


def _add(into: dict[Any, Figures], key: Hashable, figures: Figures) -> None:
    into[key] = into.get(key, Figures()) + figures


async def _per_manager(
    session: AsyncSession, period: Period, start: date, end: date
) -> dict[Any, Figures]:
    """Each manager's plan (both layers), actual and forecast in the period, base currency."""
    plan = await settings(session)
    figures: dict[Any, Figures] = {}
    lines = await session.scalars(
        select(PlanLine).where(
            PlanLine.period == period, PlanLine.start_date == start, PlanLine.end_date == end
        )
    )
    for row in lines:
        line = Line(row.manager_id, row.company_id, row.amount, row.status)  # type: ignore[arg-type]
        totals = line_totals(line, approval_required=plan.approval_required)
        _add(figures, row.manager_id, Figures(submitted=totals.submitted, final=totals.final))
    deals = await session.scalars(
        select(DealReplica).where(
            DealReplica.currency == plan.base_currency,
            DealReplica.expected_close_date.between(start, end),
            DealReplica.stage_kind.in_(("won", "open")),
        )
    )
    for deal in deals:
        amount = deal.amount or Decimal(0)
        if deal.stage_kind == "won":
            _add(figures, deal.owner_id, Figures(actual=amount))
        else:
            _add(
                figures,
                deal.owner_id,
                Figures(forecast=(amount * deal.probability / 100).quantize(Decimal("0.01"))),
            )
    return figures


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
    teams = {team.id: team for team in await session.scalars(select(Team))}
    members = {member.id: member for member in await session.scalars(select(Member))}
    parents: Mapping[UUID, UUID | None] = {
        team_id: team.parent_id for team_id, team in teams.items()
    }
    team_of = {member_id: member.team_id for member_id, member in members.items()}
    per_manager = await _per_manager(session, period, start, end)
    per_team = carry_up(parents, team_of, per_manager, zero=Figures())
    if scope == "manager":
        manager_id = id_ or UUID(identity.user_id)
        member = members.get(manager_id)
        if member is None:
            raise NotFound("manager")
        _check(identity, member.team_id, own=manager_id)
        return Node("manager", manager_id, member.name, per_manager.get(manager_id, Figures()))
    team_id = id_ if scope == "team" else next((t for t, p in parents.items() if p is None), None)
    if team_id is None or team_id not in teams:
        raise NotFound("sales group")
    _check(identity, team_id)
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


def _check(identity: Identity, team_id: UUID | None, own: UUID | None = None) -> None:
    """A manager sees their own figures, a head the group's subtree, an admin everything."""
    if identity.role == "admin" or (own is not None and str(own) == identity.user_id):
        return
    if identity.role == "head" and str(team_id) in identity.team_ids:
        return
    raise Forbidden("these figures are outside what you may see")
