"""The only writer of money: open accounts, post entries (one, or many set-based), reverse them.

One payment (`journal_post`) locks the limited accounts it touches — those whose balance must not go
below zero — in ascending id order (`SELECT … FOR NO KEY UPDATE` on PostgreSQL; on SQLite the
IMMEDIATE transaction already admits one writer at a time), checks them, appends the entry and its
postings and moves the kept balances. Accounts that may go negative are never locked: thousands of
payments can credit one cooperative at once. A bulk post (`journal_post_many`, a cycle credit) does
the same for thousands of entries with set-based SQL.

Every entry carries an idempotency key under a unique constraint: the same key with the same request
returns the first result and changes nothing; with a different request it is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.core.bulk import bulk_insert
from betang.core.errors import DomainError
from betang.core.ids import as_uuid, new_id
from betang.ledger.models import Account, Entry, Posting


class LedgerError(DomainError):
    code = "ledger.error"


class Unbalanced(LedgerError):
    code = "ledger.unbalanced"
    message = gettext_lazy("The postings of an entry must sum to zero.")


class InsufficientFunds(LedgerError):
    code = "ledger.insufficient_funds"
    http_status = 422
    message = gettext_lazy("The balance is too low.")


class IdempotencyConflict(LedgerError):
    code = "ledger.idempotency_conflict"
    http_status = 409
    message = gettext_lazy("This idempotency key was already used for a different request.")


class AlreadyReversed(LedgerError):
    code = "ledger.already_reversed"
    http_status = 409
    message = gettext_lazy("This entry has already been reversed.")


class UnknownAccount(LedgerError):
    code = "ledger.unknown_account"
    message = gettext_lazy("Unknown ledger account.")


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount: int  # whole rupiah; debit > 0, credit < 0


@dataclass(frozen=True)
class EntrySpec:
    key: str
    kind: str
    legs: Sequence[Leg]
    memo: str = ""


@dataclass(frozen=True)
class Posted:
    entry_id: UUID
    created: bool  # False: this key was posted before with the same request, nothing changed now


@dataclass(frozen=True)
class BulkPosted:
    created: int
    replayed: int


def debit_credit(amount: int, *, source: Account | int, target: Account | int, sign: int = -1) -> list[Leg]:
    """Legs moving `amount` out of `source` into `target`, two accounts on the same normal side.

    With the default sign (−1, credit-normal: budgets, wallets, payables) the source is debited and
    the target credited; for debit-normal accounts (bank, receivables) pass sign=+1.
    """
    source_id = source.pk if isinstance(source, Account) else source
    target_id = target.pk if isinstance(target, Account) else target
    return [Leg(source_id, -sign * amount), Leg(target_id, sign * amount)]


def account_open(
    *,
    key: str,
    name: str,
    kind: str,
    normal_side: str,
    allow_negative: bool,
    occurred_at: datetime,
    region_code: str = "",
    owner_ref: str = "",
) -> Account:
    """The account with this key, opened if new. Reopening with another side or limit is refused."""
    account = Account.objects.filter(key=key).first()
    if account is None:
        try:
            with transaction.atomic():
                return Account.objects.create(
                    key=key,
                    name=name,
                    kind=kind,
                    normal_side=normal_side,
                    allow_negative=allow_negative,
                    balance=None if allow_negative else 0,
                    region_code=region_code,
                    owner_ref=owner_ref,
                    created_at=occurred_at,
                )
        except IntegrityError:
            account = Account.objects.get(key=key)
    if (account.kind, account.normal_side, account.allow_negative) != (kind, normal_side, allow_negative):
        raise LedgerError(_("Account %(key)s already exists with other terms.") % {"key": key})
    return account


def accounts_open_many(rows: Iterable[dict[str, Any]], *, occurred_at: datetime) -> dict[str, int]:
    """Open many accounts at once (enrolment of thousands of households): key → id, existing kept."""
    rows = list(rows)
    keys = [r["key"] for r in rows]
    found = dict(Account.objects.filter(key__any=keys).values_list("key", "id"))
    new = [r for r in rows if r["key"] not in found]
    bulk_insert(
        Account,
        ["key", "name", "kind", "normal_side", "allow_negative", "balance", "region_code", "owner_ref", "created_at"],
        (
            (
                r["key"],
                r["name"],
                r["kind"],
                r["normal_side"],
                r["allow_negative"],
                None if r["allow_negative"] else 0,
                r.get("region_code", ""),
                r.get("owner_ref", ""),
                occurred_at,
            )
            for r in new
        ),
    )
    if new:
        found.update(Account.objects.filter(key__any=[r["key"] for r in new]).values_list("key", "id"))
    return found


_compact = json.JSONEncoder(separators=(",", ":")).encode  # json.dumps's output, without an encoder per call


def _request_text(kind: str, pairs: Iterable[tuple[int, int]], memo: str, reverses: Any) -> str:
    """What a request hash is taken of: kind, legs as sorted [account, amount] pairs, memo, reversal."""
    body = {
        "kind": kind,
        "legs": sorted([account, amount] for account, amount in pairs),
        "memo": memo,
        "reverses": str(reverses) if reverses else None,
    }
    return _compact(body)


def _request_hash(kind: str, legs: Sequence[Leg], memo: str, reverses: Any) -> str:
    return hashlib.sha256(
        _request_text(kind, ((leg.account_id, leg.amount) for leg in legs), memo, reverses).encode()
    ).hexdigest()


def postings_digest(entry_id: Any, postings: Iterable[tuple[int, int]]) -> str:
    """sha256 of an entry's postings as (account id, amount) pairs, in any order."""
    lines = sorted(f"{account}:{amount}" for account, amount in postings)
    canonical = str(as_uuid(entry_id))  # SQLite gives hex
    return hashlib.sha256(("\n".join([canonical, *lines])).encode()).hexdigest()


