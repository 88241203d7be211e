"""Posting, limits, idempotency, reversals and bulk posts through the one ledger service."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from betang.ledger import selectors
from betang.ledger.models import Account, Entry, Posting
from betang.ledger.services import (
    AlreadyReversed,
    EntrySpec,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    Leg,
    Unbalanced,
    UnknownAccount,
    account_open,
    debit_credit,
    entry_reverse,
    journal_post_many,
)
from betang.ledger.verify import ledger_verify
from tests.conftest import NOW
from tests.ledger.conftest import CREDIT, fund, post

pytestmark = pytest.mark.django_db


def balance(account: Account) -> int:
    return selectors.account_balance(account.pk)


def test_money_moves_from_budget_to_wallet_to_cooperative(books):
    fund(books, 1_000_000)
    post("credit-1", debit_credit(200_000, source=books.budget, target=books.wallets[0]))
    post("pay-1", debit_credit(75_500, source=books.wallets[0], target=books.payable))

    assert balance(books.bank) == 1_000_000
    assert balance(books.budget) == 800_000
    assert balance(books.wallets[0]) == 124_500
    assert balance(books.payable) == 75_500
    books.wallets[0].refresh_from_db()
    assert books.wallets[0].balance == 124_500  # kept: a limit is checked on it
    books.payable.refresh_from_db()
    assert books.payable.balance is None  # not kept: a hot account only gets postings appended
    assert all(check.ok for check in ledger_verify())


@pytest.mark.parametrize(
    ("legs", "error"),
    [
        ("one leg", Unbalanced),
        ("unbalanced", Unbalanced),
        ("zero", LedgerError),
        ("float", LedgerError),
        ("unknown", UnknownAccount),
    ],
)
def test_malformed_entries_are_refused_and_post_nothing(books, legs, error):
    b, w = books.budget.pk, books.wallets[0].pk
    legs = {
        "unbalanced": [Leg(b, 100), Leg(w, -90)],
        "zero": [Leg(b, 0), Leg(w, 0)],
        "float": [Leg(b, 100.0), Leg(w, -100.0)],
        "unknown": [Leg(b, 100), Leg(999_999, -100)],
        "one leg": [Leg(b, 100)],
    }[legs]
    fund(books, 1_000)
    with pytest.raises(error):
        post("bad", legs)
    assert Entry.objects.count() == 1


def test_a_limited_account_cannot_go_below_zero(books):
    fund(books, 500)
    with pytest.raises(InsufficientFunds) as refused:
        post("too-much", debit_credit(501, source=books.budget, target=books.wallets[0]))
    assert refused.value.code == "ledger.insufficient_funds"
    assert refused.value.details == {"account": books.budget.pk, "balance": 500, "needed": 501}
    assert not Entry.objects.filter(idempotency_key="too-much").exists()
    assert balance(books.budget) == 500
    post("exactly", debit_credit(500, source=books.budget, target=books.wallets[0]))
    assert balance(books.budget) == 0


def test_the_same_key_five_times_has_one_effect_and_the_same_answer(books):
    fund(books, 1_000)
    answers = [post("pay-7", debit_credit(300, source=books.budget, target=books.wallets[1])) for _ in range(5)]
    assert {a.entry_id for a in answers} == {answers[0].entry_id}
    assert [a.created for a in answers] == [True, False, False, False, False]
    assert balance(books.wallets[1]) == 300
    assert Posting.objects.filter(entry_id=answers[0].entry_id).count() == 2


def test_the_same_key_with_another_request_is_refused(books):
    fund(books, 1_000)
    post("pay-8", debit_credit(300, source=books.budget, target=books.wallets[1]))
    with pytest.raises(IdempotencyConflict) as refused:
        post("pay-8", debit_credit(301, source=books.budget, target=books.wallets[1]))
    assert refused.value.http_status == 409
    assert balance(books.wallets[1]) == 300


def test_a_replay_is_answered_even_when_the_balance_has_since_been_spent(books):
    fund(books, 300)
    first = post("pay-9", debit_credit(300, source=books.budget, target=books.wallets[0]))
    again = post("pay-9", debit_credit(300, source=books.budget, target=books.wallets[0]))
    assert again == first.__class__(first.entry_id, created=False)


def test_a_reversal_mirrors_the_entry_once(books):
    fund(books, 1_000)
    paid = post("pay-10", debit_credit(400, source=books.budget, target=books.wallets[0]))
    reversed_ = entry_reverse(entry_id=paid.entry_id, key="void-10", occurred_at=NOW, recorded_at=NOW)
    assert balance(books.budget) == 1_000
    assert balance(books.wallets[0]) == 0
    entry = Entry.objects.get(pk=reversed_.entry_id)
    assert entry.reverses_id == paid.entry_id
    assert entry.kind == "test.reversal"
    # Retrying the same void is harmless; a second, different void is refused.
    again = entry_reverse(entry_id=paid.entry_id, key="void-10", occurred_at=NOW, recorded_at=NOW)
    assert again.entry_id == reversed_.entry_id
    assert not again.created
    with pytest.raises(AlreadyReversed):
        entry_reverse(entry_id=paid.entry_id, key="void-10b", occurred_at=NOW, recorded_at=NOW)
    with pytest.raises(LedgerError):
        entry_reverse(entry_id=reversed_.entry_id, key="void-void", occurred_at=NOW, recorded_at=NOW)
    assert all(check.ok for check in ledger_verify())


def test_a_reversal_that_would_overdraw_is_refused(books):
    fund(books, 1_000)
    credit = post("credit-11", debit_credit(400, source=books.budget, target=books.wallets[0]))
    post("pay-11", debit_credit(400, source=books.wallets[0], target=books.payable))
    with pytest.raises(InsufficientFunds):  # the credit was spent: taking it back would overdraw
        entry_reverse(entry_id=credit.entry_id, key="void-11", occurred_at=NOW, recorded_at=NOW)


def test_entries_and_postings_refuse_changes_in_the_orm_and_in_sql(books):
    fund(books, 1_000)
    entry = Entry.objects.get()
    with pytest.raises(TypeError):
        Posting.objects.filter(entry=entry).update(amount=5)
    with pytest.raises(TypeError):
        Entry.objects.all().delete()
    with pytest.raises(TypeError):
        entry.delete()
    entry.memo = "changed"
    with pytest.raises(TypeError):
        entry.save()
    table = Posting._meta.db_table
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET amount = amount * 2")
    if connection.vendor == "postgresql":
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")
    assert sorted(Posting.objects.values_list("amount", flat=True)) == [-1_000, 1_000]


def test_account_open_is_idempotent_and_keeps_its_terms(books):
    again = account_open(
        key="wallet:0",
        name="other name",
        kind=Account.Kind.HOUSEHOLD_WALLET,
        normal_side=CREDIT,
        allow_negative=False,
        occurred_at=NOW,
    )
    assert again.pk == books.wallets[0].pk
    with pytest.raises(LedgerError):
        account_open(
            key="wallet:0",
            name="x",
            kind=Account.Kind.HOUSEHOLD_WALLET,
            normal_side=CREDIT,
            allow_negative=True,
            occurred_at=NOW,
        )


def _credits(books, amount, prefix="cycle-1"):
    return [
        EntrySpec(f"{prefix}:{w.pk}", "aid.cycle.credit", debit_credit(amount, source=books.budget, target=w))
        for w in books.wallets
    ]


def test_a_bulk_post_credits_every_wallet_once(books):
    fund(books, 1_000_000)
    result = journal_post_many(entries=_credits(books, 200_000), occurred_at=NOW, recorded_at=NOW)
    assert (result.created, result.replayed) == (3, 0)
    assert [balance(w) for w in books.wallets] == [200_000] * 3
    assert balance(books.budget) == 400_000
    again = journal_post_many(entries=_credits(books, 200_000), occurred_at=NOW, recorded_at=NOW)
    assert (again.created, again.replayed) == (0, 3)
    assert balance(books.budget) == 400_000
    assert all(check.ok for check in ledger_verify())


def test_a_bulk_post_after_a_partial_one_posts_only_the_rest(books):
    fund(books, 1_000_000)
    journal_post_many(entries=_credits(books, 100_000)[:1], occurred_at=NOW, recorded_at=NOW)
    result = journal_post_many(entries=_credits(books, 100_000), occurred_at=NOW, recorded_at=NOW)
    assert (result.created, result.replayed) == (2, 1)
    assert [balance(w) for w in books.wallets] == [100_000] * 3
    assert balance(books.budget) == 700_000


def test_a_bulk_post_beyond_the_budget_posts_nothing(books):
    fund(books, 500_000)
    with pytest.raises(InsufficientFunds):
        journal_post_many(entries=_credits(books, 200_000), occurred_at=NOW, recorded_at=NOW)
    assert Entry.objects.count() == 1
    assert balance(books.budget) == 500_000


def test_a_bulk_post_refuses_a_reused_key_with_another_request(books):
    fund(books, 1_000_000)
    journal_post_many(entries=_credits(books, 100_000), occurred_at=NOW, recorded_at=NOW)
    with pytest.raises(IdempotencyConflict):
        journal_post_many(entries=_credits(books, 150_000), occurred_at=NOW, recorded_at=NOW)
    assert balance(books.budget) == 700_000
