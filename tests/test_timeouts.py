"""The suite's own guard: a test that hangs, in async code too, is stopped by its timeout."""

import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HANGING = """
import asyncio

import pytest


@pytest.fixture
async def never_ready():
    await asyncio.sleep(1000)
    yield


async def test_a_hanging_test():
    await asyncio.sleep(1000)


async def test_a_hanging_fixture(never_ready):
    pass


async def test_the_next_test_still_runs():
    await asyncio.sleep(0)
"""


def test_a_hanging_async_test_or_fixture_fails_within_its_timeout(
    repo_root: Path, tmp_path: Path
) -> None:
    options = tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["pytest"]
    assert 0 < options["ini_options"]["timeout"] <= 300  # the suite's, overridden below
    (tmp_path / "test_hanging.py").write_text(HANGING)
    started = time.monotonic()
    run = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider"),
            *("-c", str(repo_root / "pyproject.toml"), "--rootdir", str(tmp_path)),
            *("-o", "timeout=1", f"--basetemp={tmp_path / 'tmp'}", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - started

    assert run.returncode == 1, run.stdout
    assert "1 failed, 1 passed, 1 error" in run.stdout  # the fixture fails as an error
    assert run.stdout.count("Timeout (>1.0s) from pytest-timeout") >= 2
    assert took < 20