def _check_legs(legs: Sequence[Leg]) -> dict[int, int]:
    """Per-account sums of valid legs; refuses floats, zero legs, fewer than two, a non-zero total."""
    if len(legs) < 2:
        raise Unbalanced(_("An entry needs at least two postings."))
    deltas: dict[int, int] = defaultdict(int)
    for leg in legs:
        if type(leg.amount) is not int:
            raise LedgerError(_("Amounts are whole rupiah (integers)."))
        if leg.amount == 0:
            raise LedgerError(_("A posting cannot be zero."))
        deltas[leg.account_id] += leg.amount
    if sum(deltas.values()) != 0:
        raise Unbalanced(_("The postings of an entry must sum to zero."))
    return deltas


def _lock_limited(
    account_ids: Iterable[int], *, key: str | None = None
) -> tuple[dict[int, int], dict[int, int], tuple[Any, str] | None]:
    """Of the accounts an entry touches, lock those with a limit (allow_negative = False) in
    ascending id order. Returns each limited account's sign (+1 debit-normal, −1 credit-normal), its
    kept balance, and, given a `key`, the (id, request hash) of an entry already posted with it.

    One statement: on PostgreSQL the limited rows are locked in a CTE and every account's terms read
    beside them; unlimited accounts (a cooperative's payable, hot under many cashiers) are never
    locked. The entry of the key is read in the statement's snapshot, which may predate a post of
    the same key that committed while this one waited for the lock: the caller asks again before it
    refuses, and the entry's unique key catches the rest. Used by bulk posts on both databases and
    by a single post on SQLite (PostgreSQL locks and writes a single post in one statement:
    _post_at_once). (Plain SQL: this runs on every payment on SQLite, and compiling the ORM's
    queries cost more than running them. No cache of the terms: on SQLite a rolled-back account's
    id is reused.)
    """
    ids = sorted(set(account_ids))
    marks = ", ".join(["%s"] * len(ids))
    posted = "LEFT JOIN {entry} AS r ON r.idempotency_key = %s" if key is not None else ""
    posted_columns = "r.id, r.request_hash" if key is not None else "NULL, NULL"
    if connection.vendor == "postgresql":
        statement = (
            f"WITH locked AS (SELECT id, balance FROM {{account}} WHERE id IN ({marks}) AND NOT allow_negative "  # noqa: S608 - placeholders
            "ORDER BY id FOR NO KEY UPDATE) "
            f"SELECT a.id, a.normal_side, a.allow_negative, l.balance, {posted_columns} FROM {{account}} AS a "
            f"LEFT JOIN locked AS l ON l.id = a.id {posted} WHERE a.id IN ({marks})"
        )
        params = [*ids, *([key] if key is not None else []), *ids]
    else:  # SQLite: the database's write lock is what serialises posts
        statement = (
            f"SELECT a.id, a.normal_side, a.allow_negative, a.balance, {posted_columns} FROM {{account}} AS a "  # noqa: S608 - placeholders
            f"{posted} WHERE a.id IN ({marks})"
        )
        params = [*([key] if key is not None else []), *ids]
    with connection.cursor() as cursor:
        cursor.execute(_sql(statement), params)
        rows = cursor.fetchall()
    unknown = sorted(set(ids) - {row[0] for row in rows})
    if unknown:
        raise UnknownAccount(_("Unknown ledger account %(id)s.") % {"id": unknown[0]}, details={"accounts": unknown})
    signs, balances = {}, {}
    for pk, side, allow_negative, balance, _entry, _hash in rows:
        if not allow_negative:
            signs[pk] = 1 if side == Account.Side.DEBIT else -1
            balances[pk] = balance
    seen = (rows[0][4], rows[0][5]) if rows and rows[0][4] is not None else None
    return signs, balances, seen


