"""`/api/notifications`: the signed-in user's notifications, newest first."""

from uuid import UUID

from fastapi import APIRouter, Response, status

from services.gateway import notifications
from services.gateway.identity import CurrentUser
from services.gateway.schemas import NotificationPublic
from shared.deps import Sessions
from shared.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


@router.get("")
async def list_notifications(
    user: CurrentUser,
    sessions: Sessions,
    unread: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[NotificationPublic]:
    return await notifications.newest_first(
        sessions, user_id=user.id, limit=limit, cursor=cursor, unread=unread
    )


@router.post("/read", status_code=status.HTTP_204_NO_CONTENT)
async def mark_all_read(user: CurrentUser, sessions: Sessions) -> Response:
    """Every notification of the caller read at once."""
    await notifications.mark_all_read(sessions, user_id=user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
async def mark_read(notification_id: UUID, user: CurrentUser, sessions: Sessions) -> Response:
    await notifications.mark_read(sessions, user_id=user.id, notification_id=notification_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
