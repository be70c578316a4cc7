"""The identity token the gateway forwards to services: short-lived, signed with a shared secret."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import jwt
from fastapi import Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

IDENTITY_HEADER = "X-CRM-Identity"
_ISSUER = "crm-gateway"
_AUDIENCE = "crm-services"
_ALGORITHM = "HS256"

Role = Literal["admin", "head", "manager", "staff"]


class Identity(BaseModel):
    """Who is asking, as the gateway vouches for it."""

    user_id: str
    role: Role
    team_ids: list[str] = Field(default_factory=list, description="the user's group subtree")
    department_id: str | None = None
    locale: Literal["pl", "en"] = "en"


class InvalidIdentity(Exception):
    pass


def sign_identity(identity: Identity, secret: str, *, ttl: timedelta = timedelta(minutes=1)) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": _ISSUER,
        "aud": _AUDIENCE,
        "iat": now,
        "exp": now + ttl,
        "sub": identity.user_id,
        "identity": identity.model_dump(mode="json"),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def verify_identity(token: str, secret: str) -> Identity:
    """The identity inside a valid, unexpired token from the gateway, or `InvalidIdentity`."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], audience=_AUDIENCE, issuer=_ISSUER
        )
        return Identity.model_validate(claims["identity"])
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise InvalidIdentity(str(error)) from None


def current_identity(request: Request) -> Identity:
    """FastAPI dependency: the caller's identity; 401 without a valid token."""
    token = request.headers.get(IDENTITY_HEADER)
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"missing {IDENTITY_HEADER} header")
    try:
        return verify_identity(token, request.app.state.identity_secret)
    except InvalidIdentity:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid identity token") from None


CurrentIdentity = Annotated[Identity, Depends(current_identity)]
