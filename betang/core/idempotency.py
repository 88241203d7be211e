"""Idempotent writes: a client's key names one request; the same key again with the same request is
answered with the first result (a replay), with another request it is refused (a conflict).

Every writer a client's retry can reach (the sale, the card payment, the ledger entry) keeps
`(idempotency_key, request_hash)` on the row it writes, the key unique. (An import needs no key: its
rows are matched by their natural keys and a run resumes from its last line, so running a file
again changes nothing.) It finds the earlier
row in its own way (often inside a statement it runs anyway, so a payment asks once), and decides
here, so the three answers mean the same everywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

_compact = json.JSONEncoder(separators=(",", ":"), sort_keys=True, default=str).encode


def request_hash(body: Any) -> str:
    """sha256 of a request's canonical JSON (keys sorted, no spaces; UUIDs and dates as text)."""
    return hashlib.sha256(_compact(body).encode()).hexdigest()


def text_hash(text: str) -> str:
    """sha256 of a request already in its canonical text (a writer that builds it itself, faster)."""
    return hashlib.sha256(text.encode()).hexdigest()


def is_replay(stored_hash: str | None, asked_hash: str, conflict: Callable[[], Exception]) -> bool:
    """Whether the key's earlier write (its stored request hash, None when there is none) answers
    this request: False for a first request, True for the same request again; another request under
    the same key raises `conflict()` (the caller's own refusal, with its stable code)."""
    if stored_hash is None:
        return False
    if stored_hash != asked_hash:
        raise conflict()
    return True
