"""Signing in and out, sessions and personal API tokens, and throttling of guessed passwords."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, func, select, update

from services.gateway.callers import forget_callers
from services.gateway.credentials import (
    API_TOKEN_PREFIX,
    SESSION_PREFIX,
    hash_token,
    new_token,
    verify_password,
)
from services.gateway.domain.people import normalize_email
from services.gateway.tables import ApiToken, LoginFailure, User, UserSession
from shared.db import SessionFactory, unit_of_work
from shared.errors import NotFound

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
LAST_USE_PRECISION = timedelta(minutes=1)


class InvalidCredentials(Exception):
    """Wrong e-mail or password; deliberately not saying which."""


class Throttled(Exception):
    """Too many failures for this e-mail lately."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__("too many failed sign-ins")
        self.retry_after = retry_after


async def sign_in(sessions: SessionFactory, *, email: str, password: str) -> tuple[User, str]:
    """Check the password and open a session; the token is returned once, only its hash kept."""
    email = normalize_email(email)
    since = datetime.now(UTC) - FAILURE_WINDOW
    async with unit_of_work(sessions) as session:
        failures = await session.scalar(
            select(func.count()).where(LoginFailure.email == email, LoginFailure.failed_at > since)
        )
        if (failures or 0) >= MAX_FAILURES:
            raise Throttled(FAILURE_WINDOW)
        user = await session.scalar(
            select(User).where(func.lower(User.email) == email, User.active.is_(True))
        )
        stored_hash = user.password_hash if user is not None else None
        # argon2 is slow on purpose: keep it off the event loop.
        if user is not None and await asyncio.to_thread(verify_password, stored_hash, password):
            await session.execute(delete(LoginFailure).where(LoginFailure.email == email))
            token, token_hash = new_token(SESSION_PREFIX)
            expires_at = datetime.now(UTC) + SESSION_TTL
            session.add(UserSession(token_hash=token_hash, user_id=user.id, expires_at=expires_at))
            return user, token
    if user is None:
        await asyncio.to_thread(verify_password, None, password)  # same cost as a wrong password
    async with unit_of_work(sessions) as session:
        session.add(LoginFailure(email=email))
    raise InvalidCredentials


async def sign_out(sessions: SessionFactory, token: str) -> None:
    async with unit_of_work(sessions) as session:
        ended = await session.scalar(
            delete(UserSession)
            .where(UserSession.token_hash == hash_token(token))
            .returning(UserSession.user_id)
        )
        if ended is not None:
            await forget_callers(session, ended)


async def user_for_token(sessions: SessionFactory, token: str, *, now: datetime) -> User | None:
    """The active user a session or API token belongs to; None when it is unknown or ended.

    An API token's `last_used_at` is written at most once a minute: it says when a token was
    last in use, not how often, and a write per request would cost more than the request."""
    token_hash = hash_token(token)
    if not token.startswith(API_TOKEN_PREFIX):
        owner = select(UserSession.user_id).where(
            UserSession.token_hash == token_hash, UserSession.expires_at > now
        )
        async with sessions() as session:
            return await session.scalar(
                select(User).where(User.id.in_(owner), User.active.is_(True))
            )
    query = (
        select(User, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == token_hash,
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    )
    async with sessions() as session:
        found = (await session.execute(query)).first()
        if found is None:
            return None
        user, last_used_at = found
        if last_used_at is None or last_used_at < now - LAST_USE_PRECISION:
            await session.execute(
                update(ApiToken).where(ApiToken.token_hash == token_hash).values(last_used_at=now)
            )
            await session.commit()
    return user


async def create_api_token(
    sessions: SessionFactory, *, user_id: UUID, name: str
) -> tuple[ApiToken, str]:
    """A new personal token; the secret is shown once."""
    token, token_hash = new_token(API_TOKEN_PREFIX)
    async with unit_of_work(sessions) as session:
        api_token = ApiToken(user_id=user_id, name=name, token_hash=token_hash)
        session.add(api_token)
    return api_token, token


async def list_api_tokens(sessions: SessionFactory, *, user_id: UUID) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
    async with sessions() as session:
        return list((await session.scalars(query)).all())


async def revoke_api_token(sessions: SessionFactory, *, user_id: UUID, token_id: UUID) -> None:
    async with unit_of_work(sessions) as session:
        revoked = await session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)
            )
            .values(revoked_at=func.now())
        )
        if revoked.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFound("API token")
        await forget_callers(session, user_id)