def _within_limits(
    deltas: dict[int, int], signs: dict[int, int], balances: dict[int, int]
) -> dict[int, int] | InsufficientFunds:
    """The change to each kept balance, or the refusal (InsufficientFunds) of one that would go below
    zero: returned, not raised, so that the caller can leave its transaction block first."""
    changes = {a: sign * deltas[a] for a, sign in signs.items() if deltas[a]}
    for account_id, change in changes.items():
        if balances[account_id] + change < 0:
            return InsufficientFunds(
                _("The balance of account %(id)s is too low.") % {"id": account_id},
                details={"account": account_id, "balance": balances[account_id], "needed": -change},
            )
    return changes


def _replay(key: str, request_hash: str) -> Posted | IdempotencyConflict | None:
    """The first result of a key posted before, its refusal if posted with another request, or None."""
    with connection.cursor() as cursor:
        cursor.execute(_sql("SELECT id, request_hash FROM {entry} WHERE idempotency_key = %s"), [key])
        return _replayed(key, request_hash, cursor.fetchone())


def _replayed(key: str, request_hash: str, found: tuple | None) -> Posted | IdempotencyConflict | None:
    """The answer to a key whose earlier entry is `found` as (id, request hash), if any."""
    if found is None:
        return None
    if found[1] != request_hash:
        return IdempotencyConflict(details={"idempotency_key": key})
    return Posted(as_uuid(found[0]), created=False)


def journal_post(
    *,
    key: str,
    kind: str,
    legs: Sequence[Leg],
    occurred_at: datetime,
    recorded_at: datetime,
    actor: Any = None,
    memo: str = "",
    reverses: UUID | None = None,
) -> Posted:
    """Post one entry, or return the first result of this key. Raises a LedgerError and posts nothing."""
    deltas = _check_legs(legs)
    request_hash = _request_hash(kind, legs, memo, reverses)
    # No savepoint inside a caller's transaction (two round trips on every payment): every refusal is
    # decided before anything is written and raised after the block, so that transaction stays usable.
    with transaction.atomic(savepoint=False):
        outcome = _post_once(key, kind, legs, deltas, request_hash, occurred_at, recorded_at, actor, memo, reverses)
    if isinstance(outcome, LedgerError):
        raise outcome
    return outcome


def _post_once(key, kind, legs, deltas, request_hash, occurred_at, recorded_at, actor, memo, reverses):
    """journal_post's work in its transaction: the Posted result, or the refusal (returned)."""
    entry_id = new_id()
    digest = postings_digest(entry_id, [(leg.account_id, leg.amount) for leg in legs])
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    entry = (entry_id, key, request_hash, kind, occurred_at, recorded_at, actor_id, memo, reverses, digest)
    if connection.vendor == "postgresql":
        outcome = _post_at_once(entry, legs, deltas)
    elif _post_guarded(entry, legs, deltas):
        outcome = None
    else:  # SQLite, nothing written: _post_in_steps reads and checks, and answers why
        outcome = _post_in_steps(entry, legs, deltas)
    if isinstance(outcome, InsufficientFunds):
        # A post of this key may have committed while the lock was awaited (and taken the money):
        # then this is its replay, not a refusal.
        return _replay(key, request_hash) or outcome
    if outcome is not None:  # an unknown account, or the key's first answer (or its misuse)
        return outcome
    return Posted(entry_id, created=True)


def _not_written(key: str, request_hash: str, reverses: Any) -> Posted | LedgerError:
    """Why a checked entry was not written: its key (or the entry it reverses) was taken meanwhile by
    a post that touched no locked account."""
    if (replayed := _replay(key, request_hash)) is not None:
        return replayed
    if reverses and Entry.objects.filter(reverses_id=reverses).exists():
        return AlreadyReversed()
    return LedgerError(_("The entry could not be written."), details={"idempotency_key": key})


def _post_guarded(entry: tuple, legs: Sequence[Leg], deltas: dict[int, int]) -> bool:
    """SQLite (the transaction holds the only write lock): the entry, its postings and the kept
    balances' changes, the entry written only if every account exists, no limited balance would go
    below zero and the key (or the entry reversed) is new. The checks sit in the INSERT itself, so a
    post that passes reads nothing before it writes (on every payment: measured, a round trip and
    most of the Python around it). False when nothing was written."""
    adapt = connection.ops.adapt_datetimefield_value
    values = dict(zip(_ENTRY_FIELDS, entry, strict=True))
    entry_hex = values["id"] = entry[0].hex  # as Django keeps a UUID on SQLite
    values["occurred_at"] = adapt(entry[4])
    values["recorded_at"] = values["occurred_at"] if entry[5] == entry[4] else adapt(entry[5])
    values["reverses"] = _db_id(entry[8]) if entry[8] else None
    values |= {"accounts": len(deltas), "debit": Account.Side.DEBIT.value}
    for n, (account, delta) in enumerate(deltas.items()):
        values[f"a{n}"], values[f"d{n}"] = account, delta
    with connection.cursor() as cursor:
        cursor.execute(_guarded_insert(len(deltas)), values)
        if cursor.rowcount != 1:
            return False
        _insert_postings(cursor, entry_hex, legs)
        cursor.executemany(
            _sql(
                "UPDATE {account} SET balance = balance + CASE WHEN normal_side = %s THEN %s ELSE -%s END, "
                "version = version + 1 WHERE id = %s AND NOT allow_negative"
            ),
            [(Account.Side.DEBIT.value, delta, delta, pk) for pk, delta in deltas.items() if delta],
        )
    return True


