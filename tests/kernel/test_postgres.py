"""The embedded PostgreSQL server as `crm run` starts it: in a thread, while the services load."""

import threading
import time
import warnings
from pathlib import Path

from shared.postgres import start_embedded_server, stop_embedded_server


def test_starting_the_server_keeps_the_warning_filters_another_thread_sets_meanwhile(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "pg"
    started = threading.Thread(target=start_embedded_server, args=(data_dir,))
    with warnings.catch_warnings():  # the test's own filter goes with it
        started.start()
        try:
            while not data_dir.exists() and started.is_alive():
                time.sleep(0.01)  # until it has made the directory: initdb takes a second or more
            # What FastAPI does while it builds a route's parameters in the loading thread.
            warnings.filterwarnings("ignore", message="the route's own filter")
            set_meanwhile = warnings.filters[0]
            started.join()

            assert set_meanwhile in warnings.filters
        finally:
            stop_embedded_server(data_dir)
