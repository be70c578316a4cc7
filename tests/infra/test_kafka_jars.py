"""The local Kafka's jars come from a Maven repository as the lock names them, or not at all."""

import functools
import hashlib
import http.server
import importlib.util
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from shared.testing.kafka import RUNNER


def _load_kafka_jars() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kafka_jars", RUNNER.parent / "kafka_jars.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


kafka_jars: Any = _load_kafka_jars()


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        self.requests.append(self.path)


class FileServer(http.server.ThreadingHTTPServer):
    request_queue_size = 64  # sessions fetching at once open many connections together


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A Maven repository served on loopback: its URL and the folder it serves."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.m2 to copy from
    folder = tmp_path / "maven2"
    folder.mkdir()
    handler = functools.partial(QuietFiles, directory=str(folder))
    QuietFiles.requests = []
    server = FileServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", folder
    server.shutdown()
    server.server_close()


def publish(folder: Path, coordinates: str, content: bytes) -> Any:
    """Put a jar into the repository; the lock entry that names it."""
    group, artifact, version = coordinates.split(":")
    jar = kafka_jars.Jar(group, artifact, version, hashlib.sha256(content).hexdigest())
    (folder / jar.path).parent.mkdir(parents=True, exist_ok=True)
    (folder / jar.path).write_bytes(content)
    return jar


def leftovers(libs: Path) -> list[str]:
    return sorted(p.name for p in libs.parent.iterdir() if p.name != libs.name)


def test_the_lock_is_made_from_the_pom_next_to_it() -> None:
    lock = kafka_jars.LOCK.read_text()
    jars = {f"{jar.group}:{jar.artifact}": jar for jar in kafka_jars.read_lock(lock)}

    assert kafka_jars.locked_pom_digest(lock) == kafka_jars.pom_digest()
    assert "<version>3.9.1</version>" in kafka_jars.POM.read_text()
    assert jars["org.apache.kafka:kafka_2.13"].version == "3.9.1"
    assert "org.slf4j:slf4j-reload4j" in jars and "org.apache.kafka:kafka-clients" in jars


def test_the_jars_are_fetched_into_the_cache_once(
    repository: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = repository
    jars = [
        publish(folder, "org.example:broker:1.0", b"broker"),
        publish(folder, "org.x:y:2", b"y"),
    ]
    libs = tmp_path / "cache" / "libs"

    first = kafka_jars.fetch(libs, "stamp 1", jars, url)
    asked = len(QuietFiles.requests)
    again = kafka_jars.fetch(libs, "stamp 1", jars, url)

    assert (first, again) == (True, False)
    assert sorted(p.name for p in libs.iterdir()) == [".complete", "broker-1.0.jar", "y-2.jar"]
    assert (libs / "broker-1.0.jar").read_bytes() == b"broker"
    assert (asked, len(QuietFiles.requests)) == (2, 2)  # the second fetch asked for nothing
    assert leftovers(libs) == []


def test_a_jar_that_is_not_the_locked_one_is_refused_and_nothing_is_installed(
    repository: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = repository
    good = publish(folder, "org.example:good:1.0", b"good")
    bad = publish(folder, "org.example:bad:1.0", b"what the lock expects")
    (folder / bad.path).write_bytes(b"something else")
    libs = tmp_path / "cache" / "libs"

    with pytest.raises(kafka_jars.FetchError, match="is not the locked"):
        kafka_jars.fetch(libs, "stamp", [good, bad], url)

    assert not libs.exists() and leftovers(libs) == []


def test_a_new_stamp_replaces_an_old_cache_but_never_a_folder_it_did_not_make(
    repository: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = repository
    jar = publish(folder, "org.example:broker:1.1", b"newer")
    libs = tmp_path / "cache" / "libs"
    libs.mkdir(parents=True)
    (libs / "broker-1.0.jar").write_bytes(b"older")
    (libs / ".complete").write_text("old stamp\n")

    kafka_jars.fetch(libs, "new stamp", [jar], url)
    (libs / ".complete").unlink()  # now it looks like someone's own folder of jars

    assert sorted(p.name for p in libs.iterdir()) == ["broker-1.1.jar"]
    with pytest.raises(kafka_jars.FetchError, match="not a jar cache"):
        kafka_jars.fetch(libs, "another stamp", [jar], url)
    assert (libs / "broker-1.1.jar").read_bytes() == b"newer"


def test_sessions_fetching_at_once_end_with_one_complete_cache(
    repository: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = repository
    jars = [
        publish(folder, f"org.example:part{n}:1.0", bytes(20_000) + bytes([n])) for n in range(8)
    ]
    libs = tmp_path / "cache" / "libs"

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: kafka_jars.fetch(libs, "stamp", jars, url), range(4)))

    assert (libs / ".complete").read_text() == "stamp\n"
    assert len(list(libs.glob("*.jar"))) == 8 and leftovers(libs) == []
