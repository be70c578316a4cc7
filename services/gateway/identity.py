"""Who is calling: a session cookie (browsers) or a bearer token (API clients), and what they see."""

from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException, Request, status

from services.gateway.domain.teams import subtree
from services.gateway.tables import User
from services.gateway.usecases.auth import user_for_token
from services.gateway.usecases.people import team_parents
from shared.auth import Identity, sign_identity
from shared.db import SessionFactory

SESSION_COOKIE = "crm_session"


def presented_token(request: Request) -> str | None:
    """The bearer token, else the session cookie."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token
    return request.cookies.get(SESSION_COOKIE)


def client_address(request: Request) -> str:
    """Where the request comes from (a proxy's forwarded address only when the server trusts
    the proxy: uvicorn's `--forwarded-allow-ips`)."""
    return request.client.host if request.client else ""


async def signed_in_user(request: Request) -> User | None:
    """The active user behind the request's credentials, looked up once per request."""
    if not hasattr(request.state, "user"):
        token = presented_token(request)
        sessions: SessionFactory = request.app.state.sessions
        request.state.user = await user_for_token(sessions, token) if token else None
        if request.state.user is not None:  # what the caller is told, they are told in it
            request.state.locale = request.state.user.locale
    user: User | None = request.state.user
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


async def signed_identity(request: Request, user: User) -> str:
    """The short-lived identity token the services accept for `user`."""
    identity = await identity_of(request.app.state.sessions, user)
    return sign_identity(identity, request.app.state.identity_secret)
