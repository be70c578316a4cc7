"""What the end of the suite looks for: processes naming the session's directories."""

import subprocess
import sys
from pathlib import Path

from shared.testing.processes import processes_mentioning

SLEEPER = "import time; print('up', flush=True); time.sleep(60)"


def test_a_process_naming_a_directory_of_the_session_is_found_until_it_ends(
    tmp_path: Path,
) -> None:
    # Popen returns once exec has begun, a moment before the kernel shows the new command
    # line; the sleeper's first line says it is running under the command line it was given.
    sleeper = subprocess.Popen(
        [sys.executable, "-c", SLEEPER, f"{tmp_path}/pg", f"{tmp_path}2/other"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sleeper.stdout is not None
        assert sleeper.stdout.readline() == "up\n"
        found = processes_mentioning([tmp_path])
        neighbours = processes_mentioning([Path(f"{tmp_path}2/oth")])
    finally:
        sleeper.kill()
        sleeper.wait()
        if sleeper.stdout is not None:
            sleeper.stdout.close()

    assert [pid for pid, _ in found] == [sleeper.pid]
    assert neighbours == []  # a directory whose name only starts the same is another's
    assert processes_mentioning([tmp_path]) == []
