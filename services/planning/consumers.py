"""Events planning applies to its replicas (idempotent: the kernel's inbox drops repeats)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.tables import Client
from shared.consumer import Handler
from shared.contracts.deals import CompanyCreated
from shared.events import Envelope


async def on_company_created(session: AsyncSession, event: Envelope[Any]) -> None:
    """A new company becomes a client that managers can plan for."""
    company: CompanyCreated = event.data
    values = {"name": company.name, "tax_id": company.tax_id, "replicated_at": func.now()}
    await session.execute(
        insert(Client)
        .values(id=company.company_id, **values)
        .on_conflict_do_update(index_elements=[Client.id], set_=values)
    )


HANDLERS: Mapping[str, Handler] = {CompanyCreated.type: on_company_created}
