"""Signing in: tokens, wrong passwords, throttling, deactivation, personal API tokens."""

import asyncio

import httpx
import pytest

from services.gateway import credentials
from services.gateway.identity import bearer_token
from services.gateway.usecases import auth
from services.gateway.usecases.auth import MAX_ADDRESS_FAILURES, MAX_FAILURES
from services.gateway.web.security import CSRF_COOKIE, csrf_token, csrf_token_fits
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET, bearer
from tests.gateway.conftest import PASSWORD, add_team, add_user, browser_sign_in, csrf_of


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


# --- guessing ---------------------------------------------------------------------------------


def from_address(gateway: httpx.AsyncClient, address: str) -> httpx.AsyncClient:
    """Another client of the same gateway, calling from `address`."""
    app = gateway._transport.app  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords checked against a hash, as they are checked."""
    seen: list[str] = []

    def counting(stored_hash: str | None, password: str) -> bool:
        seen.append(password)
        return credentials.verify_password(stored_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    return seen


async def test_parallel_wrong_passwords_for_one_account_are_checked_at_most_five_times(
    gateway: httpx.AsyncClient, checked: list[str]
) -> None:
    answers = await asyncio.gather(
        *(sign_in(gateway, ADMIN_EMAIL, f"guess {n}") for n in range(20))
    )

    assert len(checked) <= MAX_FAILURES
    assert sorted(answer.status_code for answer in answers) == [401] * len(checked) + [429] * (
        20 - len(checked)
    )


async def test_one_address_trying_many_e_mails_is_throttled_too(
    gateway: httpx.AsyncClient, checked: list[str]
) -> None:
    answers = await asyncio.gather(
        *(sign_in(gateway, f"osoba{n}@contentum.pl", "guess") for n in range(30))
    )

    assert len(checked) == MAX_ADDRESS_FAILURES
    assert [a.status_code for a in answers].count(429) == 30 - MAX_ADDRESS_FAILURES


async def test_a_stranger_locking_an_account_out_does_not_keep_its_owner_out(
    gateway: httpx.AsyncClient,
) -> None:
    async with from_address(gateway, "203.0.113.7") as stranger:
        for _ in range(MAX_FAILURES):
            assert (await sign_in(stranger, ADMIN_EMAIL, "guess")).status_code == 401
        assert (await sign_in(stranger, ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 429
    async with from_address(gateway, "198.51.100.20") as owner:
        assert (await sign_in(owner, ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 200


# --- credentials that end ---------------------------------------------------------------------


async def test_a_new_password_ends_the_users_sessions_and_personal_tokens(
    gateway: httpx.AsyncClient, admin: dict[str, str], company: str
) -> None:
    jan = await add_user(gateway, admin, email="jan@contentum.pl", team_id=company)
    laptop = await bearer(gateway, "jan@contentum.pl", PASSWORD)
    phone = await bearer(gateway, "jan@contentum.pl", PASSWORD)
    erp = await personal_token(gateway, laptop)

    changed = await gateway.patch(
        f"/api/users/{jan['id']}", json={"password": "a brand new password"}, headers=admin
    )

    assert changed.status_code == 200
    for headers in (laptop, phone, erp):
        assert (await gateway.get("/api/me", headers=headers)).status_code == 401
    assert (await sign_in(gateway, "jan@contentum.pl", "a brand new password")).status_code == 200


async def test_changing_ones_own_password_keeps_the_session_it_was_changed_in(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    me = (await gateway.get("/api/me", headers=admin)).json()
    elsewhere = await bearer(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)

    changed = await gateway.patch(
        f"/api/users/{me['id']}", json={"password": "a brand new password"}, headers=admin
    )

    assert changed.status_code == 200
    assert (await gateway.get("/api/me", headers=admin)).status_code == 200
    assert (await gateway.get("/api/me", headers=elsewhere)).status_code == 401


async def test_reactivating_a_user_brings_back_none_of_their_personal_tokens(
    gateway: httpx.AsyncClient, admin: dict[str, str], company: str
) -> None:
    jan = await add_user(gateway, admin, email="jan@contentum.pl", team_id=company)
    erp = await personal_token(gateway, await bearer(gateway, "jan@contentum.pl", PASSWORD))
    for active in (False, True):
        answer = await gateway.patch(
            f"/api/users/{jan['id']}", json={"active": active}, headers=admin
        )
        assert answer.status_code == 200

    assert (await gateway.get("/api/me", headers=erp)).status_code == 401
    assert (await sign_in(gateway, "jan@contentum.pl", PASSWORD)).status_code == 200


async def personal_token(gateway: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    created = await gateway.post("/api/auth/tokens", json={"name": "ERP"}, headers=headers)
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


async def test_signing_in_in_a_browser_renews_the_csrf_token(gateway: httpx.AsyncClient) -> None:
    before = csrf_of((await gateway.get("/login")).text)

    signed_in = await gateway.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers={"X-CSRF-Token": before, "HX-Request": "true"},
    )

    assert signed_in.headers.get("HX-Redirect") == "/", signed_in.text
    renewed = signed_in.cookies.get(CSRF_COOKIE)
    assert renewed and renewed != before
    assert csrf_of((await gateway.get("/")).text) == renewed


async def test_a_csrf_token_counts_only_with_the_session_it_was_made_for(
    gateway: httpx.AsyncClient,
) -> None:
    token = await browser_sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    session = gateway.cookies["crm_session"]
    planted = "planted-by-a-neighbour"  # a cookie another site of the domain could write
    of_no_session = csrf_token(TEST_SECRET, None)  # as the login page's, kept after it

    async def post_with(csrf: str) -> httpx.Response:
        cookies = f"crm_session={session}; {CSRF_COOKIE}={csrf}"
        headers = {"cookie": cookies, "X-CSRF-Token": csrf, "HX-Request": "true"}
        return await gateway.post("/preferences/locale", data={"locale": "en"}, headers=headers)

    gateway.cookies.clear()
    refused = [await post_with(planted), await post_with(of_no_session)]
    page = await gateway.get(
        "/", headers={"cookie": f"crm_session={session}; {CSRF_COOKIE}={planted}"}
    )
    accepted = await post_with(token)

    assert [answer.status_code for answer in refused] == [403, 403]
    # a page's request (HTMX) refused so is answered by reloading the page, with a new token
    assert refused[0].headers["HX-Refresh"] == "true"
    replaced = page.cookies.get(CSRF_COOKIE)
    assert replaced and replaced != planted and csrf_of(page.text) == replaced
    assert csrf_token_fits(replaced, TEST_SECRET, session)
    assert accepted.status_code == 204, accepted.text


async def test_a_bearer_client_is_sent_no_csrf_cookie_and_a_browser_gets_one_with_the_page(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    def fresh() -> httpx.AsyncClient:  # no cookies yet
        return httpx.AsyncClient(transport=gateway._transport, base_url=gateway.base_url)

    async with fresh() as api_client, fresh() as browser:
        answer = await api_client.get("/api/me", headers=admin)
        page = await browser.get("/login")

    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers
    assert page.cookies.get(CSRF_COOKIE) == csrf_of(page.text)


def test_a_bearer_token_is_read_one_way_for_the_passage_and_the_pages() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("  bearer \tabc\t ") == "abc"  # the scheme in any case, blanks around
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token("") is None
