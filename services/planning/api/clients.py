"""`/api/plans/clients`: the clients revenue can be planned for (replicated from deals)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import select

from services.planning.schemas import ClientPublic
from services.planning.tables import Client
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.pagination import Cursor, Limit, Page, keyset, page_of

router = APIRouter(prefix="/api/plans/clients", tags=["plans"])


@router.get("")
async def list_clients(
    sessions: Sessions,
    _: CurrentIdentity,
    limit: Limit = 50,
    cursor: Cursor = None,
    id: Annotated[list[UUID] | None, Query(max_length=200, description="only these")] = None,
    q: Annotated[str | None, Query(max_length=100, description="name contains (any case)")] = None,
) -> Page[ClientPublic]:
    chosen = select(Client).where(Client.id.in_(id)) if id else select(Client)
    if q and q.strip():
        chosen = chosen.where(Client.name.icontains(q.strip(), autoescape=True))
    query = keyset(chosen, (Client.name, Client.id), cursor=cursor, types=(str, UUID), limit=limit)
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    clients = [ClientPublic.model_validate(row) for row in rows]
    return page_of(clients, limit, key=lambda client: (client.name, client.id))
