"""A harness for paying from the same hot wallets in several processes at once, then counting damage.

Each process opens its own database connection and pays random amounts from a few wallets into a
cooperative's payable, each attempt under its own idempotency key; afterwards the ledger is checked
for overdrafts (a wallet whose postings ever summed below zero), lost or invented postings (successes
reported by the processes against entries in the database) and kept balances that drifted.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from betang.core.forking import at_once
from betang.ledger.models import Account, Entry
from betang.ledger.services import InsufficientFunds
from betang.ledger.verify import ledger_verify

Pay = Callable[[str, Any, int], None]  # key, target (a wallet's account id), amount; raises a refusal


@dataclass
class Outcome:
    attempts: int
    paid: int
    refused: int
    errors: list[str]
    overdrafts: int  # wallets that were below zero at some point
    lost: int  # successes reported with no entry, or entries no process reported
    drifted: int  # kept balances that differ from their postings

    @property
    def sound(self) -> bool:
        return not (self.errors or self.overdrafts or self.lost or self.drifted)


def _attempts(
    pay: Pay, targets: Sequence[Any], refusals: tuple[type[Exception], ...], attempts: int, seed: int, name: str
) -> tuple[list[str], int, list[str]]:
    """One process's share: keys paid, count refused, unexpected errors."""
    rng = random.Random(seed)  # noqa: S311 - test traffic, not secrets
    paid, refused, errors = [], 0, []
    for n in range(attempts):
        key = f"{name}-{n}"
        try:
            pay(key, rng.choice(targets), rng.randint(1, 20_000))
            paid.append(key)
        except refusals:
            refused += 1
        except Exception as exc:  # reported: a sound service raises nothing else here
            errors.append(f"{type(exc).__name__}: {exc}")
    return paid, refused, errors


def run(
    pay: Pay,
    *,
    wallets: list[int],
    kind: str,
    processes: int = 4,
    attempts: int = 2_000,
    targets: Sequence[Any] | None = None,
    refusals: tuple[type[Exception], ...] = (InsufficientFunds,),
    key_prefix: str = "",
) -> Outcome:
    """`attempts` in all, spread over `processes` forked processes, each paying a random amount from
    one of `targets` (the wallets themselves, or what pays from them, such as cards) under its own
    key; `refusals` are the expected answers of an empty wallet. The wallets are checked, and the
    entries of `kind` counted against the keys paid (as the entry's key: `key_prefix` + key)."""
    per = attempts // processes
    chosen = list(targets if targets is not None else wallets)
    reports = at_once(lambda i: _attempts(pay, chosen, refusals, per, 1000 + i, f"p{i}"), processes)
    paid = {key_prefix + key for keys, _, _ in reports for key in keys}
    written = set(Entry.objects.filter(kind=kind).values_list("idempotency_key", flat=True))
    checks = {c.number: c for c in ledger_verify()}
    overdrafts = sum(1 for p in checks[3].problems if any(f"account {w} " in p for w in wallets))
    overdrafts += Account.objects.filter(pk__in=wallets, balance__lt=0).count()
    connection.close()
    return Outcome(
        attempts=per * processes,
        paid=len(paid),
        refused=sum(r for _, r, _ in reports),
        errors=[e for _, _, errs in reports for e in errs],
        overdrafts=overdrafts,
        lost=len(paid ^ written),
        drifted=len(checks[2].problems),
    )


def assert_sound_and_spent(outcome: Outcome, wallets: list[int]) -> None:
    """What a sound payment leaves under contention: nothing failed, overdrawn, lost or drifted, every
    attempt paid or refused, both seen, and each wallet spent down to less than one more payment."""
    assert outcome.errors == []
    assert (outcome.overdrafts, outcome.lost, outcome.drifted) == (0, 0, 0)
    assert outcome.paid + outcome.refused == outcome.attempts
    assert outcome.paid > 0
    assert outcome.refused > 0  # the wallets did run dry while others were paying
    for wallet in Account.objects.filter(pk__in=wallets):
        assert 0 <= wallet.balance < 20_000
