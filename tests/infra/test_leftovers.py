"""What the end of the suite looks for: processes naming the session's directories."""

import subprocess
import sys
from pathlib import Path

from shared.testing.processes import processes_mentioning


def test_a_process_naming_a_directory_of_the_session_is_found_until_it_ends(
    tmp_path: Path,
) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(tmp_path)])
    try:
        found = processes_mentioning([tmp_path])
    finally:
        sleeper.kill()
        sleeper.wait()

    assert [pid for pid, _ in found] == [sleeper.pid]
    assert processes_mentioning([tmp_path]) == []
