"""The plan grid: a manager's clients by consecutive periods of one kind, each cell the client's
line of that period (to edit) and the plan its days add up to from lines of every size."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.domain.periods import Period
from services.planning.domain.prorata import crosses, share
from services.planning.tables import Client, GridClient, Member, PlanLine
from services.planning.usecases.lines import check_client, may_plan_for, overlapping
from services.planning.usecases.locks import dates_of
from shared.auth import Identity
from shared.db import SessionFactory, unit_of_work
from shared.errors import Forbidden, NotFound

NOTHING = Decimal("0.00")


@dataclass(frozen=True)
class Cell:
    start_date: date
    end_date: date
    line: PlanLine | None  # the client's line of exactly this period
    planned: Decimal  # every line in these days, whatever its size and status
    prorated: bool  # some of them cross the period's edges and count by their days in it
    other_sizes: bool  # some of them are of another size or range


@dataclass(frozen=True)
class Row:
    company_id: UUID
    name: str
    kept: bool
    cells: list[Cell]

    @property
    def total(self) -> Decimal:
        return sum((cell.planned for cell in self.cells), NOTHING)


@dataclass(frozen=True)
class Grid:
    manager_id: UUID
    period: Period
    columns: list[tuple[date, date]]
    rows: list[Row]

    def column_total(self, index: int) -> Decimal:
        return sum((row.cells[index].planned for row in self.rows), NOTHING)

    @property
    def total(self) -> Decimal:
        return sum((row.total for row in self.rows), NOTHING)


async def _plannable(session: AsyncSession, identity: Identity, manager_id: UUID) -> None:
    """The grid of a manager is theirs, their head's and the administrator's."""
    member = await session.get(Member, manager_id)
    if member is None:
        raise NotFound("manager")
    if not may_plan_for(identity, manager_id, member.team_id):
        raise Forbidden("this plan is outside what you may see")


def _columns(period: Period, start: date, count: int) -> list[tuple[date, date]]:
    columns = [dates_of(period, start, where="query")]
    while len(columns) < count:
        columns.append(dates_of(period, columns[-1][1] + timedelta(days=1)))
    return columns


def _cell(period: Period, start: date, end: date, lines: list[PlanLine]) -> Cell:
    touching = [line for line in lines if line.start_date <= end and line.end_date >= start]
    own = next(
        (
            line
            for line in touching
            if (line.period, line.start_date, line.end_date) == (period, start, end)
        ),
        None,
    )
    return Cell(
        start,
        end,
        own,
        sum(
            (share(line.amount, line.start_date, line.end_date, start, end) for line in touching),
            NOTHING,
        ),
        any(crosses(line.start_date, line.end_date, start, end) for line in touching),
        any(line is not own for line in touching),
    )


async def grid(
    session: AsyncSession,
    *,
    identity: Identity,
    manager_id: UUID,
    period: Period,
    start: date,
    count: int,
) -> Grid:
    """`count` periods of a kind from the one starting on `start`, a row per client the manager
    planned in those days or keeps in the grid."""
    await _plannable(session, identity, manager_id)
    columns = _columns(period, start, count)
    found = await session.scalars(
        select(PlanLine).where(overlapping(manager_id, columns[0][0], columns[-1][1]))
    )
    by_client: dict[UUID, list[PlanLine]] = defaultdict(list)
    for line in found:
        by_client[line.company_id].append(line)
    kept = set(
        await session.scalars(
            select(GridClient.company_id).where(GridClient.manager_id == manager_id)
        )
    )
    names = await session.execute(
        select(Client.id, Client.name).where(Client.id.in_(kept | set(by_client)))
    )
    rows = [
        Row(
            company_id,
            name,
            company_id in kept,
            [_cell(period, begin, end, by_client[company_id]) for begin, end in columns],
        )
        for company_id, name in sorted(names, key=lambda pair: (pair[1], pair[0]))
    ]
    return Grid(manager_id, period, columns, rows)


async def keep_client(
    sessions: SessionFactory, *, identity: Identity, manager_id: UUID, company_id: UUID
) -> None:
    """Keep a client in the manager's grid, before anything is planned for it."""
    async with unit_of_work(sessions) as session:
        await _plannable(session, identity, manager_id)
        await check_client(session, identity, company_id)
        await session.execute(
            insert(GridClient)
            .values(manager_id=manager_id, company_id=company_id, added_by=identity.user_id)
            .on_conflict_do_nothing()
        )


async def drop_client(
    sessions: SessionFactory, *, identity: Identity, manager_id: UUID, company_id: UUID
) -> None:
    """No longer keep the client in the grid (its lines, if any, still show it)."""
    async with unit_of_work(sessions) as session:
        await _plannable(session, identity, manager_id)
        await session.execute(
            delete(GridClient).where(
                GridClient.manager_id == manager_id, GridClient.company_id == company_id
            )
        )
