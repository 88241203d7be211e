"""A small program's books: bank, funding, a budget, household wallets and a cooperative's payable."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from betang.ledger.models import Account
from betang.ledger.services import Leg, account_open, journal_post
from tests.conftest import NOW

CREDIT, DEBIT = Account.Side.CREDIT, Account.Side.DEBIT


@dataclass
class Books:
    bank: Account
    budget: Account
    wallets: list[Account]
    payable: Account


def open_books(wallets: int = 3) -> Books:
    def acct(key, kind, side, allow_negative):
        return account_open(
            key=key, name=key, kind=kind, normal_side=side, allow_negative=allow_negative, occurred_at=NOW
        )

    return Books(
        bank=acct("bank:rkud", Account.Kind.BANK, DEBIT, True),
        budget=acct("budget:khbs", Account.Kind.PROGRAM_BUDGET, CREDIT, False),
        wallets=[acct(f"wallet:{i}", Account.Kind.HOUSEHOLD_WALLET, CREDIT, False) for i in range(wallets)],
        payable=acct("payable:koperasi", Account.Kind.COOPERATIVE_PAYABLE, CREDIT, True),
    )


def post(key, legs, kind="test", **kwargs):
    return journal_post(key=key, kind=kind, legs=legs, occurred_at=NOW, recorded_at=NOW, **kwargs)


def fund(books: Books, amount: int, key="fund") -> None:
    """The province transfers money into the program: Dr bank, Cr budget."""
    post(key, [Leg(books.bank.pk, amount), Leg(books.budget.pk, -amount)], kind="aid.budget.funded")


@pytest.fixture
def books(db) -> Books:
    return open_books()
