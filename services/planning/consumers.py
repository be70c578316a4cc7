"""Events planning applies to its replicas (idempotent: the kernel's inbox drops repeats)."""

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.tables import (
    Client,
    CustomerAccess,
    DealReplica,
    LinkedRecord,
    Member,
    Team,
)
from services.planning.usecases.locks import COMPANY_TIME_ZONE
from shared.consumer import Handler
from shared.contracts.deals import (
    CompanyCreated,
    DealArchived,
    DealCreated,
    DealLost,
    DealRestored,
    DealSnapshot,
    DealStageChanged,
    DealUpdated,
    DealWon,
)
from shared.contracts.gateway import TeamChanged, UserCreated, UserSnapshot, UserUpdated
from shared.events import Envelope
from shared.links import with_links
from shared.replicas import upsert_newer

_CLIENTS = cast(Table, Client.__table__)
_CLIENT = insert(_CLIENTS).values(
    id=bindparam("company_id", type_=_CLIENTS.c.id.type),
    name=bindparam("name", type_=_CLIENTS.c.name.type),
    tax_id=bindparam("tax_id", type_=_CLIENTS.c.tax_id.type),
    replicated_at=func.now(),
)
# Built once, as every company's first event takes this way.
_NEW_CLIENT = _CLIENT.on_conflict_do_update(
    index_elements=[_CLIENTS.c.id],
    set_={
        "name": _CLIENT.excluded.name,
        "tax_id": _CLIENT.excluded.tax_id,
        "replicated_at": func.now(),
    },
)


async def on_company_created(session: AsyncSession, event: Envelope[Any]) -> None:
    """A new company becomes a client that managers can plan for."""
    company: CompanyCreated = event.data
    await session.execute(
        _NEW_CLIENT,
        {"company_id": company.company_id, "name": company.name, "tax_id": company.tax_id},
    )


async def on_team_changed(session: AsyncSession, event: Envelope[Any]) -> None:
    """The group tree plans roll up along."""
    team: TeamChanged = event.data
    values = {"name": team.name, "parent_id": team.parent_id, "head_id": team.head_id}
    await upsert_newer(session, Team, team.team_id, {**values, "changed_at": event.time})


async def on_user_snapshot(session: AsyncSession, event: Envelope[Any]) -> None:
    """Who plans, in which group; deactivated people stay for the history of their plans."""
    user: UserSnapshot = event.data
    values = {"name": user.name, "role": user.role, "team_id": user.team_id, "active": user.active}
    await upsert_newer(session, Member, user.user_id, {**values, "changed_at": event.time})


async def on_deal_snapshot(session: AsyncSession, event: Envelope[Any]) -> None:
    """Every deal event carries the whole deal: keep the newest, for actuals and the forecast
    (an archived deal counts in neither).

    A won deal is actual revenue on the company's date it was won: `crm.deal.won.v1`'s time (the
    stage change that comes with it gives the same day). Later snapshots of a deal still won keep
    that day; leaving the won stage (reopened, lost) clears it.
    """
    deal: DealSnapshot = event.data
    won = deal.stage_kind == "won"
    values = {
        "owner_id": deal.owner_id,
        "company_id": deal.company_id,
        "amount": deal.amount,
        "currency": deal.currency,
        "expected_close_date": deal.expected_close_date,
        "probability": deal.probability,
        "stage_kind": deal.stage_kind,
        "won_on": event.time.astimezone(COMPANY_TIME_ZONE).date() if won else None,
        "archived": deal.archived,
        "changed_at": event.time,
    }
    statement = insert(DealReplica).values(id=deal.deal_id, **values)
    keeps_day = won and not isinstance(deal, DealWon)
    won_on = (
        func.coalesce(DealReplica.won_on, statement.excluded.won_on)
        if keeps_day
        else statement.excluded.won_on
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[DealReplica.id],
            set_={**values, "won_on": won_on},
            where=DealReplica.changed_at <= statement.excluded.changed_at,
        )
    )


DEAL_EVENTS = (
    DealCreated,
    DealUpdated,
    DealStageChanged,
    DealWon,
    DealLost,
    DealArchived,
    DealRestored,
)

OWN_HANDLERS: Mapping[str, Handler] = {
    **{contract.type: on_deal_snapshot for contract in DEAL_EVENTS},
    CompanyCreated.type: on_company_created,
    TeamChanged.type: on_team_changed,
    UserCreated.type: on_user_snapshot,
    UserUpdated.type: on_user_snapshot,
}
# and who owns each client, to check a plan line's client against what the planner sees
HANDLERS = with_links(OWN_HANDLERS, LinkedRecord, CustomerAccess)
