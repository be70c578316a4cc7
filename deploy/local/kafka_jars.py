"""The local Kafka's jars: fetched from Maven Central, each checked against `kafka-jars.lock`.

    python3 kafka_jars.py fetch LIBS_DIR STAMP   jars into LIBS_DIR (no-op when it holds STAMP)
    python3 kafka_jars.py lock                   rewrite kafka-jars.lock from pom.xml (needs mvn)

Only the standard library, so `deploy/local/kafka` runs it with any Python 3.11+. Jars land in a
private directory next to LIBS_DIR and are moved in whole with their stamp, so a concurrent test
session never sees a half-filled classpath; a jar whose SHA-256 differs from the lock is refused.
A jar already in the local Maven repository (~/.m2) is copied from there when it matches.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LOCK = HERE / "kafka-jars.lock"
CENTRAL = "https://repo.maven.apache.org/maven2"
STAMP_FILE = ".complete"
ATTEMPTS = 3
DOWNLOADS_AT_ONCE = 6
TIMEOUT_S = 60


class FetchError(Exception):
    """A jar could not be had, or was not the one the lock names."""


@dataclass(frozen=True)
class Jar:
    """One Maven artifact of the broker's runtime classpath and the SHA-256 it must have."""

    group: str
    artifact: str
    version: str
    sha256: str
    classifier: str = ""

    @property
    def file_name(self) -> str:
        suffix = f"-{self.classifier}" if self.classifier else ""
        return f"{self.artifact}-{self.version}{suffix}.jar"

    @property
    def path(self) -> str:
        """Where the jar lives in a Maven repository (Central's layout, also ~/.m2's)."""
        return f"{self.group.replace('.', '/')}/{self.artifact}/{self.version}/{self.file_name}"

    @property
    def coordinates(self) -> str:
        parts = [self.group, self.artifact, self.version]
        return ":".join([*parts, self.classifier] if self.classifier else parts)


def read_lock(text: str) -> list[Jar]:
    """The jars of a lock file: `<sha256>  group:artifact:version[:classifier]` per line."""
    jars = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([0-9a-f]{64})\s+([^:\s]+):([^:\s]+):([^:\s]+)(?::([^:\s]+))?", line)
        if match is None:
            raise ValueError(f"kafka-jars.lock line {number} is not '<sha256>  g:a:v[:c]'")
        sha256, group, artifact, version, classifier = match.groups()
        jars.append(Jar(group, artifact, version, sha256, classifier or ""))
    return jars


def pom_digest(pom: Path = POM) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()


def locked_pom_digest(text: str) -> str | None:
    """The SHA-256 of the pom.xml the lock was made from, as its header records it."""
    match = re.search(r"^# pom\.xml sha256: ([0-9a-f]{64})$", text, re.MULTILINE)
    return match.group(1) if match else None


# --- fetching -------------------------------------------------------------------------------


def fetch(libs: Path, stamp: str, jars: list[Jar], repository: str = CENTRAL) -> bool:
    """Make `libs` hold exactly `jars`, stamped with `stamp`; False when it already did."""
    if _stamped(libs, stamp):
        return False
    libs.parent.mkdir(parents=True, exist_ok=True)
    part = Path(tempfile.mkdtemp(prefix=f"{libs.name}.part.", dir=libs.parent))
    try:
        with ThreadPoolExecutor(DOWNLOADS_AT_ONCE) as pool:
            list(pool.map(lambda jar: _place(jar, part, repository), jars))
        (part / STAMP_FILE).write_text(stamp + "\n")
        _move_in(part, libs, stamp)
    finally:
        shutil.rmtree(part, ignore_errors=True)
    return True


def _stamped(libs: Path, stamp: str) -> bool:
    try:
        return (libs / STAMP_FILE).read_text().strip() == stamp
    except OSError:
        return False


