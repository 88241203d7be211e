"""`betang ledger verify` finds each kind of damage, names the invariant and exits non-zero."""

import io
import uuid

import pytest
from django.core.management import call_command
from django.db import connection

from betang.ledger.models import Entry, Posting
from betang.ledger.services import debit_credit, entry_reverse
from betang.ledger.services.rules import postings_digest
from betang.ledger.verify import ledger_verify
from tests.conftest import NOW
from tests.ledger.conftest import fund, post

pytestmark = pytest.mark.django_db

ENTRY, POSTING, ACCOUNT = "ledger_entry", "ledger_posting", "ledger_account"


def broken() -> set[int]:
    return {check.number for check in ledger_verify() if not check.ok}


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def without_triggers() -> None:
    """What someone with database access could do: switch the protection off (rolled back after the test)."""
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no deferred checks
    for table in (ENTRY, POSTING):
        if connection.vendor == "postgresql":
            sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_immutable")
        else:
            sql(f"DROP TRIGGER {table}_immutable")


def raw_entry(postings: list[tuple[int, int]], *, reverses=None, digest=True) -> uuid.UUID:
    """An entry written behind the service's back."""
    entry_id = uuid.uuid4()
    value = entry_id if connection.vendor == "postgresql" else entry_id.hex
    sql(
        f"INSERT INTO {ENTRY} (id, idempotency_key, request_hash, kind, occurred_at, recorded_at, memo, "
        "reverses_id, postings_digest) VALUES (%s, %s, '', 'raw', %s, %s, '', %s, %s)",
        [
            value,
            str(entry_id),
            NOW,
            NOW,
            (reverses if connection.vendor == "postgresql" else reverses.hex) if reverses else None,
            postings_digest(entry_id, postings) if digest else "",
        ],
    )
    for account, amount in postings:
        sql(f"INSERT INTO {POSTING} (entry_id, account_id, amount) VALUES (%s, %s, %s)", [value, account, amount])
    return entry_id


@pytest.fixture
def busy(books):
    fund(books, 1_000_000)
    post("credit", debit_credit(200_000, source=books.budget, target=books.wallets[0]))
    paid = post("pay", debit_credit(50_000, source=books.wallets[0], target=books.payable))
    entry_reverse(entry_id=paid.entry_id, key="void", occurred_at=NOW, recorded_at=NOW)
    post("pay-2", debit_credit(30_000, source=books.wallets[0], target=books.payable))
    return books


def test_a_sound_ledger_passes_and_the_command_exits_zero(busy):
    assert broken() == set()
    out = io.StringIO()
    call_command("ledger", "verify", stdout=out)
    assert "Ledger is consistent" in out.getvalue()


def test_a_changed_posting_breaks_the_sum_and_the_digest(busy):
    without_triggers()
    sql(f"UPDATE {POSTING} SET amount = amount + 1 WHERE id = (SELECT MIN(id) FROM {POSTING})")
    assert broken() >= {1, 4}


def test_a_removed_posting_is_found(busy):
    without_triggers()
    sql(f"DELETE FROM {POSTING} WHERE id = (SELECT MAX(id) FROM {POSTING})")
    assert broken() == {1, 4}


def test_a_removed_entry_with_all_its_postings_shows_in_a_kept_balance(busy):
    without_triggers()
    entry = Entry.objects.get(idempotency_key="pay-2").pk
    value = entry if connection.vendor == "postgresql" else entry.hex
    sql(f"DELETE FROM {POSTING} WHERE entry_id = %s", [value])
    sql(f"DELETE FROM {ENTRY} WHERE id = %s", [value])
    assert broken() == {2, 4}  # 4: the protection was off


def test_an_entry_removed_from_under_its_postings_is_found(busy):
    """With the protection back on, the orphaned postings alone give the removal away."""
    entry = Entry.objects.get(idempotency_key="pay-2").pk
    value = entry if connection.vendor == "postgresql" else entry.hex
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        sql(f"ALTER TABLE {ENTRY} DISABLE TRIGGER {ENTRY}_immutable")
    sql(f"DELETE FROM {ENTRY} WHERE id = %s", [value])  # SQLite's triggers refuse only UPDATE
    if connection.vendor == "postgresql":
        sql(f"ALTER TABLE {ENTRY} ENABLE TRIGGER {ENTRY}_immutable")
    checks = {check.number: check for check in ledger_verify()}
    assert {n for n, check in checks.items() if not check.ok} == {4}
    assert all("is missing" in problem for problem in checks[4].problems)
    assert len(checks[4].problems) == 2  # the payment's two postings


def test_a_kept_balance_that_drifted_is_found_and_the_command_exits_one(busy):
    sql(f"UPDATE {ACCOUNT} SET balance = balance + 1 WHERE id = %s", [busy.wallets[0].pk])
    assert broken() == {2}
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("ledger", "verify", stdout=out)
    assert exited.value.code == 1
    assert "Invariant 2 broken" in out.getvalue()
    assert "wallet:0" in out.getvalue()


def test_an_overdraft_in_the_past_is_found_even_when_the_balance_is_positive_now(busy):
    wallet = busy.wallets[1].pk
    # Spent 10,000 before anything came in, then credited 20,000: today's balance is a fine 10,000.
    raw_entry([(wallet, 10_000), (busy.payable.pk, -10_000)])
    raw_entry([(busy.budget.pk, 20_000), (wallet, -20_000)])
    sql(f"UPDATE {ACCOUNT} SET balance = 10000 WHERE id = %s", [wallet])
    sql(f"UPDATE {ACCOUNT} SET balance = balance - 20000 WHERE id = %s", [busy.budget.pk])
    assert broken() == {3}


def test_missing_protection_is_found(busy):
    without_triggers()
    assert broken() == {4}


def test_a_reversal_that_does_not_mirror_its_original_is_found(busy):
    original = Entry.objects.get(idempotency_key="pay-2")
    w, p = busy.wallets[0].pk, busy.payable.pk
    raw_entry([(w, -20_000), (p, 20_000)], reverses=original.pk)  # pay-2 was 30,000
    sql(f"UPDATE {ACCOUNT} SET balance = balance + 20000 WHERE id = %s", [w])
    assert broken() == {5}


def test_an_entry_of_one_posting_is_found(busy):
    raw_entry([(busy.payable.pk, 5)])
    assert broken() == {1}
    assert Posting.objects.count() == 11
