"""The `crm` command as a newcomer uses it: run, serve, events, users."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from services import cli
from shared.db import new_engine
from shared.postgres import async_url
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from shared.testing.processes import (
    RunningCrm,
    crm_process,
    crm_run,
    free_port,
    processes_mentioning,
)
from shared.testing.waiting import eventually_sync

pytestmark = pytest.mark.slow


def run_crm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`crm ARGS` as its own process."""
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """`crm ARGS` in this process: the same command, without the start-up of a new Python."""
    return CliRunner().invoke(cli.app, list(args), env=env)


def test_serving_a_service_without_its_database_url_stops_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [n for n in os.environ if n.upper().startswith(("DEALS_", "CRM_", "KAFKA_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k:9092")

    result = invoke("serve", "deals")

    assert result.exit_code == 2
    assert "crm: DEALS_DATABASE_URL is missing" in result.stderr.splitlines()


def test_an_unknown_service_is_refused() -> None:
    result = invoke("serve", "billing")

    assert result.exit_code == 2
    assert "unknown service 'billing'" in result.stderr


def test_events_prints_the_asyncapi_document() -> None:
    result = run_crm("events")

    document = json.loads(result.stdout)
    assert document["asyncapi"] == "3.0.0"
    assert "company_created_v1" in document["components"]["messages"]


def test_run_serves_the_whole_crm_in_one_process(crm: RunningCrm) -> None:
    token = httpx.post(
        f"{crm.url}/api/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        f"{crm.url}/api/companies", json={"name": "Hurtownia Kraków"}, headers=headers
    )
    assert created.status_code == 201, created.text

    def listed_by_planning() -> list[dict[str, str]]:
        clients = httpx.get(f"{crm.url}/api/plans/clients", headers=headers).json()["items"]
        return [client for client in clients if client["id"] == created.json()["id"]]

    [client] = eventually_sync(listed_by_planning, timeout=2)
    assert client["name"] == "Hurtownia Kraków"


def test_run_says_in_one_line_where_it_answers_and_whom_it_made_administrator(
    crm: RunningCrm,
) -> None:
    line = f"Contentum CRM is running on {crm.url}; first administrator: {ADMIN_EMAIL}"

    assert eventually_sync(crm.output) == [line]


def test_the_first_start_shows_a_generated_password_once_and_each_run_stops_its_database(
    tmp_path: Path,
) -> None:
    env = {"CRM_ADMIN_EMAIL": "", "CRM_ADMIN_PASSWORD": "", "CRM_LOG_LEVEL": ""}

    with crm_run(tmp_path, env) as first:
        [line] = eventually_sync(first.output)
        said, password = line.split(" / password: ")
        password = password.removesuffix(" (shown only this once)")
        signed_in = httpx.post(
            f"{first.url}/api/auth/token",
            data={"username": "admin@example.com", "password": password},
        )
    # Stopped with SIGTERM on the way out: its PostgreSQL stopped with it, and no later start
    # could find that one still running.
    database_stopped = not (first.data_dir / "postmaster.pid").exists()
    with crm_run(tmp_path, env) as second:
        again = eventually_sync(second.output)

    assert (
        said == f"Contentum CRM is running on {first.url}; first administrator: admin@example.com"
    )
    assert len(password) >= 12 and signed_in.status_code == 200
    assert again == [f"Contentum CRM is running on {second.url}"]
    assert database_stopped and not (second.data_dir / "postmaster.pid").exists()


def test_run_that_cannot_start_says_why_and_exits_1() -> None:
    env = {**os.environ, "DATABASE_URL": "postgresql://crm@127.0.0.1:1/crm"}

    result = run_crm("run", "--port", str(free_port()), env=env)

    assert result.returncode == 1
    assert "the CRM could not start" in result.stderr
    assert "Contentum CRM is running" not in result.stderr


def test_run_stopped_while_it_starts_ends_at_once(tmp_path: Path) -> None:
    with socket.socket() as silent:  # a database that accepts and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        env = {"DATABASE_URL": f"postgresql://crm@127.0.0.1:{port}/crm"}
        with crm_process(["run", "--port", str(free_port())], env=env, log=tmp_path / "log") as run:
            time.sleep(1)  # listening, and waiting for the database
            run.send_signal(signal.SIGTERM)
            started = time.monotonic()
            run.wait(20)
            took = time.monotonic() - started

    assert took < 5


def test_run_stopped_with_a_page_open_ends_its_notification_stream_at_once(
    tmp_path: Path,
) -> None:
    env = {"CRM_ADMIN_EMAIL": ADMIN_EMAIL, "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD}
    with crm_run(tmp_path, env) as crm:
        assert crm.process is not None
        signed_in = {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        token = httpx.post(f"{crm.url}/api/auth/token", data=signed_in).json()["access_token"]
        page = {"crm_session": token}
        with httpx.stream("GET", f"{crm.url}/notifications/stream", cookies=page) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("event: unread")
            crm.process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            list(lines)  # to its end: not cut after the grace period for requests under way
        crm.process.wait(30)
        took = time.monotonic() - started

    assert took < 5  # the grace period is 15 s
    assert not [line for line in crm.output() if "Traceback" in line or "ERROR" in line]


def test_run_stops_its_database_on_ctrl_c_even_after_a_run_was_killed(tmp_path: Path) -> None:
    env = {"CRM_ADMIN_EMAIL": ADMIN_EMAIL, "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD}
    with crm_run(tmp_path, env) as killed:
        assert killed.process is not None
        killed.process.kill()  # kill -9: its PostgreSQL is orphaned, its pid left in the list
        killed.process.wait(10)
    orphaned = (killed.data_dir / "postmaster.pid").exists()

    with crm_run(tmp_path, env) as interrupted:
        assert interrupted.process is not None
        interrupted.process.send_signal(signal.SIGINT)  # Ctrl+C
        interrupted.process.wait(30)

    assert orphaned
    assert not (interrupted.data_dir / "postmaster.pid").exists()  # stopped, and no stale file
    assert processes_mentioning([interrupted.data_dir]) == []


async def test_users_create_adds_a_user_a_script_can_sign_in_with(new_database: Any) -> None:
    url = await new_database("gateway")
    env = {"GATEWAY_DATABASE_URL": url, "CRM_USER_PASSWORD": "a long enough password"}
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

    created = await asyncio.to_thread(invoke, *args, env=env)  # it runs an event loop of its own
    refused = await asyncio.to_thread(invoke, *args[:-1], "boss", env=env)

    assert created.exit_code == 0, created.output
    assert refused.exit_code == 2 and "crm: role:" in refused.stderr
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