def _place(jar: Jar, into: Path, repository: str) -> None:
    target = into / jar.file_name
    local = Path.home() / ".m2" / "repository" / jar.path
    if local.is_file() and _sha256(local) == jar.sha256:
        shutil.copyfile(local, target)
        return
    url = f"{repository.rstrip('/')}/{jar.path}"
    for attempt in range(1, ATTEMPTS + 1):
        try:
            digest = _download(url, target)
            break
        except OSError as error:  # includes URLError and timeouts
            if attempt == ATTEMPTS:
                raise FetchError(f"{url}: {error}") from error
            time.sleep(attempt)  # a registry hiccup: back off briefly, then ask again
    if digest != jar.sha256:
        target.unlink()
        raise FetchError(f"{url}: SHA-256 {digest} is not the locked {jar.sha256}")


def _download(url: str, target: Path) -> str:
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer, target.open("wb") as out:
        while chunk := answer.read(1 << 16):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _move_in(part: Path, libs: Path, stamp: str) -> None:
    """Rename the filled directory into place; a session that got there first wins."""
    old = libs.with_name(f"{libs.name}.old.{uuid.uuid4().hex[:8]}")
    for _ in range(ATTEMPTS):
        if _stamped(libs, stamp):
            return
        if libs.exists():
            # Only ever replace a cache made here (or an empty dir), never someone's folder.
            if not (libs / STAMP_FILE).exists() and any(libs.iterdir()):
                raise FetchError(f"{libs} is not a jar cache made by deploy/local; not touching it")
            with contextlib.suppress(FileNotFoundError):  # another session moved it first
                libs.rename(old)
        try:
            part.rename(libs)
            break
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    else:
        raise FetchError(f"could not move the jars into {libs}")
    shutil.rmtree(old, ignore_errors=True)


# --- locking --------------------------------------------------------------------------------


def resolve_with_maven(pom: Path = POM) -> list[Jar]:
    """The runtime classpath Maven resolves for `pom`, with each jar's SHA-256."""
    with tempfile.TemporaryDirectory() as scratch:
        listing = Path(scratch) / "dependencies.txt"
        subprocess.run(
            [
                "mvn", "-q", "-B", "-C", "-f", str(pom), "dependency:list",
                "-DincludeScope=runtime", "-DoutputAbsoluteArtifactFilename=true",
                f"-DoutputFile={listing}",
            ],
            check=True,
        )  # fmt: skip
        return list(_parse_listing(listing.read_text()))


def _parse_listing(text: str) -> Iterable[Jar]:
    # Lines look like `g:a:jar[:classifier]:v:scope:/path/to.jar -- module x (auto)`.
    for line in text.splitlines():
        fields = line.split(" -- ")[0].strip().split(":")
        if len(fields) not in (6, 7) or fields[2] != "jar":
            continue
        group, artifact, *middle, _scope, path = fields
        classifier, version = (middle[1], middle[2]) if len(middle) == 3 else ("", middle[1])
        yield Jar(group, artifact, version, _sha256(Path(path)), classifier)


def render_lock(jars: list[Jar], pom_sha256: str) -> str:
    header = [
        "# The local Kafka broker's runtime classpath (deploy/local/kafka), as Maven resolves",
        "# pom.xml. Written by `python3 deploy/local/kafka_jars.py lock`; run it after editing",
        "# pom.xml. Each line: the jar's SHA-256 and its Maven Central coordinates.",
        f"# pom.xml sha256: {pom_sha256}",
    ]
    lines = [f"{jar.sha256}  {jar.coordinates}" for jar in sorted(jars, key=_by_coordinates)]
    return "\n".join(header + lines) + "\n"


def _by_coordinates(jar: Jar) -> str:
    return jar.coordinates


def main(argv: list[str]) -> int:
    if argv[:1] == ["fetch"] and len(argv) == 3:
        libs, stamp = Path(argv[1]), argv[2]
        if _stamped(libs, stamp):
            return 0
        print(f"kafka: downloading the broker's jars into {libs} (first run only)", file=sys.stderr)
        repository = os.environ.get("CRM_MAVEN_REPOSITORY") or CENTRAL
        try:
            fetch(libs, stamp, read_lock(LOCK.read_text()), repository)
        except FetchError as error:
            print(f"kafka: {error}", file=sys.stderr)
            return 1
        return 0
    if argv == ["lock"]:
        LOCK.write_text(render_lock(resolve_with_maven(), pom_digest()))
        return 0
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
