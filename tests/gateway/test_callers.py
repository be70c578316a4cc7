"""Callers remembered for a few seconds: every change of who someone is, on any replica,
makes every replica forget them; a personal token's last use is written once a minute."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from services.gateway.app import create_app
from services.gateway.callers import CALLER_SECONDS, CALLERS, Callers, Signed, forget_notice
from services.gateway.credentials import hash_token
from services.gateway.notifications import CHANNEL
from services.gateway.settings import GatewaySettings
from shared.auth import Identity
from shared.bus import InProcessBus
from shared.postgres import asyncpg_dsn
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, running
from shared.testing.waiting import eventually
from tests.gateway.conftest import PASSWORD, add_user


@pytest.fixture
async def replica(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A gateway replica and its database, which other replicas share."""
    database = await service_database("gateway")
    settings = GatewaySettings(
        **settings_for(database), admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD
    )
    async with running(create_app(settings, bus)) as client:
        yield client, asyncpg_dsn(database)


async def test_another_replicas_notice_makes_this_replica_forget_a_caller_at_once(
    replica: tuple[httpx.AsyncClient, str],
) -> None:
    gateway, database = replica
    admin = await bearer(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    teams = (await gateway.get("/api/teams", headers=admin)).json()
    await add_user(gateway, admin, email="ewa@contentum.pl", role="manager", team_id=teams[0]["id"])
    ewa = await bearer(gateway, "ewa@contentum.pl", PASSWORD)
    assert (await gateway.get("/api/me", headers=ewa)).status_code == 200
    connection = await asyncpg.connect(database)
    try:
        # Another replica deactivates her and sends the notice with its commit; this one
        # still remembers her until the notice arrives.
        user_id = await connection.fetchval(
            "UPDATE app_user SET active = false WHERE email = 'ewa@contentum.pl' RETURNING id"
        )
        remembered = await gateway.get("/api/me", headers=ewa)
        await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, forget_notice(user_id))

        async def refused() -> bool:
            return (await gateway.get("/api/me", headers=ewa)).status_code == 401

        await eventually(refused, timeout=2, interval=0.02)  # well before the 5 s it is kept
    finally:
        await connection.close()
    assert remembered.status_code == 200  # until the notice, this replica still knew her


async def test_a_personal_tokens_last_use_is_written_at_most_once_a_minute(
    replica: tuple[httpx.AsyncClient, str],
) -> None:
    gateway, database = replica
    admin = await bearer(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    token = (await gateway.post("/api/auth/tokens", json={"name": "ERP"}, headers=admin)).json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    connection = await asyncpg.connect(database)

    async def last_use() -> datetime:
        when: datetime = await connection.fetchval(
            "SELECT last_used_at FROM api_token WHERE id = $1", token["id"]
        )
        return when

    async def use() -> None:
        CALLERS.forget(None)  # looked up again, as after a few seconds
        assert (await gateway.get("/api/me", headers=headers)).status_code == 200

    try:
        await use()
        first = await last_use()
        await use()
        unchanged = await last_use()
        long_ago = datetime.now(UTC) - timedelta(minutes=2)
        await connection.execute(
            "UPDATE api_token SET last_used_at = $1 WHERE id = $2", long_ago, token["id"]
        )
        await use()
        renewed = await last_use()
    finally:
        await connection.close()

    assert first is not None and unchanged == first
    assert renewed > long_ago + timedelta(minutes=1)


def test_a_caller_is_remembered_by_the_hash_of_their_token_only() -> None:
    class Someone:
        id = "u-1"

    CALLERS.remember(hash_token("crm_s_secret"), Someone())  # type: ignore[arg-type]

    assert CALLERS.user(hash_token("crm_s_secret")) is not None
    CALLERS.forget("u-1")
    assert CALLERS.user(hash_token("crm_s_secret")) is None


def test_a_caller_passes_from_memory_only_while_their_user_and_identity_are_both_fresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Someone:
        id = "u-2"

    callers, someone, token = Callers(), Someone(), hash_token("crm_s_other")
    now = 1000.0
    monkeypatch.setattr("services.gateway.callers.time.monotonic", lambda: now)
    callers.remember(token, someone)  # type: ignore[arg-type]
    assert callers.known(token) is None  # no identity signed for them yet

    signed = Signed(Identity(user_id="u-2", role="manager"), "signed", renew_at=now + 2)
    callers.remember_signed("u-2", signed)
    assert callers.known(token) == (someone, signed)  # type: ignore[comparison-overlap]

    now += 3  # the identity is due to be signed again, the user still remembered
    assert callers.known(token) is None
    callers.remember_signed("u-2", Signed(signed.identity, "again", renew_at=now + 30))
    assert callers.known(token) is not None

    now += CALLER_SECONDS  # the user is looked up again
    assert callers.known(token) is None

    callers.remember(token, someone)  # type: ignore[arg-type]
    callers.forget("u-2")
    assert callers.known(token) is None
