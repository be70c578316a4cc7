"""`make test` brings Debian's Chromium when it may, and otherwise says in one line how to."""

import os
import shutil
import subprocess
from typing import Any

import pytest

from shared.testing import chromium


@pytest.fixture
def apt(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, str]]]:
    """apt-get stands in for Debian's mirrors: the commands it was asked to run."""
    calls: list[tuple[list[str], dict[str, str]]] = []

    def run(
        command: list[str], *, env: dict[str, str], **_: Any
    ) -> subprocess.CompletedProcess[str]:
        calls.append((command, env))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(chromium, "chromium_path", lambda: None)
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    return calls


def test_root_installs_chromium_quietly_with_apt(
    apt: list[tuple[list[str], dict[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)

    assert chromium.main() == 0

    commands = [command for command, _ in apt]
    assert [c[-1] for c in commands] == ["update", "chromium"]
    assert all("-qq" in c for c in commands) and "install" in commands[1]
    assert all(env["DEBIAN_FRONTEND"] == "noninteractive" for _, env in apt)
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_anyone_else_gets_one_line_with_the_command_and_nothing_is_run(
    apt: list[tuple[list[str], dict[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)

    assert chromium.main() == 0

    [line] = capsys.readouterr().err.splitlines()
    assert "sudo apt-get install -y chromium" in line and line == chromium.missing()
    assert apt == []


def test_nothing_is_done_when_chromium_is_there(
    apt: list[tuple[list[str], dict[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(chromium, "chromium_path", lambda: "/usr/bin/chromium")

    assert chromium.main() == 0

    assert apt == [] and capsys.readouterr().err == ""
