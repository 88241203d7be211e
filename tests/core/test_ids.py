"""Time-ordered identifiers."""

import time

from betang.core.ids import new_id


def test_ids_are_version_7_unique_and_grow_with_time():
    first = [new_id() for _ in range(1000)]
    time.sleep(0.002)
    later = new_id()
    assert len(set(first)) == 1000
    assert all(i.version == 7 and i.variant == "specified in RFC 4122" for i in first)
    assert later > max(first)
    assert later.hex > max(first).hex  # SQLite stores the hex: the order holds there too
