"""Identifiers born where the row is born: time-ordered UUIDs (the UUIDv7 layout of RFC 9562).

Random UUIDv4 keys scatter every insert across the primary-key index; v7 keys grow with time, so bulk
inserts append to the index instead, on SQLite and PostgreSQL alike, and outposts can still mint them
offline without coordination.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_POOL_IDS = 4096  # random bytes are drawn from the OS for this many ids at once: one system call, not one each
_local = threading.local()  # each thread its own pool: two threads never read the same bytes


def _forget_pools() -> None:
    """A forked child must not mint the ids its parent will: the inherited pool is dropped."""
    global _local
    _local = threading.local()


os.register_at_fork(after_in_child=_forget_pools)


def _random80() -> int:
    pool = _local.__dict__
    at = pool.get("at", 0)
    data = pool.get("data", b"")
    if at >= len(data):
        data, at = os.urandom(10 * _POOL_IDS), 0
        pool["data"] = data
    pool["at"] = at + 10
    return int.from_bytes(data[at : at + 10], "big")


def _new_value() -> int:
    millis = time.time_ns() // 1_000_000
    rand = _random80()
    value = (millis & ((1 << 48) - 1)) << 80  # 48-bit Unix time in ms
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 62) & 0xFFF) << 64  # 12 random bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # 62 random bits
    return value


def new_id() -> uuid.UUID:
    return uuid.UUID(int=_new_value())


def new_id_hex() -> str:
    """The same as `new_id().hex`, without building the UUID object (bulk paths mint one per row)."""
    return f"{_new_value():032x}"


def as_uuid(value: object) -> uuid.UUID | None:
    """A key as plain SQL gives it back (a UUID on PostgreSQL, hex text on SQLite), as the ORM would."""
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def uuid_param(value: object) -> object:
    """A key as a plain statement takes it as a parameter: the UUID where the database has a UUID
    type, else hex text (as Django stores a UUIDField on SQLite); None stays None."""
    from django.db import connection

    key = as_uuid(value)
    return key if key is None or connection.features.has_native_uuid_field else key.hex


def uuid_text_sql(column: str) -> str:
    """A UUID column as SQL text in the form str(UUID) gives (lower-case hex in 8-4-4-4-12 groups),
    for keys built from ids inside a statement. SQLite keeps Django's UUIDs as 32 hex digits."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"{column}::text"
    groups = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    return "lower(" + " || '-' || ".join(f"substr({column}, {start}, {length})" for start, length in groups) + ")"
