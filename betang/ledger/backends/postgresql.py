"""PostgreSQL's side of the ledger's writes: a single post in one statement, the row locks of limited
accounts, kept balances moved in bulk, and what a query post computes in SQL (ids, hashes, digests)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from django.db import connection

from betang.ledger.backends.common import (
    ENTRY_COLUMNS,
    ENTRY_FIELDS,
    Terms,
    Unwritten,
    add_one_by_one,
    formatter,
    terms,
)
from betang.ledger.models import Account, Entry

# A UUIDv7 (core.ids' layout): a random v4 with the Unix time in ms over its first 48 bits and the
# version nibble turned from 4 into 7.
_NEW_ID = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
    "substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) "
    "from 1 for 6), 52, 1), 53, 1), 'hex')::uuid"
)
# What a single post computes in Python, for a query post: rules.request_text's legs, [account,amount]
# pairs sorted as numbers, and rules.postings_digest's lines, "account:amount" sorted as Python sorts
# text; each hashed as a single post hashes it.
PIECES = {
    "empty": "TRUNCATE",
    "fence": "OFFSET 0",
    "keep": " ON COMMIT DELETE ROWS",
    "uuid": "uuid",
    "new_id": _NEW_ID,
    "pairs": "string_agg('[' || account_id || ',' || amount || ']', ',' ORDER BY account_id, amount)",
    "lines": "string_agg(account_id || ':' || amount, chr(10) ORDER BY (account_id || ':' || amount) COLLATE \"C\")",
    "request_hash": "encode(sha256(convert_to(%s || pairs || %s, 'UTF8')), 'hex')",
    "digest": "encode(sha256(convert_to(id::text || chr(10) || lines, 'UTF8')), 'hex')",
}
sql = formatter(PIECES)
BULK_BALANCES_FROM = 100  # changes; fewer (a payment's one or two) are plain UPDATEs
_TUNED = ("enable_seqscan", "enable_mergejoin", "work_mem", "jit")


def post_one(entry: tuple, pairs: Sequence[tuple[int, int]], deltas: dict[int, int]) -> Unwritten | None:
    """A single post in one statement, one round trip. It locks the limited accounts in ascending id
    order, reads every account's terms and the key's earlier entry, and writes the entry, its
    postings and the kept balances' changes only if every account exists, no limited balance would go
    below zero and the key is new: all or nothing. None once written, else what it found.

    The checks see the locked rows as they are after the lock (a concurrent post to the same wallet
    has committed by then); the key's earlier entry is read in the statement's snapshot, which may
    predate a post of the same key that committed during the wait: ON CONFLICT then writes nothing
    and the service asks again.
    """
    ids = sorted(deltas)
    params: list[Any] = [v for pk in ids for v in (pk, deltas[pk])]
    params += [Account.Side.DEBIT.value, *ids, entry[1], *entry, len(ids)]
    params += [v for pair in pairs for v in pair]
    with connection.cursor() as cursor:
        cursor.execute(_post_statement(len(ids), len(pairs)), params)
        written, known, seen_id, seen_hash, short_id, balance, change = cursor.fetchone()
    if written:
        return None
    return Unwritten(
        unknown=sorted(set(ids) - set(known or ())),
        seen=(seen_id, seen_hash) if seen_id is not None else None,
        short=(short_id, balance, change) if short_id is not None else None,
    )


@lru_cache(maxsize=32)
def _post_statement(accounts: int, legs: int) -> str:
    """post_one's statement over `accounts` accounts and `legs` legs (made once per shape)."""
    marks = ", ".join(["%s"] * accounts)
    deltas_values = ", ".join(["(%s::bigint, %s::bigint)"] * accounts)
    legs_values = ", ".join(["(%s::bigint, %s::bigint)"] * legs)
    return sql(
        f"WITH d(id, delta) AS (VALUES {deltas_values}), "  # noqa: S608 - placeholders
        "t AS (SELECT a.id, a.allow_negative, "
        "CASE WHEN a.normal_side = %s THEN d.delta ELSE -d.delta END AS change "
        "FROM {account} AS a JOIN d ON d.id = a.id), "
        f"locked AS (SELECT id, balance FROM {{account}} WHERE id IN ({marks}) AND NOT allow_negative "
        "ORDER BY id FOR NO KEY UPDATE), "
        "short AS (SELECT l.id, l.balance, t.change FROM locked AS l JOIN t ON t.id = l.id "
        "WHERE l.balance + t.change < 0), "
        "seen AS (SELECT id, request_hash FROM {entry} WHERE idempotency_key = %s), "
        f"e AS (INSERT INTO {{entry}} ({ENTRY_COLUMNS}) SELECT {_entry_values()} "
        "WHERE (SELECT count(*) FROM t) = %s AND NOT EXISTS (SELECT 1 FROM short) "
        "AND NOT EXISTS (SELECT 1 FROM seen) ON CONFLICT DO NOTHING RETURNING id), "
        "p AS (INSERT INTO {posting} (entry_id, account_id, amount) SELECT e.id, v.account_id, v.amount "
        f"FROM e CROSS JOIN (VALUES {legs_values}) AS v(account_id, amount)), "
        "b AS (UPDATE {account} AS a SET balance = a.balance + t.change, version = a.version + 1 FROM t "
        "WHERE a.id = t.id AND NOT t.allow_negative AND t.change <> 0 AND EXISTS (SELECT 1 FROM e)) "
        "SELECT (SELECT count(*) FROM e), (SELECT array_agg(id) FROM t), s.id, s.request_hash, "
        "short.id, short.balance, short.change "
        "FROM (SELECT 1) AS one LEFT JOIN seen AS s ON true LEFT JOIN short ON true ORDER BY short.id"
    )


