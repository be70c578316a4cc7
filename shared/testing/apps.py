"""Run service apps in tests: lifespan started, an HTTP client in front, identities to call them."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from shared.auth import IDENTITY_HEADER, Identity, sign_identity

TEST_SECRET = "test-identity-secret-0123456789-abcdef"
ADMIN = Identity(user_id="00000000-0000-0000-0000-0000000000aa", role="admin")


def identity_headers(identity: Identity = ADMIN, secret: str = TEST_SECRET) -> dict[str, str]:
    """Headers as the gateway would send them for `identity`."""
    return {IDENTITY_HEADER: sign_identity(identity, secret)}


@asynccontextmanager
async def running(
    app: FastAPI, *, base_url: str = "http://test"
) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan and yield a client speaking to it in process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


ADMIN_EMAIL = "admin@contentum.pl"
ADMIN_PASSWORD = "correct horse battery staple"


async def bearer(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    """Sign in through `/api/auth/token`; the Authorization header to send afterwards."""
    answer = await client.post("/api/auth/token", data={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}
