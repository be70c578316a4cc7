"""The browser side of the gateway over HTTP: CSRF, headers, escaping, language, access."""

import re

import httpx

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.gateway.conftest import PASSWORD, add_user
from tests.gateway.conftest import browser_sign_in as browser_sign_in  # other modules' import
from tests.gateway.conftest import csrf_of as csrf_of


async def test_a_state_change_without_the_csrf_token_is_refused(gateway: httpx.AsyncClient) -> None:
    token = await browser_sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)

    without = await gateway.post("/admin/departments", data={"name": "Produkcja"})
    forged = await gateway.post(
        "/admin/departments", data={"name": "Produkcja"}, headers={"X-CSRF-Token": "x"}
    )
    with_token = await gateway.post(
        "/admin/departments", data={"name": "Produkcja"}, headers={"X-CSRF-Token": token}
    )

    assert without.status_code == forged.status_code == 403
    assert "CSRF" in without.json()["detail"]
    assert with_token.status_code == 200 and "Produkcja" in with_token.text


async def test_the_json_api_with_a_session_cookie_needs_the_token_too(
    gateway: httpx.AsyncClient,
) -> None:
    token = await browser_sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)

    refused = await gateway.post("/api/departments", json={"name": "Prawny"})
    accepted = await gateway.post(
        "/api/departments", json={"name": "Prawny"}, headers={"X-CSRF-Token": token}
    )

    assert (refused.status_code, accepted.status_code) == (403, 201)


async def test_signing_in_at_the_login_page_needs_the_token(gateway: httpx.AsyncClient) -> None:
    answer = await gateway.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})

    assert answer.status_code == 403
    assert "crm_session" not in answer.cookies


async def test_pages_carry_a_strict_content_security_policy(gateway: httpx.AsyncClient) -> None:
    page = await gateway.get("/login")

    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert re.search(r'data-too-large="[^"]* 50 MB\."', page.text)  # said when one is refused
    session_cookie_flags = page.headers["set-cookie"].lower()
    assert "httponly" in session_cookie_flags and "samesite=strict" in session_cookie_flags


async def test_the_session_cookie_is_httponly_and_samesite_lax(gateway: httpx.AsyncClient) -> None:
    page = await gateway.get("/login")
    token = csrf_of(page.text)

    answer = await gateway.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers={"X-CSRF-Token": token},
    )

    cookie = next(
        v for k, v in answer.headers.multi_items() if k == "set-cookie" and "crm_session" in v
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


async def test_user_content_is_escaped(gateway: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await add_user(
        gateway, admin, email="xss@contentum.pl", name="<script>alert(1)</script>", role="admin"
    )
    await browser_sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)

    page = await gateway.get("/admin/users")

    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_the_login_page_speaks_the_browsers_language(gateway: httpx.AsyncClient) -> None:
    polish = await gateway.get("/login", headers={"Accept-Language": "pl-PL,pl;q=0.9"})
    english = await gateway.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})

    assert "Zaloguj się" in polish.text and '<html lang="pl">' in polish.text
    assert "Sign in" in english.text and '<html lang="en">' in english.text


async def test_every_page_names_its_icon_which_is_served_to_strangers_too(
    gateway: httpx.AsyncClient,
) -> None:
    page = await gateway.get("/login")
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page.text)
    assert icon, page.text[:600]

    served = await gateway.get(icon[1])

    assert served.status_code == 200 and served.headers["content-type"] == "image/svg+xml"
    assert served.text.startswith("<svg")


async def test_a_wrong_password_at_the_login_page_says_so_in_polish(
    gateway: httpx.AsyncClient,
) -> None:
    page = await gateway.get("/login", headers={"Accept-Language": "pl"})
    token = csrf_of(page.text)

    answer = await gateway.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": "wrong"},
        headers={"X-CSRF-Token": token, "Accept-Language": "pl"},
    )

    assert answer.status_code == 401
    assert answer.text == "Nieprawidłowy e-mail lub hasło."


async def test_pages_send_strangers_to_the_login_page(gateway: httpx.AsyncClient) -> None:
    for path in ("/", "/admin/users", "/admin/teams"):
        answer = await gateway.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login"), path


async def test_a_manager_cannot_open_the_admin_pages(
    gateway: httpx.AsyncClient, admin: dict[str, str], company: str
) -> None:
    await add_user(gateway, admin, email="m@contentum.pl", role="manager", team_id=company)
    await browser_sign_in(gateway, "m@contentum.pl", PASSWORD)

    assert (await gateway.get("/")).status_code == 200
    for path in ("/admin/users", "/admin/teams", "/admin/departments"):
        assert (await gateway.get(path)).status_code == 403, path


async def test_the_add_user_form_names_what_is_wrong(gateway: httpx.AsyncClient) -> None:
    token = await browser_sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)

    answer = await gateway.post(
        "/admin/users",
        data={
            "name": "Bez wydziału",
            "email": "bez@contentum.pl",
            "password": PASSWORD,
            "role": "staff",
        },
        headers={"X-CSRF-Token": token},
    )

    assert answer.status_code == 422
    assert 'id="error-department_id"' in answer.text
    assert "pracownik działu należy do wydziału" in answer.text  # the admin works in Polish
