"""Many entries at once (a cycle credit, an import), set-based: from Python specs
(`journal_post_many`) or from a caller's read-only SELECT of legs (`journal_post_query`), where no row
passes through Python. All or nothing; keys posted before are replayed, or refused if their request
differs; a kept balance never goes below zero; hashes and digests are those a single post writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from betang.core.bulk import bulk_insert
from betang.core.idempotency import is_replay
from betang.core.ids import new_id
from betang.ledger import backends
from betang.ledger.backends.common import ENTRY_FIELDS, limits
from betang.ledger.models import Entry, Posting
from betang.ledger.services.rules import (
    check_legs,
    conflict,
    postings_digest,
    request_hash,
    request_text,
    short,
    unknown,
)
from betang.ledger.services.types import BulkPosted, EntrySpec, IdempotencyConflict, LedgerError, LegsQuery, Unbalanced

_Prepared = tuple[EntrySpec, list[tuple[int, int]], str]  # a spec, its (account, amount) pairs, its request hash


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
    prepared, deltas = _prepare(specs)
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    with transaction.atomic():
        db = backends.current()
        found = db.lock_limited(deltas)
        if found.unknown:
            raise unknown(found.unknown)
        fresh = _fresh(prepared, deltas)
        changes, too_low = limits(deltas, found.signs, found.balances)
        if too_low is not None:
            raise short(*too_low)
        _insert(fresh, occurred_at, recorded_at, actor_id)
        db.add_to_balances(changes)
    return BulkPosted(created=len(fresh), replayed=len(specs) - len(fresh))


def _prepare(specs: list[EntrySpec]) -> tuple[list[_Prepared], dict[int, int]]:
    """Each spec checked and hashed, and the sum of every account's legs over the batch."""
    prepared = []
    deltas: dict[int, int] = defaultdict(int)
    for spec in specs:
        for account_id, delta in check_legs(spec.legs).items():
            deltas[account_id] += delta
        pairs = [(leg.account_id, leg.amount) for leg in spec.legs]
        prepared.append((spec, pairs, request_hash(spec.kind, pairs, spec.memo, None)))
    if len({spec.key for spec in specs}) != len(specs):
        raise LedgerError(_("The same idempotency key appears twice in one batch."))
    return prepared, deltas


def _fresh(prepared: list[_Prepared], deltas: dict[int, int]) -> list[_Prepared]:
    """The specs whose keys are new; a replayed one's amounts are taken out of `deltas` (not moved
    again), a key posted with another request is refused."""
    keys = [spec.key for spec, _pairs, _hash in prepared]
    seen = dict(Entry.objects.filter(idempotency_key__any=keys).values_list("idempotency_key", "request_hash"))
    fresh = []
    for spec, pairs, asked in prepared:
        if is_replay(seen.get(spec.key), asked, partial(conflict, spec.key)):
            for account_id, amount in pairs:
                deltas[account_id] -= amount
        else:
            fresh.append((spec, pairs, asked))
    return fresh


def _insert(fresh: list[_Prepared], occurred_at: datetime, recorded_at: datetime, actor_id: Any) -> None:
    """The fresh entries and their postings, by COPY on PostgreSQL (executemany on SQLite)."""
    entry_rows, posting_rows = [], []
    for spec, pairs, asked in fresh:
        entry_id = new_id()
        digest = postings_digest(entry_id, pairs)
        entry_rows.append(
            (entry_id, spec.key, asked, spec.kind, occurred_at, recorded_at, actor_id, spec.memo, None, digest)
        )
        posting_rows.extend((entry_id, account, amount) for account, amount in pairs)
    bulk_insert(Entry, list(ENTRY_FIELDS), entry_rows)
    bulk_insert(Posting, ["entry", "account", "amount"], posting_rows)


def journal_post_query(
    *, legs: LegsQuery, kind: str, occurred_at: datetime, recorded_at: datetime, actor: Any = None, memo: str = ""
) -> BulkPosted:
    """Post the entries whose legs a query gives, every step set-based inside the database: no row
    passes through Python (a cycle credit of a million households). The rules are those of
    `journal_post_many`; request hashes and postings digests are those a single post writes (on
    PostgreSQL computed in SQL, on SQLite by the functions `ledger.backends.sqlite` registers).

    Every account whose kept balance changes is locked in ascending id order, as single posts lock.
    """
    db = backends.current()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    with transaction.atomic(), connection.cursor() as cursor:
        run = _runner(cursor, db.sql)
        db.tune(run)
        _stage_tables(run)
        cursor.execute(db.sql("INSERT INTO {stage_leg} (key, account_id, amount) ") + legs.sql, legs.params)
        db.analyze(run, "{stage_leg}")
        _stage_entries(run, kind, memo)
        db.analyze(run, "{stage_entry}")
        replayed = _drop_replays(run)
        fresh = run("SELECT count(*) FROM {stage_entry}").fetchone()[0]
        if fresh:
            _post_staged(run, kind, memo, occurred_at, recorded_at, actor_id)
        _stage_tables(run, create=False)
        db.untune(run)
    return BulkPosted(created=fresh, replayed=replayed)


