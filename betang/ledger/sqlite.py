"""SQLite's side of the ledger's set-based posts: the functions PostgreSQL has built in (a new
UUIDv7, sha256) registered on every SQLite connection, computing request hashes and postings digests
with the very Python functions a single post uses (`ledger.services`)."""

from __future__ import annotations

import hashlib
from typing import Any

from betang.core.ids import new_id


class _Pairs:
    """An aggregate over (account id, amount) rows; the others arguments are the same on every row."""

    def __init__(self) -> None:
        self.pairs: list[tuple[int, int]] = []
        self.fixed: tuple[Any, ...] = ()

    def add(self, fixed: tuple[Any, ...], account: int, amount: int) -> None:
        self.fixed = fixed
        self.pairs.append((account, amount))


class RequestHash(_Pairs):
    """ledger_request_hash(head, account, amount, tail): sha256 of head + the sorted legs + tail."""

    def step(self, head: str, account: int, amount: int, tail: str) -> None:
        self.add((head, tail), account, amount)

    def finalize(self) -> str:
        head, tail = self.fixed
        legs = ",".join(f"[{account},{amount}]" for account, amount in sorted(self.pairs))
        return hashlib.sha256(f"{head}{legs}{tail}".encode()).hexdigest()


class PostingsDigest(_Pairs):
    """ledger_postings_digest(entry id, account, amount): `services.postings_digest` of the entry."""

    def step(self, entry_id: str, account: int, amount: int) -> None:
        self.add((entry_id,), account, amount)

    def finalize(self) -> str:
        from betang.ledger.services import postings_digest

        return postings_digest(self.fixed[0], self.pairs)


def register(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created: give a new SQLite connection the ledger's functions."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("ledger_new_id", 0, lambda: new_id().hex)
    raw.create_aggregate("ledger_request_hash", 4, RequestHash)
    raw.create_aggregate("ledger_postings_digest", 3, PostingsDigest)
