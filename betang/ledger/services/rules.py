"""What every post checks and records the same way: valid legs, the request hash a replay must match,
the postings digest `ledger verify` recomputes, and the refusals made of what the database found."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _

from betang.core.idempotency import text_hash
from betang.core.ids import as_uuid
from betang.ledger.services.types import (
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    Leg,
    Unbalanced,
    UnknownAccount,
)

# json.dumps's output, without an encoder per call; the body's keys are written in sorted order, so
# this is core.idempotency's canonical text, without the cost of sorting them on every payment.
_compact = json.JSONEncoder(separators=(",", ":")).encode


def check_legs(legs: Sequence[Leg]) -> dict[int, int]:
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


def request_text(kind: str, pairs: Iterable[tuple[int, int]], memo: str, reverses: Any) -> str:
    """What a request hash is taken of: kind, legs as sorted [account, amount] pairs, memo, reversal."""
    body = {
        "kind": kind,
        "legs": sorted([account, amount] for account, amount in pairs),
        "memo": memo,
        "reverses": str(reverses) if reverses else None,
    }
    return _compact(body)


def request_hash(kind: str, pairs: Iterable[tuple[int, int]], memo: str, reverses: Any) -> str:
    """The hash an entry keeps of its request (`core.idempotency`'s, of request_text)."""
    return text_hash(request_text(kind, pairs, memo, reverses))


def postings_digest(entry_id: Any, postings: Iterable[tuple[int, int]]) -> str:
    """sha256 of an entry's postings as (account id, amount) pairs, in any order."""
    lines = sorted(f"{account}:{amount}" for account, amount in postings)
    canonical = str(as_uuid(entry_id))  # SQLite gives hex
    return hashlib.sha256(("\n".join([canonical, *lines])).encode()).hexdigest()


def conflict(key: str) -> IdempotencyConflict:
    """The refusal of a key already posted with another request (`is_replay`'s `conflict`)."""
    return IdempotencyConflict(details={"idempotency_key": key})


def unknown(accounts: Sequence[int]) -> UnknownAccount:
    """The refusal of an entry naming accounts that do not exist (sorted ids)."""
    return UnknownAccount(
        _("Unknown ledger account %(id)s.") % {"id": accounts[0]}, details={"accounts": list(accounts)}
    )


def short(account_id: Any, balance: Any, change: Any) -> InsufficientFunds:
    """The refusal of a kept balance that `change` would take below zero."""
    return InsufficientFunds(
        _("The balance of account %(id)s is too low.") % {"id": account_id},
        details={"account": account_id, "balance": balance, "needed": -change if change is not None else None},
    )
