"""Every request body is limited before it is read: JSON to 1 MiB, uploads to their own limits."""

from collections.abc import AsyncIterator

import httpx
import pytest

from services.gateway.body_limits import MIB, body_limit


async def test_twenty_megabytes_of_json_from_a_signed_in_user_are_a_413_without_reading_them(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(20):
            pulled += 1
            yield b" " * MIB

    headers = {**admin, "content-type": "application/json", "content-length": str(20 * MIB)}
    answer = await gateway.post("/api/deals", content=body(), headers=headers)

    assert answer.status_code == 413
    assert pulled <= 1  # httpx may start the body; the gateway read none of it


async def test_a_body_without_a_length_is_cut_off_once_it_passes_the_limit(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield b'{"name": "'
        for _ in range(64):
            pulled += 1
            yield b"x" * (64 * 1024)
        yield b'"}'

    headers = {**admin, "content-type": "application/json"}
    answer = await gateway.patch("/api/me", content=body(), headers=headers)

    assert answer.status_code == 413
    assert pulled < 64


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/api/deals", MIB),
        ("/deals/new", MIB),
        ("/api/documents", 52 * MIB),
        ("/api/documents/0c3b/versions", 52 * MIB),
        ("/knowledge/upload", 52 * MIB),
        ("/deals/0c3b/move", 52 * MIB),
        ("/api/imports", 12 * MIB),
        ("/imports", 12 * MIB),
        ("/api/calendar/import", 4 * MIB),
        ("/calendar/import", 4 * MIB),
        ("/api/documents/0c3b/links", MIB),
    ],
)
def test_uploads_have_their_own_limits_and_everything_else_one_mebibyte(
    path: str, limit: int
) -> None:
    assert body_limit(path, upload_bytes=50 * MIB) == limit
