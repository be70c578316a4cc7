"""`/api/notifications`: the signed-in user's notifications, newest first."""

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, update

from services.gateway.identity import CurrentUser
from services.gateway.tables import Notification
from shared.deps import Sessions
from shared.errors import NotFound
from shared.pagination import Cursor, Limit, Page, keyset, page_of

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


@router.get("")
async def list_notifications(
    user: CurrentUser,
    sessions: Sessions,
    unread: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[NotificationPublic]:
    query = select(Notification).where(Notification.user_id == user.id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    newest_first = (Notification.created_at, Notification.id)
    query = keyset(
        query,
        newest_first,
        cursor=cursor,
        types=(datetime.fromisoformat, UUID),
        limit=limit,
        descending=True,
    )
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    items = [NotificationPublic.model_validate(row) for row in rows]
    return page_of(items, limit, key=lambda item: (item.created_at.isoformat(), item.id))


@router.post("/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
async def mark_read(notification_id: UUID, user: CurrentUser, sessions: Sessions) -> Response:
    async with sessions() as session, session.begin():
        marked = await session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.user_id == user.id)
            .values(read_at=func.coalesce(Notification.read_at, func.now()))
        )
        if marked.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFound("notification")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
