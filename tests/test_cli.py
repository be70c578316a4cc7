"""The `crm` command as a newcomer uses it: run, serve, events."""

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from shared.db import new_engine
from shared.postgres import async_url
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from shared.testing.processes import crm_process, free_port

pytestmark = pytest.mark.slow


def crm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_serving_a_service_without_its_database_url_stops_naming_the_variable() -> None:
    result = crm(
        "serve", "deals", env={"PATH": "/usr/bin:/bin", "KAFKA_BOOTSTRAP_SERVERS": "k:9092"}
    )

    assert result.returncode == 2
    assert "crm: DEALS_DATABASE_URL is missing" in result.stderr.splitlines()


def test_an_unknown_service_is_refused() -> None:
    result = crm("serve", "billing")

    assert result.returncode == 2
    assert "unknown service 'billing'" in result.stderr


def test_events_prints_the_asyncapi_document() -> None:
    result = crm("events")

    document = json.loads(result.stdout)
    assert document["asyncapi"] == "3.0.0"
    assert "company_created_v1" in document["components"]["messages"]


def test_run_serves_the_whole_crm_in_one_process(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["run", "--port", str(port), "--data-dir", str(tmp_path / "pg")]

    env = {"DATABASE_URL": "", "CRM_ADMIN_EMAIL": ADMIN_EMAIL, "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD}

    with crm_process(args, env=env, log=tmp_path / "run.log", url=url):
        token = httpx.post(
            f"{url}/api/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(
            f"{url}/api/companies", json={"name": "Hurtownia Kraków"}, headers=headers
        )
        assert created.status_code == 201, created.text
        listed = poll_clients(url, created.json()["id"], headers, seconds=2)

    assert listed["name"] == "Hurtownia Kraków"


def poll_clients(
    url: str, company_id: str, headers: dict[str, str], seconds: float
) -> dict[str, str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for client in httpx.get(f"{url}/api/plans/clients", headers=headers).json()["items"]:
            if client["id"] == company_id:
                return client  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"company {company_id} not listed by planning within {seconds} s")


def test_the_first_start_prints_a_generated_administrator_password_once(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["run", "--port", str(port), "--data-dir", str(tmp_path / "pg")]
    env = {"DATABASE_URL": "", "CRM_ADMIN_EMAIL": "", "CRM_ADMIN_PASSWORD": ""}

    with crm_process(args, env=env, log=tmp_path / "first.log", url=url):
        pass
    with crm_process(args, env=env, log=tmp_path / "second.log", url=url):
        pass

    [line] = [ln for ln in (tmp_path / "first.log").read_text().splitlines() if "password:" in ln]
    email, password = line.split("First administrator: ")[1].split(" / password: ")
    assert email == "admin@example.com" and len(password) >= 12
    assert "password:" not in (tmp_path / "second.log").read_text()


async def test_users_create_adds_a_user_a_script_can_sign_in_with(new_database: Any) -> None:
    url = await new_database("gateway")
    env = {**os.environ, "GATEWAY_DATABASE_URL": url, "CRM_USER_PASSWORD": "a long enough password"}
    args = [
        "users",
        "create",
        "--email",
        "Skrypt@Contentum.pl",
        "--name",
        "Skrypt",
        "--role",
        "admin",
    ]

    created = await asyncio.to_thread(crm, *args, env=env)
    refused = await asyncio.to_thread(crm, *args[:-1], "boss", env=env)

    assert created.returncode == 0, created.stderr
    assert refused.returncode == 2 and "crm: role:" in refused.stderr
    engine = new_engine(async_url(url))
    async with engine.connect() as connection:
        row = (await connection.execute(text("SELECT email, role FROM app_user"))).one()
    await engine.dispose()
    assert tuple(row) == ("skrypt@contentum.pl", "admin")


def test_access_logs_never_show_a_feed_token() -> None:
    import logging

    from services.cli import HideFeedTokens

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5000", "GET", "/api/calendar/feeds/s3cr3t-T0ken_x.ics", "1.1", 200),
        None,
    )
    assert HideFeedTokens().filter(record)
    assert "s3cr3t" not in record.getMessage()
    assert "/api/calendar/feeds/<token>" in record.getMessage()
