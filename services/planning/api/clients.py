"""`/api/plans/clients`: the clients revenue can be planned for (replicated from deals)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import select

from services.planning.schemas import ClientPublic
from services.planning.tables import Client, CustomerAccess, LinkedRecord, Member
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.links import readers_of, visible_customer_ids
from shared.pagination import Cursor, Limit, Page, keyset, page_of

router = APIRouter(prefix="/api/plans/clients", tags=["plans"])


@router.get("")
async def list_clients(
    sessions: Sessions,
    identity: CurrentIdentity,
    limit: Limit = 50,
    cursor: Cursor = None,
    id: Annotated[list[UUID] | None, Query(max_length=200, description="only these")] = None,
    q: Annotated[str | None, Query(max_length=100, description="name contains (any case)")] = None,
) -> Page[ClientPublic]:
    """The clients the caller may see (every salesperson all of them, unless the administrator
    lets only the owner's group read a customer)."""
    chosen = select(Client).where(Client.id.in_(id)) if id else select(Client)
    if q and q.strip():
        chosen = chosen.where(Client.name.icontains(q.strip(), autoescape=True))
    query = keyset(chosen, (Client.name, Client.id), cursor=cursor, types=(str, UUID), limit=limit)
    async with sessions() as session:
        readers = await readers_of(session, CustomerAccess)
        visible = visible_customer_ids(
            identity, "company", readers, records=LinkedRecord, members=Member
        )
        if visible is not None:
            query = query.where(Client.id.in_(visible))
        rows = (await session.scalars(query)).all()
    clients = [ClientPublic.model_validate(row) for row in rows]
    return page_of(clients, limit, key=lambda client: (client.name, client.id))
