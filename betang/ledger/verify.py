"""`betang ledger verify`: check the five invariants of ARCHITECTURE §4 over the whole ledger.

1. every entry's postings sum to zero (and it has at least two);
2. every kept balance equals the sum of its account's postings (on the account's normal side);
3. no limited account (allow_negative = False) is, or ever was, below zero — its running sum in
   posting order, which is commit order for it because it is locked for every posting;
4. postings were never changed or removed — each entry's digest of its postings still matches, no
   posting lost its entry or account, and the database triggers that refuse changes are in place;
5. one idempotency key, one entry; a reversal mirrors its original exactly, once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection

from betang.ledger.models import Account, Entry, Posting
from betang.ledger.services.rules import postings_digest

EXAMPLES = 10  # offenders named per invariant


@dataclass
class Check:
    number: int
    name: str
    problems: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {
        "account": q(Account._meta.db_table),
        "entry": q(Entry._meta.db_table),
        "posting": q(Posting._meta.db_table),
    }


def _rows(sql: str, params: tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _balanced() -> Check:
    t = _tables()
    check = Check(1, "every entry's postings sum to zero")
    rows = _rows(
        f"SELECT e.id, COUNT(p.id), COALESCE(SUM(p.amount), 0) FROM {t['entry']} e "  # noqa: S608 - model table names
        f"LEFT JOIN {t['posting']} p ON p.entry_id = e.id GROUP BY e.id "
        "HAVING COUNT(p.id) < 2 OR COALESCE(SUM(p.amount), 0) <> 0 "
        f"LIMIT {EXAMPLES}"
    )
    check.problems = [f"entry {entry}: {count} postings summing to {total}" for entry, count, total in rows]
    check.checked = Entry.objects.count()
    return check


_SIGN = "CASE a.normal_side WHEN 'DEBIT' THEN 1 ELSE -1 END"


def _kept_balances() -> Check:
    t = _tables()
    check = Check(2, "every kept balance equals the sum of its postings")
    rows = _rows(
        f"SELECT a.id, a.key, a.balance, {_SIGN} * COALESCE(s.total, 0) FROM {t['account']} a "  # noqa: S608
        f"LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM {t['posting']} GROUP BY account_id) s "
        "ON s.account_id = a.id "
        f"WHERE a.balance IS NOT NULL AND a.balance <> {_SIGN} * COALESCE(s.total, 0) LIMIT {EXAMPLES}"
    )
    check.problems = [f"account {pk} ({key}): balance {kept}, postings say {total}" for pk, key, kept, total in rows]
    check.checked = Account.objects.filter(balance__isnull=False).count()
    return check


def _never_negative() -> Check:
    t = _tables()
    check = Check(3, "no limited account is or ever was below zero")
    rows = _rows(
        "SELECT account_id, MIN(running) FROM ("  # noqa: S608
        f"  SELECT p.account_id, {_SIGN} * SUM(p.amount) OVER (PARTITION BY p.account_id ORDER BY p.id) AS running"
        f"  FROM {t['posting']} p JOIN {t['account']} a ON a.id = p.account_id WHERE a.allow_negative = %s"
        f") r WHERE running < 0 GROUP BY account_id LIMIT {EXAMPLES}",
        (False,),
    )
    check.problems = [f"account {pk} went down to {low}" for pk, low in rows]
    negative = Account.objects.filter(allow_negative=False, balance__lt=0).values_list("pk", "balance")[:EXAMPLES]
    check.problems += [f"account {pk} has a kept balance of {balance}" for pk, balance in negative]
    check.checked = Account.objects.filter(allow_negative=False).count()
    return check


def _triggers_present() -> list[str]:
    names = {f"{table}_immutable" for table in (Entry._meta.db_table, Posting._meta.db_table)}
    if connection.vendor == "postgresql":
        names.add(f"{Account._meta.db_table}_kept")  # accounts are never deleted (see migration 0003)
        found = {r[0] for r in _rows("SELECT tgname FROM pg_trigger WHERE tgenabled <> 'D' AND NOT tgisinternal")}
    elif connection.vendor == "sqlite":
        found = {r[0] for r in _rows("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    else:
        return []
    return [f"the trigger {name} that refuses changes is missing or disabled" for name in sorted(names - found)]


def _untouched() -> Check:
    t = _tables()
    check = Check(4, "postings were never changed or removed")
    problems: list[str] = []
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.id, e.postings_digest, p.account_id, p.amount FROM {t['entry']} e "  # noqa: S608
            f"LEFT JOIN {t['posting']} p ON p.entry_id = e.id ORDER BY e.id"
        )
        current, digest, pairs = None, None, []

        def close() -> None:
            nonlocal count
            if current is None:
                return
            count += 1
            if len(problems) < EXAMPLES and postings_digest(current, pairs) != digest:
                problems.append(f"entry {current}: its postings are not the ones it was written with")

        while batch := cursor.fetchmany(10_000):
            for entry_id, entry_digest, account_id, amount in batch:
                if entry_id != current:
                    close()
                    current, digest, pairs = entry_id, entry_digest, []
                if account_id is not None:
                    pairs.append((account_id, amount))
        close()
    # Postings carry no foreign keys in the database: one whose entry or account is gone was removed.
    orphans = _rows(
        f"SELECT p.id, p.entry_id, p.account_id FROM {t['posting']} p "  # noqa: S608 - model table names
        f"LEFT JOIN {t['entry']} e ON e.id = p.entry_id LEFT JOIN {t['account']} a ON a.id = p.account_id "
        f"WHERE e.id IS NULL OR a.id IS NULL LIMIT {EXAMPLES}"
    )
    problems += [f"posting {pk}: its entry {entry} or account {account} is missing" for pk, entry, account in orphans]
    check.problems = problems + _triggers_present()
    check.checked = count
    return check


def _idempotent() -> Check:
    t = _tables()
    check = Check(5, "one idempotency key, one entry; reversals mirror their original once")
    duplicates = _rows(
        f"SELECT idempotency_key, COUNT(*) FROM {t['entry']} GROUP BY idempotency_key HAVING COUNT(*) > 1 "  # noqa: S608
        f"LIMIT {EXAMPLES}"
    )
    check.problems = [f"key {key!r} posted {n} times" for key, n in duplicates]
    # A reversal's postings, summed per account with its original's, cancel out.
    rows = _rows(
        "SELECT r.id FROM ("  # noqa: S608
        f"  SELECT e.id, p.account_id, SUM(p.amount) AS total FROM {t['entry']} e"
        f"  JOIN {t['posting']} p ON p.entry_id = e.id OR p.entry_id = e.reverses_id"
        "  WHERE e.reverses_id IS NOT NULL GROUP BY e.id, p.account_id"
        f") r WHERE r.total <> 0 GROUP BY r.id LIMIT {EXAMPLES}"
    )
    check.problems += [f"reversal {pk} does not mirror its original" for (pk,) in rows]
    check.checked = Entry.objects.count()
    return check


CHECKS: list[Callable[[], Check]] = [_balanced, _kept_balances, _never_negative, _untouched, _idempotent]


def ledger_verify() -> list[Check]:
    """Run every check (read-only) and return them, failed ones with up to ten offenders each."""
    return [check() for check in CHECKS]