@lru_cache(maxsize=32)
def _guarded_insert(accounts: int) -> str:
    """_post_guarded's INSERT of an entry over `accounts` accounts, written only if each of them exists
    and either may go negative or stays at or above zero. Named parameters: the entry's
    fields, each account's id and sum (a0, d0, a1, d1 …), their number and the debit side's name
    (Django's SQLite cursor turns positional ones into ?s by a regular expression, which costs more
    than the statement on a text this long: measured). The CTE follows INSERT: Python's sqlite3
    counts no rows of a statement that begins with one."""
    pairs = ", ".join(f"(%(a{n})s, %(d{n})s)" for n in range(accounts))
    return _sql(
        f"INSERT INTO {{entry}} ({_ENTRY_COLUMNS}) WITH d(id, delta) AS (VALUES {pairs}) "  # noqa: S608 - placeholders
        f"SELECT {', '.join(f'%({name})s' for name in _ENTRY_FIELDS)} "
        "WHERE (SELECT count(*) FROM {account} AS a JOIN d ON d.id = a.id WHERE a.allow_negative "
        "OR a.balance + CASE WHEN a.normal_side = %(debit)s THEN d.delta ELSE -d.delta END >= 0) = %(accounts)s "
        "ON CONFLICT DO NOTHING"
    )


def _rows(count: int, width: int) -> str:
    """`count` rows of `width` placeholders for VALUES: `(%s, %s), (%s, %s)`."""
    return ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * count)


def _post_in_steps(entry: tuple, legs: Sequence[Leg], deltas: dict[int, int]) -> Posted | LedgerError | None:
    """SQLite (one writer at a time), once _post_guarded wrote nothing: read the accounts and the key,
    check, then write the entry, its postings and the kept balances (were the guard wrong). None once
    written, else the answer or refusal to return."""
    key, request_hash, reverses = entry[1], entry[2], entry[8]
    try:
        signs, balances, seen = _lock_limited(deltas, key=key)
    except UnknownAccount as exc:
        return exc
    if (replayed := _replayed(key, request_hash, seen)) is not None:  # the first answer, or the key's misuse
        return replayed
    changes = _within_limits(deltas, signs, balances)
    if isinstance(changes, InsufficientFunds):
        return changes
    if not _insert_entry(*entry):
        return _not_written(key, request_hash, reverses)
    with connection.cursor() as cursor:
        _insert_postings(cursor, _db_id(entry[0]), legs)
    _add_to_balances(changes)
    return None


_ENTRY_FIELDS = (
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
)  # the order of an entry's values, in a single post's tuple (_post_once) and a bulk post's rows
_ENTRY_COLUMNS = ", ".join(Entry._meta.get_field(name).column for name in _ENTRY_FIELDS)


def _entry_values() -> str:
    """An entry's placeholders for INSERT … SELECT, where PostgreSQL infers no type from the target:
    each typed as its column, but text (a cast to varchar(n) would cut a long key instead of refusing it)."""
    fields = [Entry._meta.get_field(name) for name in _ENTRY_FIELDS]
    text = {"CharField", "TextField"}
    return ", ".join("%s" if f.get_internal_type() in text else f"%s::{f.cast_db_type(connection)}" for f in fields)


