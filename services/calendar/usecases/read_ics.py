"""`python -m services.calendar.usecases.read_ics ZONE`: an `.ics` file from standard input read
into events (`domain.parsing.read`), answered pickled on standard output.

An import reads its file in a process of its own: parsing thousands of events is seconds of
pure Python, which in a thread would hold the interpreter's lock the service's event loop needs.
"""

import pickle
import sys

from services.calendar.domain import parsing


def main() -> None:
    data = sys.stdin.buffer.read()
    try:
        answer: tuple[str, object] = ("read", parsing.read(data, sys.argv[1]))
    except parsing.BadCalendar as bad:
        answer = ("refused", (bad.message, bad.reason))
    sys.stdout.buffer.write(pickle.dumps(answer))


if __name__ == "__main__":
    main()
