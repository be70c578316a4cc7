"""Start `crm` commands as real processes for tests, and wait until they answer."""

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.postgres import database_url, start_embedded_server
from shared.testing.waiting import eventually_sync


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def crm_process(
    args: list[str],
    *,
    env: Mapping[str, str],
    log: Path,
    url: str | None = None,
    timeout: float = 60,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `crm <args>`; when `url` is given, wait until it is ready (`/readyz`). Stopped on exit."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", *args],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            if url is not None:
                _wait_ready(process, url, timeout, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def crm_processes(
    commands: Mapping[str, list[str]],
    *,
    env: Mapping[str, str],
    logs: Path,
    urls: Mapping[str, str],
    timeout: float = 60,
) -> Iterator[None]:
    """Run several `crm` commands at once (`<name>.log` in `logs`); wait until each answers."""
    with ExitStack() as stack:
        started = {
            name: stack.enter_context(crm_process(args, env=env, log=logs / f"{name}.log"))
            for name, args in commands.items()
        }
        for name, process in started.items():
            _wait_ready(process, urls[name], timeout, logs / f"{name}.log")
        yield


def _wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float, log: Path) -> None:
    # One client for all the tries: a new one per try costs more CPU (its TLS set-up) than
    # the process it waits for has to spare while starting.
    with httpx.Client(base_url=url, timeout=1) as client:

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(
                    f"crm exited with {process.returncode}:\n{log.read_text()[-3000:]}"
                )
            try:
                # /healthz answers at once, while the process still loads (services.starting)
                return client.get("/readyz").status_code == 200
            except httpx.TransportError:
                return False

        try:
            eventually_sync(ready, timeout=timeout, interval=0.05)
        except AssertionError as late:
            if process.poll() is not None:
                raise
            message = f"crm did not answer at {url}:\n{log.read_text()[-3000:]}"
            raise AssertionError(message) from late


@dataclass(frozen=True)
class RunningCrm:
    """The whole CRM as `crm run` serves it: its address, data, console output and process."""

    url: str
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def database_url(self, service: str) -> str:
        """The URL of a service's database on the embedded server `crm run` started."""
        return database_url(start_embedded_server(self.data_dir), f"crm_{service}")

    def output(self) -> list[str]:
        """What the process has printed so far, line by line."""
        return self.log.read_text().splitlines()


@contextmanager
def crm_run(scratch: Path, env: Mapping[str, str]) -> Iterator[RunningCrm]:
    """`crm run` on a free port with a fresh embedded PostgreSQL under `scratch`."""
    url = f"http://127.0.0.1:{free_port()}"
    data_dir, log = scratch / "pg", scratch / "crm.log"
    args = ["run", "--port", url.rsplit(":", 1)[1], "--data-dir", str(data_dir)]
    with crm_process(args, env={"DATABASE_URL": "", **env}, log=log, url=url) as process:
        yield RunningCrm(url, data_dir, log, process)


def processes_mentioning(paths: Iterable[Path]) -> list[tuple[int, str]]:
    """The running processes (pid, command line) whose command line names one of `paths`:
    what a test session started and may have left behind (Linux; none elsewhere)."""
    # The path itself or one under it: another session's `var/pytest2` is not `var/pytest`'s.
    named = re.compile("|".join(f"{re.escape(str(path))}(?=/|\\s|$)" for path in paths) or "$^")
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if int(entry.name) != os.getpid() and named.search(command):
            found.append((int(entry.name), command.strip()))
    return found
