"""vdirsyncer keeps a folder of .ics files and the CRM calendar in step, both ways."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.caldav.conftest import Seller

START = (datetime.now(UTC) + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)


def configure(folder: Path, seller: Seller) -> Path:
    config = folder / "config"
    config.write_text(
        f"""[general]
status_path = "{folder / "status"}/"

[pair crm]
a = "crm_calendar"
b = "local"
collections = ["from a"]

[storage crm_calendar]
type = "caldav"
url = "{seller.url}/"
username = "{seller.email}"
password = "{seller.token}"

[storage local]
type = "filesystem"
path = "{folder / "local"}/"
fileext = ".ics"
"""
    )
    return config


def vdirsyncer(config: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "vdirsyncer", "-c", str(config), *args],
        input="y\n" * 5,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def local_event(uid: str, title: str) -> str:
    stamp = START.strftime("%Y%m%dT%H%M%SZ")
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Local//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:{stamp}\r\nDTSTART:{stamp}\r\nDURATION:PT1H\r\n"
        f"SUMMARY:{title}\r\nCATEGORIES:spotkanie\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def test_vdirsyncer_syncs_both_ways_twice_without_duplicates_or_lost_edits(
    seller: Seller, tmp_path: Path
) -> None:
    planned = seller.call(
        "POST",
        "/api/activities",
        json={
            "kind": "call",
            "title": "Telefon z CRM",
            "start": START.isoformat(),
            "end": (START + timedelta(minutes=15)).isoformat(),
        },
    ).json()
    config = configure(tmp_path, seller)
    vdirsyncer(config, "discover", "crm")
    [local] = [p for p in (tmp_path / "local").iterdir() if p.is_dir()]
    (local / "from-folder.ics").write_text(local_event("folder-1@example.com", "Z folderu"))

    vdirsyncer(config, "sync")
    again = vdirsyncer(config, "sync")  # what was uploaded is served as it was put
    assert "Copying" not in again and "Deleting" not in again
    files = {p.name: p.read_text() for p in local.glob("*.ics")}
    assert len(files) == 2 and any("Telefon z CRM" in text for text in files.values())
    items = seller.call("GET", "/api/activities").json()["items"]
    assert sorted(i["title"] for i in items) == ["Telefon z CRM", "Z folderu"]

    (local / "from-folder.ics").write_text(
        local_event("folder-1@example.com", "Z folderu, zmienione")
    )
    seller.call("PATCH", f"/api/activities/{planned['id']}", json={"title": "Telefon, zmieniony"})
    vdirsyncer(config, "sync")
    quiet = vdirsyncer(config, "sync")  # nothing left to do: nothing changes, nothing doubles
    assert "Copying" not in quiet and "Deleting" not in quiet

    files = {p.name: p.read_text() for p in local.glob("*.ics")}
    assert len(files) == 2
    assert any("Telefon\\, zmieniony" in text for text in files.values())
    items = seller.call("GET", "/api/activities").json()["items"]
    assert sorted((i["title"], i["status"]) for i in items) == [
        ("Telefon, zmieniony", "scheduled"),
        ("Z folderu, zmienione", "scheduled"),
    ]
    assert {i["kind"] for i in items} == {"call", "meeting"}
