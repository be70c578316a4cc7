"""Who is calling: a session cookie (browsers) or a bearer token (API clients), and what they see."""

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException, Request, status

from services.gateway.callers import CALLERS, Signed
from services.gateway.credentials import hash_token
from services.gateway.domain.teams import subtree
from services.gateway.tables import User
from services.gateway.usecases.auth import user_for_token
from services.gateway.usecases.people import team_parents
from services.gateway.usecases.widgets import Viewer
from shared.auth import Identity, sign_identity
from shared.db import SessionFactory

SESSION_COOKIE = "crm_session"
IDENTITY_TTL = timedelta(minutes=1)


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer ...` header's value; None for any other."""
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip(" \t")
    return token if scheme.lower() == "bearer" and token else None


def presented_token(request: Request) -> str | None:
    """The bearer token, else the session cookie."""
    bearer = bearer_token(request.headers.get("authorization", ""))
    return bearer if bearer is not None else request.cookies.get(SESSION_COOKIE)


def client_address(request: Request) -> str:
    """Where the request comes from (a proxy's forwarded address only when the server trusts
    the proxy: uvicorn's `--forwarded-allow-ips`)."""
    return request.client.host if request.client else ""


async def signed_in_user(request: Request) -> User | None:
    """The active user behind the request's credentials: remembered for a few seconds by
    this process (`callers.py`), else looked up; once per request either way."""
    if not hasattr(request.state, "user"):
        request.state.user = await _user_of(request)
        if request.state.user is not None:  # what the caller is told, they are told in it
            request.state.locale = request.state.user.locale
    user: User | None = request.state.user
    return user


async def _user_of(request: Request) -> User | None:
    token = presented_token(request)
    return await user_of_token(request.app.state.sessions, token) if token else None


async def user_of_token(sessions: SessionFactory, token: str) -> User | None:
    """The active user of a session or API token: remembered, else looked up."""
    token_hash = hash_token(token)
    user = CALLERS.user(token_hash)
    if user is None:
        user = await user_for_token(sessions, token, now=datetime.now(UTC))
        if user is not None:
            CALLERS.remember(token_hash, user)
    return user


async def current_user(request: Request) -> User:
    user = await signed_in_user(request)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "sign in first",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


async def administrator(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an administrator may do this")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
Administrator = Annotated[User, Depends(administrator)]


async def identity_of(sessions: SessionFactory, user: User) -> Identity:
    """What the services need to apply visibility: a head sees the group's whole subtree."""
    team_ids: set[UUID] = set()
    if user.team_id is not None and user.role in ("head", "manager"):
        team_ids = {user.team_id}
        if user.role == "head":
            async with sessions() as session:
                team_ids = subtree(user.team_id, await team_parents(session))
    return Identity(
        user_id=str(user.id),
        role=user.role,
        team_ids=sorted(str(team) for team in team_ids),
        department_id=str(user.department_id) if user.department_id else None,
        locale=user.locale,
    )


async def caller_identity(request: Request, user: User) -> Signed:
    """`user`'s identity and the short-lived token the services accept for it."""
    state = request.app.state
    return await identity_signed(state.sessions, state.identity_secret, user)


async def identity_signed(sessions: SessionFactory, secret: str, user: User) -> Signed:
    """`user`'s identity and its signed token, signed again once half of its minute is spent
    (or when the user changes: `callers.py`)."""
    signed = CALLERS.signed(str(user.id))
    if signed is None:
        identity = await identity_of(sessions, user)
        token = sign_identity(identity, secret, ttl=IDENTITY_TTL)
        renew_at = time.monotonic() + IDENTITY_TTL.total_seconds() / 2
        signed = Signed(identity, token, renew_at)
        CALLERS.remember_signed(str(user.id), signed)
    return signed


async def signed_identity(request: Request, user: User) -> str:
    """The short-lived identity token the services accept for `user`."""
    return (await caller_identity(request, user)).token


async def desk_viewer(request: Request, user: User) -> Viewer:
    """`user` as the desk's widgets ask the services for them."""
    return Viewer(
        backends=request.app.state.backends,
        identity=await signed_identity(request, user),
        user_id=user.id,
        role=user.role,
        team_id=user.team_id,
        time_zone=user.time_zone,
        department_id=user.department_id,
        sessions=request.app.state.sessions,
    )
