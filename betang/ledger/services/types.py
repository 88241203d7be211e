"""What every way of posting takes and answers: legs, entries, results, and the ledger's refusals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.utils.translation import gettext_lazy

from betang.core.errors import DomainError
from betang.ledger.models import Account


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


@dataclass(frozen=True)
class LegsQuery:
    """A read-only SELECT giving the legs of many entries as rows of (idempotency key, account id,
    amount in rupiah, debit > 0): e.g. a cycle's entitlements beside their wallets. The ledger copies
    its rows into a staging table and posts from there; the caller's tables are only read."""

    sql: str
    params: Sequence[Any] = ()


def debit_credit(amount: int, *, source: Account | int, target: Account | int, sign: int = -1) -> list[Leg]:
    """Legs moving `amount` out of `source` into `target`, two accounts on the same normal side.

    With the default sign (−1, credit-normal: budgets, wallets, payables) the source is debited and
    the target credited; for debit-normal accounts (bank, receivables) pass sign=+1.
    """
    source_id = source.pk if isinstance(source, Account) else source
    target_id = target.pk if isinstance(target, Account) else target
    return [Leg(source_id, -sign * amount), Leg(target_id, sign * amount)]
