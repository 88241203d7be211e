"""Several processes paying from the same wallets at once: no overdraft, no lost posting — and the
same harness does catch a naive read-then-write payment, so the test can fail.

BETANG_STRESS_ATTEMPTS sets the attempts (default 2,000; `make stress` runs 100,000).
"""

import os
import time

import pytest
from django.db import transaction

from betang.core.ids import new_id
from betang.ledger.models import Account, Entry, Posting
from betang.ledger.services import InsufficientFunds, debit_credit, journal_post
from betang.ledger.services.rules import postings_digest
from tests.conftest import NOW
from tests.ledger import concurrency
from tests.ledger.conftest import fund, open_books, post

ATTEMPTS = int(os.environ.get("BETANG_STRESS_ATTEMPTS", "2000"))


NAIVE_ATTEMPTS = 1_000  # the naive payment sleeps between its read and its write: enough to show it


def hot_books(attempts: int):
    """Two wallets holding enough for about half of `attempts` (1 to 20,000 rupiah each): the limit
    is reached under contention."""
    books = open_books(wallets=2)
    fund(books, attempts * 10_000)
    for n, wallet in enumerate(books.wallets):
        post(f"credit-{n}", debit_credit(attempts * 10_000 // 4, source=books.budget, target=wallet))
    return books


@pytest.fixture
def hot(transactional_db):
    return hot_books(ATTEMPTS)


def test_concurrent_payments_never_overdraw_and_never_lose_a_posting(hot):
    payable = hot.payable.pk

    def pay(key, wallet, amount):
        journal_post(
            key=key,
            kind="test.payment",
            legs=debit_credit(amount, source=wallet, target=payable),
            occurred_at=NOW,
            recorded_at=NOW,
        )

    outcome = concurrency.run(pay, wallets=[w.pk for w in hot.wallets], kind="test.payment", attempts=ATTEMPTS)
    print(outcome)  # shown with -s, e.g. by `make stress`
    concurrency.assert_sound_and_spent(outcome, [w.pk for w in hot.wallets])


def _naive_pay(payable):
    """Reads the balance, checks it, then writes what it read minus the amount: the classic race."""

    def pay(key, wallet, amount):
        balance = Account.objects.get(pk=wallet).balance
        if balance < amount:
            raise InsufficientFunds()
        time.sleep(0.001)
        with transaction.atomic():
            entry_id = new_id()
            pairs = [(wallet, amount), (payable, -amount)]
            Entry.objects.create(
                id=entry_id,
                idempotency_key=key,
                request_hash="",
                kind="test.naive",
                occurred_at=NOW,
                recorded_at=NOW,
                postings_digest=postings_digest(entry_id, pairs),
            )
            Posting.objects.bulk_create([Posting(entry_id=entry_id, account_id=a, amount=x) for a, x in pairs])
            Account.objects.filter(pk=wallet).update(balance=balance - amount)

    return pay


def test_the_harness_catches_a_naive_read_then_write_payment(transactional_db):
    books = hot_books(NAIVE_ATTEMPTS)  # its own wallets: they run dry whatever BETANG_STRESS_ATTEMPTS says
    outcome = concurrency.run(
        _naive_pay(books.payable.pk),
        wallets=[w.pk for w in books.wallets],
        kind="test.naive",
        attempts=NAIVE_ATTEMPTS,
    )
    print(outcome)
    assert outcome.drifted > 0  # lost updates of the kept balance ...
    assert outcome.overdrafts > 0  # ... which paid past empty: the wallet's postings went below zero
    assert not outcome.sound
