"""What both databases' ledger SQL shares: table names filled into statements, an entry's columns, the
terms read for a post, the limit check, and what a post that wrote nothing found (`Unwritten`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from django.db import connection

from betang.ledger.models import Account, Entry, Posting

ENTRY_FIELDS = (
    "id",
    "idempotency_key",
    "request_hash",
    "kind",
    "occurred_at",
    "recorded_at",
    "actor",
    "memo",
    "reverses",
    "postings_digest",
)  # the order of an entry's values, in a single post's tuple and a bulk post's rows
ENTRY_COLUMNS = ", ".join(Entry._meta.get_field(name).column for name in ENTRY_FIELDS)


def formatter(pieces: dict[str, str]) -> Callable[[str], str]:
    """`sql(statement)`: the statement with the ledger's table names (and the staging tables of a
    query post, and a database's `pieces` of SQL) filled in; made once per statement."""

    @lru_cache(maxsize=64)  # a bulk post's statement names every account of its batch: few sizes, kept few
    def sql(statement: str) -> str:
        q = connection.ops.quote_name
        return statement.format(
            entry=q(Entry._meta.db_table),
            posting=q(Posting._meta.db_table),
            account=q(Account._meta.db_table),
            stage_leg="ledger_stage_leg",
            stage_entry="ledger_stage_entry",
            stage_change="ledger_stage_change",
            **pieces,
        )

    return sql


sql = formatter({})  # statements both databases speak


class Terms(NamedTuple):
    """What a post reads of its accounts before it writes (`lock_limited`)."""

    unknown: list[int]  # accounts named that do not exist, sorted
    signs: dict[int, int]  # each limited account's sign: +1 debit-normal, −1 credit-normal
    balances: dict[int, int]  # each limited account's kept balance
    seen: tuple[Any, str] | None  # (id, request hash) of an entry already posted with the key asked


class Unwritten(NamedTuple):
    """Why a single post wrote nothing, as the database found it; the service turns it into an answer."""

    unknown: Iterable[int] = ()  # accounts named that do not exist
    seen: tuple[Any, str] | None = None  # the key's earlier entry: (id, request hash)
    short: tuple[Any, Any, Any] | None = None  # (account, balance, change) of a balance that would go below zero


def terms(ids: Iterable[int], rows: list[tuple]) -> Terms:
    """Terms from rows of (id, normal side, allow_negative, kept balance, key's entry id, its hash)."""
    unknown = sorted(set(ids) - {row[0] for row in rows})
    signs, balances = {}, {}
    for pk, side, allow_negative, balance, _entry, _hash in rows:
        if not allow_negative:
            signs[pk] = 1 if side == Account.Side.DEBIT else -1
            balances[pk] = balance
    seen = (rows[0][4], rows[0][5]) if rows and rows[0][4] is not None else None
    return Terms(unknown, signs, balances, seen)


def limits(
    deltas: dict[int, int], signs: dict[int, int], balances: dict[int, int]
) -> tuple[dict[int, int], tuple[int, int, int] | None]:
    """The change to each kept balance, and the first (account, balance, change) that would take a
    balance below zero, if any."""
    changes = {a: sign * deltas[a] for a, sign in signs.items() if deltas[a]}
    for account_id, change in changes.items():
        if balances[account_id] + change < 0:
            return changes, (account_id, balances[account_id], change)
    return changes, None


def add_one_by_one(changes: dict[int, int]) -> None:
    """balance += change for accounts the caller locked, one plain UPDATE each (a payment's one or two)."""
    if not changes:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            sql("UPDATE {account} SET balance = balance + %s, version = version + 1 WHERE id = %s"),
            [(change, pk) for pk, change in changes.items()],
        )
