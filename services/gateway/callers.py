"""Who is calling, remembered for a few seconds: token -> user -> signed identity.

Every request presents a token; looking it up (and signing the identity the services accept)
on every request cost more than the service's own answer. A replica remembers each token's
user for `CALLER_SECONDS` and each user's signed identity until it is half spent. Whatever
changes who someone is or whether they may sign in (a user changed or deactivated, a password,
a sign-out, a revoked token, the group tree) calls `forget_callers` in its transaction: once it
commits, this replica forgets at once and every other replica when PostgreSQL delivers the
notice on the gateway's notification channel (`NotificationHub`). A replica whose listening
connection was lost forgets everyone when it is back, and nothing is remembered longer than
`CALLER_SECONDS` in any case.
"""

import json
import time
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.notifications import CHANNEL, IDENTITY_EVENT
from services.gateway.tables import User
from shared.auth import Identity
from shared.db import after_commit

CALLER_SECONDS = 5.0
_SIZE = 10_000


@dataclass(frozen=True)
class Signed:
    identity: Identity
    token: str
    renew_at: float

    @property
    def header(self) -> bytes:
        """The token as the services' identity header carries it."""
        return self.token.encode("ascii")


class Callers:
    """The callers this process knows: users by token hash, signed identities by user."""

    def __init__(self) -> None:
        # token hash -> the user, their id as the signed identities are kept by, until when
        self._users: dict[str, tuple[User, str, float]] = {}
        self._signed: dict[str, Signed] = {}

    def user(self, token_hash: str) -> User | None:
        known = self._users.get(token_hash)
        if known is None or known[2] < time.monotonic():
            return None
        return known[0]

    def known(self, token_hash: str) -> tuple[User, Signed] | None:
        """The token's user and their signed identity when both are remembered and fresh: a
        call of the public API answered without a lookup or an await."""
        known = self._users.get(token_hash)
        if known is None:
            return None
        signed = self._signed.get(known[1])
        now = time.monotonic()
        if signed is None or known[2] < now or signed.renew_at < now:
            return None
        return known[0], signed

    def remember(self, token_hash: str, user: User) -> None:
        if len(self._users) >= _SIZE:
            self._users.clear()
        self._users[token_hash] = (user, str(user.id), time.monotonic() + CALLER_SECONDS)

    def signed(self, user_id: str) -> Signed | None:
        signed = self._signed.get(user_id)
        if signed is None or signed.renew_at < time.monotonic():
            return None
        return signed

    def remember_signed(self, user_id: str, signed: Signed) -> None:
        if len(self._signed) >= _SIZE:
            self._signed.clear()
        self._signed[user_id] = signed

    def forget(self, user_id: str | None) -> None:
        """Forget one user (their tokens and identity), or everyone (None)."""
        if user_id is None:
            self._users.clear()
            self._signed.clear()
            return
        self._signed.pop(user_id, None)
        gone = [token for token, (_, known_id, _) in self._users.items() if known_id == user_id]
        for token in gone:
            del self._users[token]


# One per process: tokens and user ids are random, so gateways sharing a process (tests) share
# it harmlessly, and a use case can reach it without knowing which app it runs in.
CALLERS = Callers()


def forget_notice(user_id: UUID | None) -> str:
    return json.dumps({"event": IDENTITY_EVENT, "user_id": str(user_id) if user_id else None})


async def forget_callers(session: AsyncSession, user_id: UUID | None) -> None:
    """When `session`'s transaction commits, every replica forgets `user_id` (None: everyone)."""
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": forget_notice(user_id)},
    )

    async def here() -> None:
        CALLERS.forget(str(user_id) if user_id else None)

    after_commit(session, here)