def _post_at_once(entry: tuple, legs: Sequence[Leg], deltas: dict[int, int]) -> Posted | LedgerError | None:
    """PostgreSQL: a single post in one statement, one round trip. It locks the limited accounts in
    ascending id order, reads every account's terms and the key's earlier entry, and writes the
    entry, its postings and the kept balances' changes only if every account exists, no limited
    balance would go below zero and the key is new: all or nothing. None once written, else the
    answer or refusal to return (as _post_in_steps).

    The checks see the locked rows as they are after the lock (a concurrent post to the same wallet
    has committed by then); the key's earlier entry is read in the statement's snapshot, which may
    predate a post of the same key that committed during the wait: ON CONFLICT then writes nothing
    and _not_written asks again.
    """
    key, request_hash, reverses = entry[1], entry[2], entry[8]
    ids = sorted(deltas)
    marks = ", ".join(["%s"] * len(ids))
    deltas_values = ", ".join(["(%s::bigint, %s::bigint)"] * len(ids))
    legs_values = ", ".join(["(%s::bigint, %s::bigint)"] * len(legs))
    statement = (
        f"WITH d(id, delta) AS (VALUES {deltas_values}), "  # noqa: S608 - placeholders
        "t AS (SELECT a.id, a.allow_negative, "
        "CASE WHEN a.normal_side = %s THEN d.delta ELSE -d.delta END AS change "
        "FROM {account} AS a JOIN d ON d.id = a.id), "
        f"locked AS (SELECT id, balance FROM {{account}} WHERE id IN ({marks}) AND NOT allow_negative "
        "ORDER BY id FOR NO KEY UPDATE), "
        "short AS (SELECT l.id, l.balance, t.change FROM locked AS l JOIN t ON t.id = l.id "
        "WHERE l.balance + t.change < 0), "
        "seen AS (SELECT id, request_hash FROM {entry} WHERE idempotency_key = %s), "
        f"e AS (INSERT INTO {{entry}} ({_ENTRY_COLUMNS}) SELECT {_entry_values()} "
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
    params: list[Any] = [v for pk in ids for v in (pk, deltas[pk])]
    params += [Account.Side.DEBIT.value, *ids, key, *entry, len(ids)]
    params += [v for leg in legs for v in (leg.account_id, leg.amount)]
    with connection.cursor() as cursor:
        cursor.execute(_sql(statement), params)
        written, known, seen_id, seen_hash, short_id, balance, change = cursor.fetchone()
    if written:
        return None
    unknown = sorted(set(ids) - set(known or ()))
    if unknown:
        return UnknownAccount(_("Unknown ledger account %(id)s.") % {"id": unknown[0]}, details={"accounts": unknown})
    if seen_id is not None:
        return _replayed(key, request_hash, (seen_id, seen_hash))
    if short_id is not None:
        return _short(short_id, balance, change)
    return _not_written(key, request_hash, reverses)


def entry_reverse(
    *,
    entry_id: UUID,
    key: str,
    occurred_at: datetime,
    recorded_at: datetime,
    actor: Any = None,
    memo: str = "",
) -> Posted:
    """Post the mirror of an entry, linked to it; an entry is reversed at most once."""
    entry = Entry.objects.filter(pk=entry_id).values_list("kind", "reverses_id").first()
    if entry is None:
        raise LedgerError(_("Unknown ledger entry."), details={"entry": str(entry_id)})
    if entry[1] is not None:
        raise LedgerError(_("A reversal cannot itself be reversed; post a new entry."))
    legs = [
        Leg(a, -amount) for a, amount in Posting.objects.filter(entry_id=entry_id).values_list("account_id", "amount")
    ]
    existing = Entry.objects.filter(reverses_id=entry_id).values_list("idempotency_key", flat=True).first()
    if existing is not None and existing != key:
        raise AlreadyReversed()
    return journal_post(
        key=key,
        kind=f"{entry[0]}.reversal",
        legs=legs,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        actor=actor,
        memo=memo,
        reverses=entry_id,
    )


def journal_post_many(
    *, entries: Iterable[EntrySpec], occurred_at: datetime, recorded_at: datetime, actor: Any = None
) -> BulkPosted:
    """Post many entries in one transaction, set-based; keys already posted are replayed (or refused).

    All or nothing: if any limited account would go below zero, nothing is posted. Callers chunk the
    work (a cycle credit posts its households some tens of thousands at a time).
    """
    specs = list(entries)
    if not specs:
        return BulkPosted(0, 0)
    prepared = []
    deltas: dict[int, int] = defaultdict(int)
    for spec in specs:
        for account_id, delta in _check_legs(spec.legs).items():
            deltas[account_id] += delta
        prepared.append((spec, _request_hash(spec.kind, spec.legs, spec.memo, None)))
    if len({spec.key for spec in specs}) != len(specs):
        raise LedgerError(_("The same idempotency key appears twice in one batch."))
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    with transaction.atomic():
        signs, balances, _seen = _lock_limited(deltas)
        seen = dict(
            Entry.objects.filter(idempotency_key__any=[s.key for s in specs]).values_list(
                "idempotency_key", "request_hash"
            )
        )
        fresh = []
        for spec, request_hash in prepared:
            if spec.key in seen:
                if seen[spec.key] != request_hash:
                    raise IdempotencyConflict(details={"idempotency_key": spec.key})
                for leg in spec.legs:  # already posted: its amounts are not moved again
                    deltas[leg.account_id] -= leg.amount
            else:
                fresh.append((spec, request_hash))
        changes = _within_limits(deltas, signs, balances)
        if isinstance(changes, InsufficientFunds):
            raise changes
        entry_rows, posting_rows = [], []
        for spec, request_hash in fresh:
            entry_id = new_id()
            pairs = [(leg.account_id, leg.amount) for leg in spec.legs]
            entry_rows.append(
                (
                    entry_id,
                    spec.key,
                    request_hash,
                    spec.kind,
                    occurred_at,
                    recorded_at,
                    actor_id,
                    spec.memo,
                    None,
                    postings_digest(entry_id, pairs),
                )
            )
            posting_rows.extend((entry_id, account, amount) for account, amount in pairs)
        bulk_insert(Entry, list(_ENTRY_FIELDS), entry_rows)
        bulk_insert(Posting, ["entry", "account", "amount"], posting_rows)
        _add_to_balances(changes)
    return BulkPosted(created=len(fresh), replayed=len(specs) - len(fresh))


@dataclass(frozen=True)
class LegsQuery:
    """A read-only SELECT giving the legs of many entries as rows of (idempotency key, account id,
    amount in rupiah, debit > 0): e.g. a cycle's entitlements beside their wallets. The ledger copies
    its rows into a staging table and posts from there; the caller's tables are only read."""

    sql: str
    params: Sequence[Any] = ()


def journal_post_query(
    *, legs: LegsQuery, kind: str, occurred_at: datetime, recorded_at: datetime, actor: Any = None, memo: str = ""
) -> BulkPosted:
    """Post the entries whose legs a query gives, every step set-based inside the database: no row
    passes through Python (a cycle credit of a million households). The rules are those of
    `journal_post_many`: keys posted before are replayed (refused when their request differs), all or
    nothing, a kept balance never goes below zero; request hashes and postings digests are those a
    single post writes (on PostgreSQL computed in SQL, on SQLite by `ledger.sqlite`'s functions).

    Every account whose kept balance changes is locked in ascending id order, as single posts lock.
    """
    pg = connection.vendor == "postgresql"
    head, tail = _request_text(kind, [], memo, None).split('"legs":[]')
    head, tail = head + '"legs":[', "]" + tail
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    with transaction.atomic(), connection.cursor() as cursor:

        def run(statement: str, params: Sequence[Any] = ()) -> Any:
            cursor.execute(_sql(statement), params)
            return cursor

        if pg:
            # A batch touches a sliver of a large ledger: the planner, pricing random reads high, would
            # scan every account (and entry) for each batch; indexes it must use, by lookups: a merge
            # join would walk the account index from its start to the batch's ids, every batch. Sorts
            # of a batch's keys stay in memory; compiling these statements (JIT) costs more than it saves.
            run("SET LOCAL enable_seqscan = off")
            run("SET LOCAL enable_mergejoin = off")
            run("SET LOCAL work_mem = '64MB'")
            run("SET LOCAL jit = off")
        _stage_tables(run, pg)
        cursor.execute(_sql("INSERT INTO {stage_leg} (key, account_id, amount) ") + legs.sql, legs.params)
        if pg:
            run("ANALYZE {stage_leg}")
        if (bad := run("SELECT key FROM {stage_leg} WHERE amount = 0 LIMIT 1").fetchone()) is not None:
            raise LedgerError(_("A posting cannot be zero."), details={"idempotency_key": bad[0]})
        # One row per entry, in one pass over its legs: a new id, the request hash, the digest of the
        # postings, how many legs and their sum.
        run(
            "INSERT INTO {stage_entry} (key, id, request_hash, digest, legs, total) "
            "SELECT key, id, {request_hash}, {digest}, legs, total FROM (SELECT key, {new_id} AS id, "
            "{pairs} AS pairs, {lines} AS lines, count(*) AS legs, sum(amount) AS total "
            "FROM {stage_leg} GROUP BY key) AS g",
            [head, tail],
        )
        bad = run("SELECT key FROM {stage_entry} WHERE legs < 2 OR total <> 0 ORDER BY key LIMIT 1").fetchone()
        if bad is not None:
            raise Unbalanced(details={"idempotency_key": bad[0]})
        if pg:
            run("ANALYZE {stage_entry}")
        # Keys posted before: the same request is replayed (nothing moves again), another is refused.
        # The ledger's entries are looked up within the batch's range of keys only: a batch of new
        # keys (a cycle's next households) finds an empty range at once, whatever the ledger's size.
        low, high = run("SELECT min(key), max(key) FROM {stage_entry}").fetchone()
        run(
            "UPDATE {stage_entry} SET posted_hash = e.request_hash FROM {entry} e "
            "WHERE e.idempotency_key BETWEEN %s AND %s AND e.idempotency_key = {stage_entry}.key",
            [low, high],
        )
        clash = run("SELECT key FROM {stage_entry} WHERE posted_hash <> request_hash ORDER BY key LIMIT 1").fetchone()
        if clash is not None:
            raise IdempotencyConflict(details={"idempotency_key": clash[0]})
        run("DELETE FROM {stage_leg} WHERE key IN (SELECT key FROM {stage_entry} WHERE posted_hash IS NOT NULL)")
        replayed = run("DELETE FROM {stage_entry} WHERE posted_hash IS NOT NULL").rowcount
        fresh = run("SELECT count(*) FROM {stage_entry}").fetchone()[0]
        if fresh:
            _post_staged(run, kind, memo, occurred_at, recorded_at, actor_id)
        _stage_tables(run, pg, create=False)
        if pg:  # a caller's own transaction goes on with its own settings (a failure rolls them back)
            for setting in ("enable_seqscan", "enable_mergejoin", "work_mem", "jit"):
                run(f"SET LOCAL {setting} TO DEFAULT")
    return BulkPosted(created=fresh, replayed=replayed)


def _stage_tables(run, pg: bool, *, create: bool = True) -> None:
    """The staging tables of `journal_post_query`: temporary (this connection's own), emptied."""
    if create:
        keep = " ON COMMIT DELETE ROWS" if pg else ""
        run(
            "CREATE TEMP TABLE IF NOT EXISTS {stage_leg} "
            "(key varchar(200) NOT NULL, account_id bigint NOT NULL, amount bigint NOT NULL)" + keep
        )
        run(
            "CREATE TEMP TABLE IF NOT EXISTS {stage_entry} (key varchar(200) PRIMARY KEY, "
            f"id {'uuid' if pg else 'char(32)'} NOT NULL, request_hash varchar(64) NOT NULL, digest varchar(64) NOT NULL, "
            "legs integer NOT NULL, total bigint NOT NULL, posted_hash varchar(64))" + keep
        )
        run(
            "CREATE TEMP TABLE IF NOT EXISTS {stage_change} "
            "(id bigint PRIMARY KEY, change bigint NOT NULL, known boolean NOT NULL, kept boolean NOT NULL)" + keep
        )
    for statement in ("{empty} {stage_leg}", "{empty} {stage_entry}", "{empty} {stage_change}"):
        run(statement)


def _post_staged(run, kind: str, memo: str, occurred_at, recorded_at, actor_id) -> None:
    """The staged fresh entries: accounts known and kept balances enough, then entries, postings and
    last the kept balances (their row locks are held for the shortest time: parallel batches of one
    cycle wait for each other only there)."""
    # The change of each account on its normal side, in id order; known (it exists), kept (its
    # balance is, and it is checked).
    run(
        "INSERT INTO {stage_change} (id, change, known, kept) SELECT s.account_id, "
        "sum(CASE a.normal_side WHEN 'DEBIT' THEN s.amount ELSE -s.amount END), count(a.id) > 0, "
        "coalesce(min(CASE WHEN a.allow_negative THEN 0 ELSE 1 END), 0) = 1 "
        "FROM {stage_leg} s LEFT JOIN {account} a ON a.id = s.account_id GROUP BY s.account_id ORDER BY s.account_id"
    )
    if (unknown := run("SELECT min(id) FROM {stage_change} WHERE NOT known").fetchone()[0]) is not None:
        raise UnknownAccount(_("Unknown ledger account %(id)s.") % {"id": unknown}, details={"accounts": [unknown]})
    short = run(
        "SELECT a.id, a.balance, c.change FROM {stage_change} c JOIN {account} a ON a.id = c.id "
        "WHERE c.kept AND c.change < 0 AND a.balance + c.change < 0 ORDER BY a.id LIMIT 1"
    ).fetchone()
    if short is not None:
        raise _short(*short)
    adapt = connection.ops.adapt_datetimefield_value
    run(
        "INSERT INTO {entry} (id, idempotency_key, request_hash, kind, occurred_at, recorded_at, actor_id, memo, "
        "reverses_id, postings_digest) SELECT id, key, request_hash, %s, %s, %s, %s, %s, NULL, digest "
        "FROM {stage_entry}",
        [kind, adapt(occurred_at), adapt(recorded_at), actor_id, memo],
    )
    run(
        "INSERT INTO {posting} (entry_id, account_id, amount) "
        "SELECT se.id, s.account_id, s.amount FROM {stage_leg} s JOIN {stage_entry} se ON se.key = s.key"
    )
    # Row locks taken in ascending id order, as single posts take them (the ordered, fenced subquery
    # drives the update); the balance check constraint refuses one that a payment emptied meanwhile.
    try:
        with transaction.atomic():
            run(
                "UPDATE {account} SET balance = {account}.balance + c.change, version = {account}.version + 1 "
                "FROM (SELECT id, change FROM {stage_change} WHERE kept ORDER BY id {fence}) AS c "
                "WHERE {account}.id = c.id"
            )
    except IntegrityError:
        found = run(
            "SELECT a.id, a.balance, c.change FROM {stage_change} c JOIN {account} a ON a.id = c.id "
            "WHERE c.kept AND a.balance + c.change < 0 ORDER BY a.id LIMIT 1"
        ).fetchone()
        raise _short(*(found or (None, None, None))) from None


def _short(account_id: Any, balance: Any, change: Any) -> InsufficientFunds:
    return InsufficientFunds(
        _("The balance of account %(id)s is too low.") % {"id": account_id},
        details={"account": account_id, "balance": balance, "needed": -change if change is not None else None},
    )


# PostgreSQL's side of what a single post computes in Python. A UUIDv7 (core.ids' layout): a random
# v4 with the Unix time in ms over its first 48 bits and the version nibble turned from 4 into 7.
_PG_NEW_ID = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
    "substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) "
    "from 1 for 6), 52, 1), 53, 1), 'hex')::uuid"
)
# _request_text's legs, [account,amount] pairs sorted as numbers, and postings_digest's lines,
# "account:amount" sorted as Python sorts text; each hashed as a single post hashes it.
_PG_PIECES = {
    "empty": "TRUNCATE",
    "fence": "OFFSET 0",
    "new_id": _PG_NEW_ID,
    "pairs": "string_agg('[' || account_id || ',' || amount || ']', ',' ORDER BY account_id, amount)",
    "lines": "string_agg(account_id || ':' || amount, chr(10) ORDER BY (account_id || ':' || amount) COLLATE \"C\")",
    "request_hash": "encode(sha256(convert_to(%s || pairs || %s, 'UTF8')), 'hex')",
    "digest": "encode(sha256(convert_to(id::text || chr(10) || lines, 'UTF8')), 'hex')",
}
# SQLite: the same by the Python functions of ledger.sqlite, registered on each connection.
_SQLITE_PIECES = {
    "empty": "DELETE FROM",
    "fence": "",
    "new_id": "ledger_new_id()",
    "pairs": "ledger_pairs(account_id, amount)",
    "lines": "ledger_lines(account_id, amount)",
    "request_hash": "SHA256(%s || pairs || %s)",  # registered by Django on every SQLite connection
    "digest": "ledger_digest(id, lines)",
}


