"""`/api/plans/clients`: the clients revenue can be planned for (replicated from deals)."""

from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from services.planning.tables import Client
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.pagination import Cursor, Limit, Page, keyset, page_of

router = APIRouter(prefix="/api/plans/clients", tags=["plans"])


class ClientPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    tax_id: str | None


@router.get("")
async def list_clients(
    sessions: Sessions, _: CurrentIdentity, limit: Limit = 50, cursor: Cursor = None
) -> Page[ClientPublic]:
    query = keyset(
        select(Client), (Client.name, Client.id), cursor=cursor, types=(str, UUID), limit=limit
    )
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    clients = [ClientPublic.model_validate(row) for row in rows]
    return page_of(clients, limit, key=lambda client: (client.name, client.id))
