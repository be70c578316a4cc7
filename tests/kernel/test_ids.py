"""Time-ordered ids sort in the order they were made and are proper UUIDv7s."""

import time
from uuid import UUID

from shared.ids import time_ordered_id


def test_ids_made_one_after_another_sort_in_that_order() -> None:
    ids = [time_ordered_id() for _ in range(10_000)]  # many within one millisecond

    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_an_id_is_a_version_7_uuid_carrying_the_time_it_was_made() -> None:
    before = time.time_ns() // 1_000_000
    made = time_ordered_id()
    after = time.time_ns() // 1_000_000

    assert (made.version, made.variant) == (7, "specified in RFC 4122")
    assert before <= made.int >> 80 <= after + 1
    assert UUID(str(made)) == made