def _sql(statement: str) -> str:
    """A statement over the ledger's tables, their names filled in from the models (and the staging
    tables and SQL pieces of `journal_post_query`); made once per statement and database."""
    return _sql_for(connection.vendor, statement)


@lru_cache(maxsize=64)  # a bulk post's statement names every account of its batch: few sizes, kept few
def _sql_for(vendor: str, statement: str) -> str:
    q = connection.ops.quote_name
    return statement.format(
        entry=q(Entry._meta.db_table),
        posting=q(Posting._meta.db_table),
        account=q(Account._meta.db_table),
        stage_leg="ledger_stage_leg",
        stage_entry="ledger_stage_entry",
        stage_change="ledger_stage_change",
        **(_PG_PIECES if vendor == "postgresql" else _SQLITE_PIECES),
    )


def _db_id(value: UUID) -> Any:
    """A key as the database takes it (hex text on SQLite, as Django stores a UUID there)."""
    return Entry._meta.pk.get_db_prep_value(value, connection)


def _insert_entry(
    entry_id, key, request_hash, kind, occurred_at, recorded_at, actor_id, memo, reverses, digest
) -> bool:
    """One entry, unless its key (or the entry it reverses) is taken: then False and nothing written.

    Plain SQL on the payment path: ON CONFLICT DO NOTHING needs no savepoint, and the ORM's
    compilation of an INSERT cost more than the INSERT itself (measured).
    """
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _sql(
                "INSERT INTO {entry} (id, idempotency_key, request_hash, kind, occurred_at, recorded_at, actor_id, "
                "memo, reverses_id, postings_digest) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING"
            ),
            [
                _db_id(entry_id),
                key,
                request_hash,
                kind,
                adapt(occurred_at),
                adapt(recorded_at),
                actor_id,
                memo,
                _db_id(reverses) if reverses else None,
                digest,
            ],
        )
        return cursor.rowcount == 1


