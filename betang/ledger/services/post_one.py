"""One entry (a card payment, a loan repayment): the hot path, a statement or three per post.

The limited accounts it touches — those whose balance must not go below zero — are locked in
ascending id order (`FOR NO KEY UPDATE` on PostgreSQL; on SQLite the IMMEDIATE transaction already
admits one writer), checked, and the entry, its postings and the kept balances written. Accounts
that may go negative are never locked: thousands of payments can credit one cooperative at once.
The database's side is `ledger.backends`; this module decides what its findings answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple
from uuid import UUID

from django.db import connection, transaction
from django.utils.translation import gettext as _

from betang.core.idempotency import is_replay
from betang.core.ids import as_uuid, new_id
from betang.ledger import backends
from betang.ledger.backends.common import Unwritten, sql
from betang.ledger.models import Entry
from betang.ledger.services.rules import check_legs, conflict, postings_digest, request_hash, short, unknown
from betang.ledger.services.types import AlreadyReversed, LedgerError, Leg, Posted


class Earlier(NamedTuple):
    """The entry a key was posted with before: the answer to a replay, or to a conflict."""

    entry_id: Any
    request_hash: str


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
    deltas = check_legs(legs)
    pairs = [(leg.account_id, leg.amount) for leg in legs]
    asked = request_hash(kind, pairs, memo, reverses)
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    entry_id = new_id()
    digest = postings_digest(entry_id, pairs)
    entry = (entry_id, key, asked, kind, occurred_at, recorded_at, actor_id, memo, reverses, digest)
    # No savepoint inside a caller's transaction (two round trips on every payment): every refusal is
    # decided before anything is written and raised after the block, so that transaction stays usable.
    with transaction.atomic(savepoint=False):
        outcome = _post_once(entry, pairs, deltas)
    if isinstance(outcome, LedgerError):
        raise outcome
    # A key posted before: the same request is answered by its first result, another is refused.
    if isinstance(outcome, Earlier) and is_replay(outcome.request_hash, asked, partial(conflict, key)):
        return Posted(as_uuid(outcome.entry_id), created=False)
    return outcome


def _post_once(entry: tuple, pairs: list[tuple[int, int]], deltas: dict[int, int]) -> Posted | Earlier | LedgerError:
    """journal_post's work in its transaction: the Posted result, the key's earlier entry, or the
    refusal (returned, not raised)."""
    unwritten = backends.current().post_one(entry, pairs, deltas)
    if unwritten is None:
        return Posted(entry[0], created=True)
    return _why(unwritten, entry[1], entry[8])


def _why(unwritten: Unwritten, key: str, reverses: Any) -> Earlier | LedgerError:
    """What a post that wrote nothing answers, from what the database found: an unknown account, the
    key's earlier entry, too low a balance — or, when none of these, a key taken meanwhile."""
    if unwritten.unknown:
        return unknown(unwritten.unknown)
    if unwritten.seen is not None:
        return Earlier(*unwritten.seen)
    if unwritten.short is not None:
        # A post of this key may have committed while the lock was awaited (and taken the money):
        # then this is its replay, not a refusal.
        return _earlier(key) or short(*unwritten.short)
    return _earlier(key) or _not_written(key, reverses)


def _earlier(key: str) -> Earlier | None:
    """The entry posted with this key, if any (asked again: it may have committed meanwhile)."""
    with connection.cursor() as cursor:
        cursor.execute(sql("SELECT id, request_hash FROM {entry} WHERE idempotency_key = %s"), [key])
        found = cursor.fetchone()
    return Earlier(*found) if found is not None else None


def _not_written(key: str, reverses: Any) -> LedgerError:
    """Why a checked entry was not written though its key is free: the entry it reverses was reversed
    meanwhile by a post that touched no locked account."""
    if reverses and Entry.objects.filter(reverses_id=reverses).exists():
        return AlreadyReversed()
    return LedgerError(_("The entry could not be written."), details={"idempotency_key": key})
