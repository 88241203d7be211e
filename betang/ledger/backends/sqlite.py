"""SQLite's side of the ledger's writes: a single post checked inside its INSERT (or, when that writes
nothing, read and checked in steps), and the functions a query post calls, registered on every
connection (what PostgreSQL does in SQL there: a new UUIDv7, an entry's legs written out in order,
its postings digest; made by the same Python code a single post uses)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from django.db import connection

from betang.core.ids import new_id, uuid_param
from betang.ledger.backends.common import (
    ENTRY_COLUMNS,
    ENTRY_FIELDS,
    Terms,
    Unwritten,
    add_one_by_one,
    formatter,
    limits,
    terms,
)
from betang.ledger.models import Account

PIECES = {
    "empty": "DELETE FROM",
    "fence": "",
    "keep": "",
    "uuid": "char(32)",
    "new_id": "ledger_new_id()",
    "pairs": "ledger_pairs(account_id, amount)",
    "lines": "ledger_lines(account_id, amount)",
    "request_hash": "SHA256(%s || pairs || %s)",  # registered by Django on every SQLite connection
    "digest": "ledger_digest(id, lines)",
}
sql = formatter(PIECES)
add_to_balances = add_one_by_one  # the transaction holds the only write lock: nothing to lock first


def post_one(entry: tuple, pairs: Sequence[tuple[int, int]], deltas: dict[int, int]) -> Unwritten | None:
    """A single post: checked inside its INSERT (post_guarded); when that writes nothing, read and
    checked in steps, which answer why (or write, were the guard wrong). None once written."""
    if post_guarded(entry, pairs, deltas):
        return None
    return post_in_steps(entry, pairs, deltas)


def post_guarded(entry: tuple, pairs: Sequence[tuple[int, int]], deltas: dict[int, int]) -> bool:
    """The entry, its postings and the kept balances' changes, the entry written only if every
    account exists, no limited balance would go below zero and the key (or the entry reversed) is
    new. The checks sit in the INSERT itself, so a post that passes reads nothing before it writes
    (on every payment: measured, a round trip and most of the Python around it). False when nothing
    was written."""
    adapt = connection.ops.adapt_datetimefield_value
    values = dict(zip(ENTRY_FIELDS, entry, strict=True))
    entry_hex = values["id"] = entry[0].hex  # as Django keeps a UUID on SQLite
    values["occurred_at"] = adapt(entry[4])
    values["recorded_at"] = values["occurred_at"] if entry[5] == entry[4] else adapt(entry[5])
    values["reverses"] = uuid_param(entry[8]) if entry[8] else None
    values |= {"accounts": len(deltas), "debit": Account.Side.DEBIT.value}
    for n, (account, delta) in enumerate(deltas.items()):
        values[f"a{n}"], values[f"d{n}"] = account, delta
    with connection.cursor() as cursor:
        cursor.execute(_guarded_insert(len(deltas)), values)
        if cursor.rowcount != 1:
            return False
        _insert_postings(cursor, entry_hex, pairs)
        cursor.executemany(
            sql(
                "UPDATE {account} SET balance = balance + CASE WHEN normal_side = %s THEN %s ELSE -%s END, "
                "version = version + 1 WHERE id = %s AND NOT allow_negative"
            ),
            [(Account.Side.DEBIT.value, delta, delta, pk) for pk, delta in deltas.items() if delta],
        )
    return True


@lru_cache(maxsize=32)
def _guarded_insert(accounts: int) -> str:
    """post_guarded's INSERT of an entry over `accounts` accounts, written only if each of them exists
    and either may go negative or stays at or above zero. Named parameters: the entry's fields, each
    account's id and sum (a0, d0, a1, d1 …), their number and the debit side's name (Django's SQLite
    cursor turns positional ones into ?s by a regular expression, which costs more than the statement
    on a text this long: measured). The CTE follows INSERT: Python's sqlite3 counts no rows of a
    statement that begins with one."""
    pairs = ", ".join(f"(%(a{n})s, %(d{n})s)" for n in range(accounts))
    return sql(
        f"INSERT INTO {{entry}} ({ENTRY_COLUMNS}) WITH d(id, delta) AS (VALUES {pairs}) "  # noqa: S608 - placeholders
        f"SELECT {', '.join(f'%({name})s' for name in ENTRY_FIELDS)} "
        "WHERE (SELECT count(*) FROM {account} AS a JOIN d ON d.id = a.id WHERE a.allow_negative "
        "OR a.balance + CASE WHEN a.normal_side = %(debit)s THEN d.delta ELSE -d.delta END >= 0) = %(accounts)s "
        "ON CONFLICT DO NOTHING"
    )


def post_in_steps(entry: tuple, pairs: Sequence[tuple[int, int]], deltas: dict[int, int]) -> Unwritten | None:
    """Read the accounts and the key, check, then write the entry, its postings and the kept
    balances (one writer at a time: what was read still holds). None once written, else what it found."""
    found = lock_limited(deltas, key=entry[1])
    if found.unknown or found.seen is not None:
        return Unwritten(unknown=found.unknown, seen=found.seen)
    changes, short = limits(deltas, found.signs, found.balances)
    if short is not None:
        return Unwritten(short=short)
    if not _insert_entry(entry):
        return Unwritten()
    with connection.cursor() as cursor:
        _insert_postings(cursor, uuid_param(entry[0]), pairs)
    add_to_balances(changes)
    return None


def lock_limited(account_ids: Iterable[int], *, key: str | None = None) -> Terms:
    """The terms of the accounts an entry touches (and, given a `key`, its entry if posted before), in
    one statement. Nothing to lock: the database's write lock is what serialises posts. (Plain SQL:
    this runs on every payment the guard turns away. No cache of the terms: on SQLite a rolled-back
    account's id is reused.)"""
    ids = sorted(set(account_ids))
    marks = ", ".join(["%s"] * len(ids))
    posted = "LEFT JOIN {entry} AS r ON r.idempotency_key = %s" if key is not None else ""
    posted_columns = "r.id, r.request_hash" if key is not None else "NULL, NULL"
    statement = (
        f"SELECT a.id, a.normal_side, a.allow_negative, a.balance, {posted_columns} FROM {{account}} AS a "  # noqa: S608 - placeholders
        f"{posted} WHERE a.id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql(statement), [*([key] if key is not None else []), *ids])
        return terms(ids, cursor.fetchall())


def _insert_entry(entry: tuple) -> bool:
    """One entry, unless its key (or the entry it reverses) is taken: then False and nothing written.
    (ON CONFLICT DO NOTHING needs no savepoint; the ORM's compilation of an INSERT cost more than the
    INSERT itself: measured.)"""
    entry_id, key, request_hash, kind, occurred_at, recorded_at, actor_id, memo, reverses, digest = entry
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            sql(
                "INSERT INTO {entry} (id, idempotency_key, request_hash, kind, occurred_at, recorded_at, actor_id, "
                "memo, reverses_id, postings_digest) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING"
            ),
            [
                uuid_param(entry_id),
                key,
                request_hash,
                kind,
                adapt(occurred_at),
                adapt(recorded_at),
                actor_id,
                memo,
                uuid_param(reverses) if reverses else None,
                digest,
            ],
        )
        return cursor.rowcount == 1


def _insert_postings(cursor: Any, entry_db_id: Any, pairs: Sequence[tuple[int, int]]) -> None:
    """An entry's postings, its id as the database takes it (uuid_param)."""
    rows = ", ".join(["(%s, %s, %s)"] * len(pairs))
    cursor.execute(
        sql("INSERT INTO {posting} (entry_id, account_id, amount) VALUES ") + rows,
        [v for account, amount in pairs for v in (entry_db_id, account, amount)],
    )


def tune(run: Callable[[str], Any]) -> None:
    """A query post's settings: SQLite needs none."""


def untune(run: Callable[[str], Any]) -> None:
    """Nothing tuned, nothing to put back."""


def analyze(run: Callable[[str], Any], table: str) -> None:
    """SQLite plans a staging table well enough without statistics."""


# --- the functions a query post calls (registered on each connection by the app's ready()) -------


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
    """rules.postings_digest of an entry from its id (bare hex, as SQLite keeps it) and its lines."""
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