def _entry_values() -> str:
    """An entry's placeholders for INSERT … SELECT, where PostgreSQL infers no type from the target:
    each typed as its column, but text (a cast to varchar(n) would cut a long key instead of refusing it)."""
    fields = [Entry._meta.get_field(name) for name in ENTRY_FIELDS]
    text = {"CharField", "TextField"}
    return ", ".join("%s" if f.get_internal_type() in text else f"%s::{f.cast_db_type(connection)}" for f in fields)


def lock_limited(account_ids: Iterable[int], *, key: str | None = None) -> Terms:
    """Of the accounts an entry touches, lock those with a limit (allow_negative = False) in
    ascending id order, and read every account's terms beside them (and, given a `key`, its entry
    if posted before) in one statement. Unlimited accounts (a cooperative's payable, hot under many
    cashiers) are never locked. (Plain SQL; no cache of the terms.)"""
    ids = sorted(set(account_ids))
    marks = ", ".join(["%s"] * len(ids))
    posted = "LEFT JOIN {entry} AS r ON r.idempotency_key = %s" if key is not None else ""
    posted_columns = "r.id, r.request_hash" if key is not None else "NULL, NULL"
    statement = (
        f"WITH locked AS (SELECT id, balance FROM {{account}} WHERE id IN ({marks}) AND NOT allow_negative "  # noqa: S608 - placeholders
        "ORDER BY id FOR NO KEY UPDATE) "
        f"SELECT a.id, a.normal_side, a.allow_negative, l.balance, {posted_columns} FROM {{account}} AS a "
        f"LEFT JOIN locked AS l ON l.id = a.id {posted} WHERE a.id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql(statement), [*ids, *([key] if key is not None else []), *ids])
        return terms(ids, cursor.fetchall())


def add_to_balances(changes: dict[int, int]) -> None:
    """balance += change for the accounts (locked by the caller): a payment's one or two by plain
    UPDATEs, a bulk post's thousands by COPY into a temporary table and one UPDATE … FROM."""
    if len(changes) < BULK_BALANCES_FROM:
        add_one_by_one(changes)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS ledger_balance_change (id bigint, change bigint) ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy("COPY ledger_balance_change (id, change) FROM STDIN") as copy:
            for row in changes.items():
                copy.write_row(row)
        cursor.execute(
            sql(
                "UPDATE {account} AS a SET balance = a.balance + c.change, version = a.version + 1 "
                "FROM ledger_balance_change AS c WHERE a.id = c.id"
            )
        )
        cursor.execute("DELETE FROM ledger_balance_change")


def tune(run: Callable[[str], Any]) -> None:
    """A query post's settings, for its transaction only. A batch touches a sliver of a large ledger:
    the planner, pricing random reads high, would scan every account (and entry) for each batch;
    indexes it must use, by lookups: a merge join would walk the account index from its start to the
    batch's ids, every batch. Sorts of a batch's keys stay in memory; compiling these statements
    (JIT) costs more than it saves."""
    run("SET LOCAL enable_seqscan = off")
    run("SET LOCAL enable_mergejoin = off")
    run("SET LOCAL work_mem = '64MB'")
    run("SET LOCAL jit = off")


def untune(run: Callable[[str], Any]) -> None:
    """A caller's own transaction goes on with its own settings (a failure rolls them back)."""
    for setting in _TUNED:
        run(f"SET LOCAL {setting} TO DEFAULT")


def analyze(run: Callable[[str], Any], table: str) -> None:
    """Statistics of a freshly filled staging table, so that the planner sizes the batch right."""
    run(f"ANALYZE {table}")