def _insert_postings(cursor: Any, entry_db_id: Any, legs: Sequence[Leg]) -> None:
    """An entry's postings, its id as the database takes it (_db_id)."""
    cursor.execute(
        _sql("INSERT INTO {posting} (entry_id, account_id, amount) VALUES ") + _rows(len(legs), 3),
        [v for leg in legs for v in (entry_db_id, leg.account_id, leg.amount)],
    )


BULK_BALANCES_FROM = 100  # changes; fewer (a payment's one or two) are plain UPDATEs


def _add_to_balances(changes: dict[int, int]) -> None:
    """balance += change for the accounts (locked by the caller): a payment's one or two by plain
    UPDATEs, a bulk post's thousands by COPY into a temporary table and one UPDATE … FROM."""
    if not changes:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(changes) >= BULK_BALANCES_FROM:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS ledger_balance_change (id bigint, change bigint) ON COMMIT DELETE ROWS"
            )
            with cursor.cursor.copy("COPY ledger_balance_change (id, change) FROM STDIN") as copy:
                for row in changes.items():
                    copy.write_row(row)
            cursor.execute(
                _sql(
                    "UPDATE {account} AS a SET balance = a.balance + c.change, version = a.version + 1 "
                    "FROM ledger_balance_change AS c WHERE a.id = c.id"
                )
            )
            cursor.execute("DELETE FROM ledger_balance_change")
        else:
            cursor.executemany(
                _sql("UPDATE {account} SET balance = balance + %s, version = version + 1 WHERE id = %s"),
                [(change, pk) for pk, change in changes.items()],
            )
