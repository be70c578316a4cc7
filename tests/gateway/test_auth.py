"""Signing in: tokens, wrong passwords, throttling, deactivation, personal API tokens."""

import httpx

from services.gateway.usecases.auth import MAX_FAILURES
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer
from tests.gateway.conftest import PASSWORD, add_team, add_user


async def sign_in(gateway: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await gateway.post("/api/auth/token", data={"username": email, "password": password})


async def test_the_password_form_gives_a_bearer_token_that_identifies_the_user(
    gateway: httpx.AsyncClient,
) -> None:
    answer = await sign_in(gateway, ADMIN_EMAIL.upper(), ADMIN_PASSWORD)

    assert answer.status_code == 200
    assert answer.json()["token_type"] == "bearer"
    me = await gateway.get(
        "/api/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
    )
    assert me.json()["email"] == ADMIN_EMAIL
    assert me.json()["role"] == "admin"


async def test_a_wrong_password_and_an_unknown_email_get_the_same_401(
    gateway: httpx.AsyncClient,
) -> None:
    wrong_password = await sign_in(gateway, ADMIN_EMAIL, "not the password")
    unknown_email = await sign_in(gateway, "nobody@contentum.pl", "not the password")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.content == unknown_email.content
    assert wrong_password.headers["www-authenticate"] == unknown_email.headers["www-authenticate"]


async def test_repeated_failures_lock_the_email_out_even_for_the_right_password(
    gateway: httpx.AsyncClient,
) -> None:
    for _ in range(MAX_FAILURES):
        assert (await sign_in(gateway, ADMIN_EMAIL, "guess")).status_code == 401

    locked = await sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)

    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0


async def test_a_deactivated_users_token_is_refused_on_the_next_request(
    gateway: httpx.AsyncClient, admin: dict[str, str], company: str
) -> None:
    await add_user(gateway, admin, email="jan@contentum.pl", role="manager", team_id=company)
    jan = await bearer(gateway, "jan@contentum.pl", PASSWORD)
    assert (await gateway.get("/api/me", headers=jan)).status_code == 200
    [user] = (await gateway.get("/api/users", params={"q": "jan@"}, headers=admin)).json()["items"]

    deactivated = await gateway.patch(
        f"/api/users/{user['id']}", json={"active": False}, headers=admin
    )

    assert deactivated.json()["active"] is False
    assert (await gateway.get("/api/me", headers=jan)).status_code == 401
    assert (await sign_in(gateway, "jan@contentum.pl", PASSWORD)).status_code == 401


async def test_a_personal_api_token_works_until_revoked(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await gateway.post("/api/auth/tokens", json={"name": "ERP"}, headers=admin)
    assert created.status_code == 201
    token = created.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await gateway.get("/api/me", headers=headers)).status_code == 200
    listed = (await gateway.get("/api/auth/tokens", headers=admin)).json()
    assert [t["name"] for t in listed] == ["ERP"] and "token" not in listed[0]

    revoked = await gateway.delete(f"/api/auth/tokens/{created.json()['id']}", headers=admin)

    assert revoked.status_code == 204
    assert (await gateway.get("/api/me", headers=headers)).status_code == 401


async def test_signing_out_ends_the_token(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await gateway.post("/api/auth/logout", headers=admin)).status_code == 204

    assert (await gateway.get("/api/me", headers=admin)).status_code == 401


async def test_a_manager_gets_403_on_admin_endpoints(
    gateway: httpx.AsyncClient, admin: dict[str, str], company: str
) -> None:
    await add_user(gateway, admin, email="ola@contentum.pl", role="manager", team_id=company)
    ola = await bearer(gateway, "ola@contentum.pl", PASSWORD)
    team = await add_team(gateway, admin, name="Północ")

    attempts = [
        await gateway.post(
            "/api/users", json={"email": "x@y.pl", "name": "X", "password": PASSWORD}, headers=ola
        ),
        await gateway.get("/api/users", headers=ola),
        await gateway.patch(f"/api/teams/{team['id']}", json={"name": "Mine"}, headers=ola),
        await gateway.post("/api/teams", json={"name": "Mine"}, headers=ola),
        await gateway.post("/api/departments", json={"name": "Mine"}, headers=ola),
    ]

    assert [attempt.status_code for attempt in attempts] == [403] * len(attempts)


async def test_without_credentials_the_api_answers_401(gateway: httpx.AsyncClient) -> None:
    for path in ("/api/me", "/api/users", "/api/companies", "/api/plans/clients"):
        assert (await gateway.get(path)).status_code == 401, path
