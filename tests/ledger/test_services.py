"""Posting, limits, idempotency, reversals and bulk posts through the one ledger service."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from betang.ledger import selectors
from betang.ledger.backends import postgresql, sqlite
from betang.ledger.models import Account, Entry, Posting
from betang.ledger.services import (
    AlreadyReversed,
    EntrySpec,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    Leg,
    LegsQuery,
    Unbalanced,
    UnknownAccount,
    account_open,
    debit_credit,
    entry_reverse,
    journal_post_many,
    journal_post_query,
)
from betang.ledger.verify import ledger_verify
from tests.conftest import NOW
from tests.ledger.conftest import CREDIT, Books, fund, open_books, post

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


def test_a_refusal_leaves_the_callers_transaction_usable(books):
    """journal_post takes no savepoint: a refusal must be decided before it writes anything."""
    fund(books, 300)
    with transaction.atomic():
        with pytest.raises(InsufficientFunds):
            post("pay-10", debit_credit(301, source=books.budget, target=books.wallets[0]))
        with pytest.raises(IdempotencyConflict):
            post("fund", debit_credit(1, source=books.budget, target=books.wallets[0]))
        with pytest.raises(UnknownAccount):
            post("pay-11", [Leg(books.budget.pk, -1), Leg(999_999, 1)])
        post("pay-12", debit_credit(300, source=books.budget, target=books.wallets[0]))
    assert balance(books.wallets[0]) == 300
    assert all(check.ok for check in ledger_verify())


def test_a_post_whose_key_landed_while_it_waited_for_the_lock_is_a_replay_not_a_refusal(books, monkeypatch):
    """On PostgreSQL the lock statement reads the key in a snapshot taken before its wait: if the
    first post of the key committed meanwhile and took the money, the second must still answer as
    the first did. Simulated here by a lock that did not see the entry."""
    fund(books, 300)
    first = post("pay-13", debit_credit(300, source=books.budget, target=books.wallets[0]))
    if connection.vendor == "sqlite":  # the steps after the guarded INSERT read the key with the accounts
        real = sqlite.lock_limited
        monkeypatch.setattr(sqlite, "lock_limited", lambda ids, key=None: real(ids, key=key)._replace(seen=None))
    else:
        real = postgresql.post_one
        monkeypatch.setattr(postgresql, "post_one", lambda *args: (found := real(*args)) and found._replace(seen=None))
    again = post("pay-13", debit_credit(300, source=books.budget, target=books.wallets[0]))
    assert (again.entry_id, again.created) == (first.entry_id, False)
    fund(books, 300, key="more")
    again = post("pay-13", debit_credit(300, source=books.budget, target=books.wallets[0]))  # the insert conflicts
    assert (again.entry_id, again.created) == (first.entry_id, False)
    assert balance(books.wallets[0]) == 300


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
        # Postings carry no foreign keys: an account under them can never be deleted either.
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {Account._meta.db_table} WHERE id = %s", [books.bank.pk])
    assert sorted(Posting.objects.values_list("amount", flat=True)) == [-1_000, 1_000]
    assert Account.objects.filter(pk=books.bank.pk).exists()


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


# --- set-based posts from a query (a cycle credit's path) -----------------------------------------


def _legs_query(specs: list[EntrySpec]) -> LegsQuery:
    """The legs of the specs as a SELECT of constants, as a caller's query would give them."""
    rows = [(spec.key, leg.account_id, leg.amount) for spec in specs for leg in spec.legs]
    return LegsQuery(" UNION ALL ".join(["SELECT %s, %s, %s"] * len(rows)), [value for row in rows for value in row])


def _spread(books: Books, amount: int, n: int = 4) -> list[EntrySpec]:
    """n entries, each from the budget to every wallet (ids on both sides of a power of ten)."""
    return [
        EntrySpec(
            key=f"spread:{i}",
            kind="aid.cycle.credit",
            legs=[Leg(books.budget.pk, amount * len(books.wallets))] + [Leg(w.pk, -amount) for w in books.wallets],
            memo="Pangan #1 — siklus é",
        )
        for i in range(n)
    ]


