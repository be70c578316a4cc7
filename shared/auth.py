"""The identity token the gateway forwards to services: short-lived, signed with a shared secret."""

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

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


class VerifiedTokens:
    """Tokens already verified, with their identity, until they expire.

    The gateway signs a caller's identity once for several requests, so a service sees the
    same token again and again; checking its signature once is enough. A token is kept at most
    until its own expiry (read from the token), so nothing stays valid longer than it says.
    """

    def __init__(self, secret: str, *, size: int = 4096) -> None:
        self._secret = secret
        self._size = size
        self._known: dict[str, tuple[Identity, float]] = {}

    def identity(self, token: str) -> Identity:
        known = self._known.get(token)
        now = time.time()
        if known is not None and known[1] > now:
            return known[0]
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[_ALGORITHM], audience=_AUDIENCE, issuer=_ISSUER
            )
            identity = Identity.model_validate(claims["identity"])
            expires = float(claims["exp"])
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as error:
            raise InvalidIdentity(str(error)) from None
        if len(self._known) >= self._size:
            self._known = {t: k for t, k in self._known.items() if k[1] > now}
            if len(self._known) >= self._size:
                self._known.clear()
        self._known[token] = (identity, expires)
        return identity


async def current_identity(request: Request) -> Identity:
    """FastAPI dependency: the caller's identity; 401 without a valid token."""
    token = request.headers.get(IDENTITY_HEADER)
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"missing {IDENTITY_HEADER} header")
    try:
        return verified_tokens(request.app).identity(token)
    except InvalidIdentity:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid identity token") from None


def verified_tokens(app: Any) -> VerifiedTokens:
    """The app's cache of verified identity tokens (made on first use)."""
    tokens: VerifiedTokens | None = getattr(app.state, "verified_tokens", None)
    if tokens is None:
        tokens = app.state.verified_tokens = VerifiedTokens(app.state.identity_secret)
    return tokens


CurrentIdentity = Annotated[Identity, Depends(current_identity)]
