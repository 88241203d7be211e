"""Reads of the ledger: balances (kept, or summed for accounts that keep none) and statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.db import connection
from django.db.models import Max, Sum
from django.db.models.functions import TruncMonth

from betang.ledger.models import Account, Entry, Posting


def account_balance(account_id: int) -> int:
    """The balance on the account's normal side."""
    side, kept = Account.objects.filter(pk=account_id).values_list("normal_side", "balance").get()
    if kept is not None:
        return kept
    total = Posting.objects.filter(account_id=account_id).aggregate(total=Sum("amount"))["total"] or 0
    return total if side == Account.Side.DEBIT else -total


def entry_amount(entry_id: UUID, account_id: int) -> int:
    """What an entry posted to an account (debit > 0, credit < 0; 0 if it did not touch it)."""
    rows = Posting.objects.filter(entry_id=entry_id, account_id=account_id)
    return rows.aggregate(total=Sum("amount"))["total"] or 0


def accounts_by_key(keys: list[str]) -> dict[str, tuple[int, int | None]]:
    """key → (account id, kept balance or None) for the accounts that exist.

    Plain SQL: asked on every card payment, and compiling the ORM's query cost more than running it."""
    if not keys:
        return {}
    q = connection.ops.quote_name
    if connection.vendor == "postgresql":  # one array parameter: the same statement for any number of keys
        where, params = f"{q('key')} = ANY(%s)", [list(keys)]
    else:
        where, params = f"{q('key')} IN ({', '.join(['%s'] * len(keys))})", list(keys)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {q('key')}, id, balance FROM {q(Account._meta.db_table)} WHERE {where}", params)  # noqa: S608 - a table name and placeholders
        return {key: (pk, kept) for key, pk, kept in cursor.fetchall()}


def accounts_table() -> str:
    """The accounts' table, quoted, for an app that reads its accounts inside a statement of its own
    (aid's card payment reads the card, its wallets' balances and its payable in one round trip).

    The contract of such a read: join on `key` (the app's own account keys), read `id` and
    `balance` (a kept balance, NULL for accounts that keep none), never write. Everything else goes
    through this module and ledger.services."""
    return connection.ops.quote_name(Account._meta.db_table)


def positive_kept_balances(key_prefix: str, *, after_id: int = 0, limit: int = 20_000) -> list[tuple[int, int]]:
    """(account id, kept balance) of limited accounts whose key starts with `key_prefix` and that hold
    money, `limit` at a time in id order after `after_id` (e.g. a program's wallets, to expire them)."""
    return list(
        Account.objects.filter(key__startswith=key_prefix, balance__gt=0, pk__gt=after_id)
        .order_by("pk")
        .values_list("pk", "balance")[:limit]
    )


def positive_kept_count(key_prefix: str) -> int:
    """How many limited accounts whose key starts with `key_prefix` hold money."""
    return Account.objects.filter(key__startswith=key_prefix, balance__gt=0).count()


@dataclass(frozen=True)
class Line:
    """One entry's postings on a set of accounts: what a statement shows."""

    entry_id: UUID
    occurred_at: datetime
    kind: str
    memo: str
    amounts: dict[int, int]  # account id → amount on the account's normal side (more money: positive)


def statement_lines(account_ids: list[int], *, limit: int = 20) -> list[Line]:
    """The latest entries touching these accounts, newest first (by when they happened), each
    with what it moved on each of them. One grouped pass over the accounts' own postings (their
    index): a cycle credit's entry has a posting for every household of its batch, none of which
    but these accounts' are read."""
    if not account_ids:
        return []
    signs = {
        pk: (1 if side == Account.Side.DEBIT else -1)
        for pk, side in Account.objects.filter(pk__in=account_ids).values_list("id", "normal_side")
    }
    moved: dict[UUID, dict[int, int]] = {}
    last: dict[UUID, int] = {}
    for entry_id, account_id, amount, newest in (
        Posting.objects.filter(account_id__in=account_ids)
        .values("entry_id", "account_id")
        .annotate(amount=Sum("amount"), newest=Max("id"))
        .values_list("entry_id", "account_id", "amount", "newest")
    ):
        moved.setdefault(entry_id, {})[account_id] = signs[account_id] * amount
        last[entry_id] = max(last.get(entry_id, 0), newest)
    # Newest first by when they happened (a payment recorded late, an outpost's, sorts where it
    # belongs), then by when they were recorded. A household's wallets have few entries: all are read.
    when = dict(Entry.objects.filter(pk__in=list(last)).values_list("id", "occurred_at"))
    latest = sorted(last, key=lambda e: (when[e], last[e]), reverse=True)[:limit]
    entries = {e["id"]: e for e in Entry.objects.filter(pk__in=latest).values("id", "occurred_at", "kind", "memo")}
    return [
        Line(e, entries[e]["occurred_at"], entries[e]["kind"], entries[e]["memo"], moved[e])
        for e in latest
        if e in entries
    ]


def _normal_sign(account_id: int) -> int:
    """+1 for a debit-normal account, -1 for a credit-normal one: amounts times it read "more money"."""
    side = Account.objects.values_list("normal_side", flat=True).get(pk=account_id)
    return 1 if side == Account.Side.DEBIT else -1


def account_flows(account_id: int) -> list[tuple[date, str, int]]:
    """What moved on one account, month by month and by the kind of entry that moved it: (first day
    of the month, entry kind, net amount on the account's normal side), oldest month first. A
    reversal keeps its own kind (`<kind>.reversal`), so a caller can net it against what it undid."""
    sign = _normal_sign(account_id)
    rows = (
        Posting.objects.filter(account_id=account_id)
        .annotate(month=TruncMonth("entry__occurred_at"))
        .values("month", "entry__kind")
        .annotate(amount=Sum("amount"))
        .order_by("month", "entry__kind")
        .values_list("month", "entry__kind", "amount")
    )
    return [
        (month.date() if isinstance(month, datetime) else month, kind, sign * amount) for month, kind, amount in rows
    ]


def account_movements(account_id: int, *, kind: str) -> list[tuple[datetime, int]]:
    """When and how much entries of one kind moved an account (on its normal side), oldest first."""
    sign = _normal_sign(account_id)
    rows = (
        Posting.objects.filter(account_id=account_id, entry__kind=kind)
        .values("entry_id", "entry__occurred_at")
        .annotate(amount=Sum("amount"))
        .order_by("entry__occurred_at")
        .values_list("entry__occurred_at", "amount")
    )
    return [(occurred_at, sign * amount) for occurred_at, amount in rows]
