"""Signing in and out, sessions and personal API tokens, and throttling of guessed passwords."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

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

MAX_FAILURES = 5  # for one e-mail from one address
MAX_ADDRESS_FAILURES = 20  # from one address, whatever the e-mails
FAILURE_WINDOW = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
LAST_USE_PRECISION = timedelta(minutes=1)


class InvalidCredentials(Exception):
    """Wrong e-mail or password; deliberately not saying which."""


class Throttled(Exception):
    """Too many failures for this e-mail from this address, or from this address, lately."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__("too many failed sign-ins")
        self.retry_after = retry_after


async def sign_in(
    sessions: SessionFactory, *, email: str, password: str, address: str
) -> tuple[User, str]:
    """Check the password and open a session; the token is returned once, only its hash kept.

    The attempt counts as a failure before the password is checked (and is forgotten when it
    was right), so parallel guesses are counted as they come, never all checked. Throttling
    is by e-mail *and* address: a stranger who locks an account out of one address does not
    keep its owner out of theirs."""
    email = normalize_email(email)
    await _count_attempt(sessions, email=email, address=address)
    async with sessions() as session:
        user = await session.scalar(
            select(User).where(func.lower(User.email) == email, User.active.is_(True))
        )
    stored_hash = user.password_hash if user is not None else None
    # argon2 is slow on purpose: keep it off the event loop. Without a user it costs the same.
    if not await asyncio.to_thread(verify_password, stored_hash, password) or user is None:
        raise InvalidCredentials
    async with unit_of_work(sessions) as session:
        await session.execute(
            delete(LoginFailure).where(
                LoginFailure.email == email, LoginFailure.client_address == address
            )
        )
        token, token_hash = new_token(SESSION_PREFIX)
        expires_at = datetime.now(UTC) + SESSION_TTL
        session.add(UserSession(token_hash=token_hash, user_id=user.id, expires_at=expires_at))
    return user, token


async def _count_attempt(sessions: SessionFactory, *, email: str, address: str) -> None:
    """Record the attempt as a failure, or raise `Throttled` when too many came before it.

    Attempts from one address take turns (a transaction-level advisory lock on it), so the
    count each one reads includes every attempt before it."""
    async with unit_of_work(sessions) as session:
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"sign-in from {address}"},
        )
        await _refuse_when_throttled(session, email=email, address=address)
        session.add(LoginFailure(email=email, client_address=address))


async def _refuse_when_throttled(session: AsyncSession, *, email: str, address: str) -> None:
    """`Throttled` when this address, or this e-mail from it, failed too often lately."""
    since = datetime.now(UTC) - FAILURE_WINDOW
    recent = LoginFailure.client_address == address, LoginFailure.failed_at > since
    from_address = await session.scalar(select(func.count()).where(*recent)) or 0
    for_email = await session.scalar(
        select(func.count()).where(*recent, LoginFailure.email == email)
    )
    if from_address >= MAX_ADDRESS_FAILURES or (for_email or 0) >= MAX_FAILURES:
        raise Throttled(FAILURE_WINDOW)


async def sign_in_with_api_token(
    sessions: SessionFactory, *, email: str, token: str, address: str
) -> User:
    """HTTP Basic for calendar programs: the e-mail and a personal API token as the password.

    A wrong one counts against the same throttle as passwords (by e-mail and address); session
    tokens are not accepted. A 256-bit token cannot be guessed, so a right one is not counted
    first, as a password is: calendar programs sign every request in."""
    email = normalize_email(email)
    async with unit_of_work(sessions) as session:
        await _refuse_when_throttled(session, email=email, address=address)
        user = None
        if token.startswith(API_TOKEN_PREFIX):
            token_hash = hash_token(token)
            user = await session.scalar(
                select(User)
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(
                    ApiToken.token_hash == token_hash,
                    ApiToken.revoked_at.is_(None),
                    func.lower(User.email) == email,
                    User.active.is_(True),
                )
            )
        if user is not None:
            await session.execute(
                update(ApiToken)
                .where(ApiToken.token_hash == token_hash)
                .values(last_used_at=datetime.now(UTC))
            )
            return user
    async with unit_of_work(sessions) as session:
        session.add(LoginFailure(email=email, client_address=address))
    raise InvalidCredentials


async def end_credentials(session: AsyncSession, user_id: UUID, *, but: str | None = None) -> None:
    """End a user's sessions and revoke their personal API tokens, all but the token `but`."""
    kept = hash_token(but) if but else ""
    await session.execute(
        delete(UserSession).where(UserSession.user_id == user_id, UserSession.token_hash != kept)
    )
    await session.execute(
        update(ApiToken)
        .where(
            ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None),
            ApiToken.token_hash != kept,
        )
        .values(revoked_at=func.now())
    )


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
