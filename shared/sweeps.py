"""The kernel's tables kept to size: every replica deletes, now and then, what is no longer needed
(deleting twice is harmless), a batch at a time so no transaction grows large:

- `idempotency_key`: a write's key `CRM_IDEMPOTENCY_KEY_HOURS` after it was made (a repeat after
  that is a new write);
- `outbox`: an event `CRM_OUTBOX_KEEP_DAYS` after it was sent (Kafka has it; the row stays a
  while only to be looked into); an event not sent yet stays, however old;
- `inbox`: the note that an event was applied, `CRM_INBOX_KEEP_DAYS` after it was: longer than
  Kafka keeps any event, dead letters included, so a repeat is recognised for as long as it can
  come.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from shared.reads import ReadPool
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

SWEEP_SECONDS = 600.0
BATCH = 5000


def _older_than(table: str, column: str) -> str:
    """A statement deleting at most $2 rows of `table` whose `column` is older than $1 seconds."""
    return (
        f"DELETE FROM {table} WHERE ctid = ANY (ARRAY ("
        f" SELECT ctid FROM {table} WHERE {column} < now() - make_interval(secs => $1) LIMIT $2))"
    )


EXPIRED_KEYS = _older_than("idempotency_key", "created_at")
SENT_EVENTS = _older_than("outbox", "sent_at")
APPLIED_EVENTS = _older_than("inbox", "processed_at")


@dataclass(frozen=True)
class Sweep:
    what: str  # as the log names it
    statement: str
    keep_seconds: float


def sweeps_of(settings: ServiceSettings) -> list[Sweep]:
    day = 24 * 3600
    return [
        Sweep("expired idempotency keys", EXPIRED_KEYS, settings.idempotency_key_hours * 3600),
        Sweep("events sent from the outbox", SENT_EVENTS, settings.outbox_keep_days * day),
        Sweep("notes of applied events", APPLIED_EVENTS, settings.inbox_keep_days * day),
    ]


async def in_batches(delete: Callable[[int], Awaitable[int]], batch: int) -> int:
    """`delete(batch)` (one statement or transaction, deleting at most `batch` rows, how many)
    again until it deletes fewer; how many rows went in all."""
    gone = 0
    while True:
        count = await delete(batch)
        gone += count
        if count < batch:
            return gone


async def sweep(reads: ReadPool, statement: str, keep_seconds: float, *, batch: int = BATCH) -> int:
    """Delete what is older than `keep_seconds`, a batch at a time; how many rows went."""

    async def one_batch(size: int) -> int:
        done = await reads.run(
            lambda connection: connection.execute(statement, float(keep_seconds), size)
        )
        return int(str(done).rsplit(" ", 1)[-1])

    return await in_batches(one_batch, batch)


async def sweeping(reads: ReadPool, sweeps: Sequence[Sweep]) -> None:
    """Sweep every few minutes (sooner when something is kept briefly), for ever."""
    every = min(SWEEP_SECONDS, *(each.keep_seconds / 4 for each in sweeps))
    while True:
        await asyncio.sleep(every)
        for each in sweeps:
            try:
                swept = await sweep(reads, each.statement, each.keep_seconds)
            except Exception:
                log.warning("sweeping %s failed; tried again later", each.what, exc_info=True)
                continue
            if swept:
                log.info("swept %d %s", swept, each.what)