def _post_query(specs: list[EntrySpec]):
    return journal_post_query(
        legs=_legs_query(specs), kind=specs[0].kind, memo=specs[0].memo, occurred_at=NOW, recorded_at=NOW
    )


@pytest.fixture
def wide_books(db) -> Books:
    return open_books(wallets=12)


def test_a_post_from_a_query_moves_every_balance_once_and_verifies(wide_books):
    books = wide_books
    fund(books, 10_000_000)
    result = _post_query(_spread(books, 10_000))
    assert (result.created, result.replayed) == (4, 0)
    assert [balance(w) for w in books.wallets] == [40_000] * 12
    assert balance(books.budget) == 10_000_000 - 4 * 12 * 10_000
    ids = list(Entry.objects.filter(kind="aid.cycle.credit").values_list("id", flat=True))
    assert len(ids) == 4
    assert all(i.version == 7 for i in ids)
    # verify recomputes each entry's digest in Python from its postings: SQL and Python agree
    assert all(check.ok for check in ledger_verify())
    again = _post_query(_spread(books, 10_000))
    assert (again.created, again.replayed) == (0, 4)
    assert balance(books.budget) == 10_000_000 - 4 * 12 * 10_000


def test_a_query_post_and_a_python_post_of_the_same_request_are_one(wide_books):
    """The request hash computed in SQL is the one journal_post_many computes: each replays the other."""
    books = wide_books
    fund(books, 10_000_000)
    specs = _spread(books, 5_000)
    journal_post_many(entries=specs[:2], occurred_at=NOW, recorded_at=NOW)
    result = _post_query(specs[:3])
    assert (result.created, result.replayed) == (1, 2)
    many = journal_post_many(entries=specs, occurred_at=NOW, recorded_at=NOW)
    assert (many.created, many.replayed) == (1, 3)
    assert [balance(w) for w in books.wallets] == [20_000] * 12
    assert all(check.ok for check in ledger_verify())


def test_a_query_post_refuses_a_reused_key_with_another_request(wide_books):
    books = wide_books
    fund(books, 10_000_000)
    _post_query(_spread(books, 5_000, n=1))
    with pytest.raises(IdempotencyConflict):
        _post_query(_spread(books, 6_000, n=2))
    assert Entry.objects.filter(kind="aid.cycle.credit").count() == 1
    assert balance(books.budget) == 10_000_000 - 12 * 5_000


def test_a_query_post_beyond_the_budget_posts_nothing(wide_books):
    books = wide_books
    fund(books, 100_000)
    with pytest.raises(InsufficientFunds) as refused:
        _post_query(_spread(books, 5_000))
    assert refused.value.details["account"] == books.budget.pk
    assert Entry.objects.count() == 1
    assert balance(books.budget) == 100_000
    assert [balance(w) for w in books.wallets] == [0] * 12


@pytest.mark.parametrize(
    ("legs", "error"),
    [("one leg", Unbalanced), ("unbalanced", Unbalanced), ("zero", LedgerError), ("unknown", UnknownAccount)],
)
def test_a_malformed_query_post_is_refused_and_posts_nothing(books, legs, error):
    b, w = books.budget.pk, books.wallets[0].pk
    fund(books, 1_000_000)
    bad = {
        "one leg": [Leg(b, 100)],
        "unbalanced": [Leg(b, 100), Leg(w, -99)],
        "zero": [Leg(b, 0), Leg(w, 0)],
        "unknown": [Leg(b, 100), Leg(999_999, -100)],
    }[legs]
    good = EntrySpec(key="good", kind="aid.cycle.credit", legs=[Leg(b, 100), Leg(w, -100)])
    with pytest.raises(error):
        _post_query([good, EntrySpec(key="bad", kind="aid.cycle.credit", legs=bad)])
    assert Entry.objects.count() == 1
    assert balance(books.wallets[0]) == 0