def _runner(cursor: Any, sql: Callable[[str], str]) -> Callable[..., Any]:
    """run(statement, params): a ledger statement (its names filled in by `sql`) on the cursor."""

    def run(statement: str, params: Sequence[Any] = ()) -> Any:
        cursor.execute(sql(statement), params)
        return cursor

    return run


def _stage_tables(run: Callable[..., Any], *, create: bool = True) -> None:
    """The staging tables of `journal_post_query`: temporary (this connection's own), emptied."""
    if create:
        run(
            "CREATE TEMP TABLE IF NOT EXISTS {stage_leg} "
            "(key varchar(200) NOT NULL, account_id bigint NOT NULL, amount bigint NOT NULL){keep}"
        )
        run(
            "CREATE TEMP TABLE IF NOT EXISTS {stage_entry} (key varchar(200) PRIMARY KEY, "
            "id {uuid} NOT NULL, request_hash varchar(64) NOT NULL, digest varchar(64) NOT NULL, "
            "legs integer NOT NULL, total bigint NOT NULL, posted_hash varchar(64)){keep}"
        )
        run(
            "CREATE TEMP TABLE IF NOT EXISTS {stage_change} "
            "(id bigint PRIMARY KEY, change bigint NOT NULL, known boolean NOT NULL, kept boolean NOT NULL){keep}"
        )
    for statement in ("{empty} {stage_leg}", "{empty} {stage_entry}", "{empty} {stage_change}"):
        run(statement)


def _stage_entries(run: Callable[..., Any], kind: str, memo: str) -> None:
    """One row per entry, in one pass over its legs: a new id, the request hash, the digest of the
    postings, how many legs and their sum; a zero leg or an unbalanced entry refuses the batch."""
    if (bad := run("SELECT key FROM {stage_leg} WHERE amount = 0 LIMIT 1").fetchone()) is not None:
        raise LedgerError(_("A posting cannot be zero."), details={"idempotency_key": bad[0]})
    head, tail = request_text(kind, [], memo, None).split('"legs":[]')
    run(
        "INSERT INTO {stage_entry} (key, id, request_hash, digest, legs, total) "
        "SELECT key, id, {request_hash}, {digest}, legs, total FROM (SELECT key, {new_id} AS id, "
        "{pairs} AS pairs, {lines} AS lines, count(*) AS legs, sum(amount) AS total "
        "FROM {stage_leg} GROUP BY key) AS g",
        [head + '"legs":[', "]" + tail],
    )
    bad = run("SELECT key FROM {stage_entry} WHERE legs < 2 OR total <> 0 ORDER BY key LIMIT 1").fetchone()
    if bad is not None:
        raise Unbalanced(details={"idempotency_key": bad[0]})


def _drop_replays(run: Callable[..., Any]) -> int:
    """Keys posted before: the same request is replayed (dropped from the stage, nothing moves again),
    another is refused — `core.idempotency`'s rule, set-based. The ledger's entries are looked up
    within the batch's range of keys only: a batch of new keys (a cycle's next households) finds an
    empty range at once, whatever the ledger's size. Returns how many were replayed."""
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
    return run("DELETE FROM {stage_entry} WHERE posted_hash IS NOT NULL").rowcount


def _post_staged(run: Callable[..., Any], kind: str, memo: str, occurred_at, recorded_at, actor_id) -> None:
    """The staged fresh entries: accounts known and kept balances enough, then entries, postings and
    last the kept balances (their row locks are held for the shortest time: parallel batches of one
    cycle wait for each other only there)."""
    _stage_changes(run)
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
    _move_kept_balances(run)


def _stage_changes(run: Callable[..., Any]) -> None:
    """The change of each account on its normal side, in id order; known (it exists), kept (its
    balance is, and it is checked). An unknown account or a kept balance too low refuses the batch."""
    run(
        "INSERT INTO {stage_change} (id, change, known, kept) SELECT s.account_id, "
        "sum(CASE a.normal_side WHEN 'DEBIT' THEN s.amount ELSE -s.amount END), count(a.id) > 0, "
        "coalesce(min(CASE WHEN a.allow_negative THEN 0 ELSE 1 END), 0) = 1 "
        "FROM {stage_leg} s LEFT JOIN {account} a ON a.id = s.account_id GROUP BY s.account_id ORDER BY s.account_id"
    )
    if (missing := run("SELECT min(id) FROM {stage_change} WHERE NOT known").fetchone()[0]) is not None:
        raise unknown([missing])
    too_low = run(
        "SELECT a.id, a.balance, c.change FROM {stage_change} c JOIN {account} a ON a.id = c.id "
        "WHERE c.kept AND c.change < 0 AND a.balance + c.change < 0 ORDER BY a.id LIMIT 1"
    ).fetchone()
    if too_low is not None:
        raise short(*too_low)


def _move_kept_balances(run: Callable[..., Any]) -> None:
    """Row locks taken in ascending id order, as single posts take them (the ordered, fenced subquery
    drives the update); the balance check constraint refuses one that a payment emptied meanwhile."""
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
        raise short(*(found or (None, None, None))) from None
