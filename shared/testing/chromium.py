"""Chromium for the browser tests: where it is, and Debian's package installed when we may.

`python -m shared.testing.chromium` (the first step of `make test`) installs it with apt-get
when it is missing and we are root; otherwise it prints the one line saying how to get it.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

DEBIAN_CHROMIUM = "/usr/bin/chromium"
APT_GET = ["apt-get", "-qq", "-o", "DPkg::Lock::Timeout=300"]  # wait for another apt, not fail


def chromium_path() -> str | None:
    """`CRM_CHROMIUM`, Debian's Chromium, or a `chromium` on PATH; None when there is none."""
    for candidate in (os.environ.get("CRM_CHROMIUM"), DEBIAN_CHROMIUM, shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def missing() -> str:
    """One line: Chromium is missing, and the command that installs it."""
    return (
        f"no Chromium at {DEBIAN_CHROMIUM}: install it with"
        " `sudo apt-get update && sudo apt-get install -y chromium` (or set CRM_CHROMIUM)"
    )


def install() -> str | None:
    """Install Debian's Chromium quietly; what went wrong, or None."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([*APT_GET, "update"], [*APT_GET, "install", "-y", "chromium"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"{' '.join(command)} failed:\n{(done.stdout + done.stderr)[-2000:]}"
    return None


def main() -> int:
    if chromium_path() is not None:
        return 0
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(missing(), file=sys.stderr)
        return 0  # the browser tests say it again: they skip, or fail under CI=true
    print("Installing Chromium for the browser tests (apt-get install chromium)", file=sys.stderr)
    problem = install()
    if problem is not None:
        print(problem, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
