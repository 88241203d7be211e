"""SQLite's side of the ledger's set-based posts (`services.journal_post_query`): what PostgreSQL
does in SQL there — a new UUIDv7, an entry's legs written out in order, its postings digest —
registered on every SQLite connection, made by the same Python code a single post uses (sha256 of
text is Django's own SQLite function, SHA256)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from betang.core.ids import new_id


class _Legs:
    """An aggregate over an entry's (account id, amount) legs."""

    def __init__(self) -> None:
        self.pairs: list[tuple[int, int]] = []

    def step(self, account: int, amount: int) -> None:
        self.pairs.append((account, amount))


class Pairs(_Legs):
    """ledger_pairs(account, amount): the legs as a request hash writes them, [account,amount] sorted."""

    def finalize(self) -> str:
        return ",".join(f"[{account},{amount}]" for account, amount in sorted(self.pairs))


class Lines(_Legs):
    """ledger_lines(account, amount): the legs as a postings digest writes them, "account:amount"
    lines sorted as text."""

    def finalize(self) -> str:
        return "\n".join(sorted(f"{account}:{amount}" for account, amount in self.pairs))


def _digest(entry_hex: str, lines: str) -> str:
    """services.postings_digest of an entry from its id (bare hex, as SQLite keeps it) and its lines."""
    return hashlib.sha256(f"{uuid.UUID(entry_hex)}\n{lines}".encode()).hexdigest()


def register(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created: give a new SQLite connection the ledger's functions."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("ledger_new_id", 0, lambda: new_id().hex)
    raw.create_function("ledger_digest", 2, _digest, deterministic=True)
    raw.create_aggregate("ledger_pairs", 2, Pairs)
    raw.create_aggregate("ledger_lines", 2, Lines)
