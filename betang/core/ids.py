"""Identifiers born where the row is born: time-ordered UUIDs (the UUIDv7 layout of RFC 9562).

Random UUIDv4 keys scatter every insert across the primary-key index; v7 keys grow with time, so bulk
inserts append to the index instead, on SQLite and PostgreSQL alike, and outposts can still mint them
offline without coordination.
"""

from __future__ import annotations

import os
import time
import uuid


def new_id() -> uuid.UUID:
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80  # 48-bit Unix time in ms
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 62) & 0xFFF) << 64  # 12 random bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # 62 random bits
    return uuid.UUID(int=value)
