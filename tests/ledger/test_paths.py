"""Every way of posting keeps the same books: the same random requests sent one by one
(`journal_post`, and on SQLite its steps alone), in a batch (`journal_post_many`) and from a SELECT
(`journal_post_query`), each into a book of its own, leave the same entries, postings, balances and
refusals, and request hashes that Python computes alike."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from unittest import mock
from uuid import UUID

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from betang.ledger import selectors
from betang.ledger.backends import sqlite
from betang.ledger.models import Account, Entry
from betang.ledger.services import (
    BulkPosted,
    EntrySpec,
    IdempotencyConflict,
    LedgerError,
    Leg,
    LegsQuery,
    account_open,
    entry_reverse,
    journal_post,
    journal_post_many,
    journal_post_query,
)
from betang.ledger.services.rules import request_hash
from betang.ledger.verify import ledger_verify
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

KEYS = [f"e{n}" for n in range(6)]  # few keys: they come back, with the same request or another
VOIDS = [f"v{n}" for n in range(3)]
NOWHERE = UUID(int=0)  # the entry "reversed" while a book holds none

# An account's terms: normal side, and whether it may go negative (else its balance is kept, ≥ 0).
terms = st.tuples(st.sampled_from([Account.Side.DEBIT, Account.Side.CREDIT]), st.booleans())
# A move of `amount` from one account to another (debit the first, credit the second): entries of
# one to three moves have two to six legs, an account sometimes on both sides.
sources = st.one_of(st.just(0), st.integers(0, 4))  # money comes from the bank more often than not
moves = st.lists(st.tuples(sources, st.integers(0, 4), st.integers(1, 1_000)), min_size=1, max_size=3)
requests = st.lists(st.tuples(st.sampled_from(KEYS), moves), min_size=1, max_size=4, unique_by=lambda r: r[0])
rounds = st.lists(
    st.one_of(
        st.tuples(
            st.just("post"),
            st.sampled_from(["aid.cycle.credit", "fund.repayment"]),
            st.sampled_from(["", "siklus é"]),
            requests,
        ),
        st.tuples(st.just("again"), st.integers(0, 20), requests),  # an earlier round, with more entries
        st.tuples(st.just("reverse"), st.integers(0, 20), st.sampled_from(VOIDS)),  # the nth entry posted
    ),
    min_size=1,
    max_size=8,
)


@dataclass
class Book:
    """One way of posting, and the accounts and entries it posted (keys prefixed by the way)."""

    way: str
    accounts: list[int] = field(default_factory=list)

    def open(self, accounts: list[tuple[str, bool]]) -> None:
        for n, (side, allow_negative) in enumerate(accounts):
            key = f"{self.way}/account/{n}"
            opened = account_open(
                key=key,
                name=key,
                kind=Account.Kind.SUSPENSE,
                normal_side=side,
                allow_negative=allow_negative,
                occurred_at=NOW,
            )
            self.accounts.append(opened.pk)

    def legs(self, entry_moves: list[tuple[int, int, int]]) -> list[Leg]:
        legs = []
        for source, target, amount in entry_moves:
            legs += [Leg(self.accounts[source], amount), Leg(self.accounts[target], -amount)]
        return legs

    def way_in(self):
        """On SQLite, the steps alone (read, check, write) instead of the INSERT that checks itself."""
        return mock.patch.object(sqlite, "post_one", sqlite.post_in_steps) if self.way == "steps" else nullcontext()

    def post(self, kind: str, memo: str, entries: list[tuple[str, list]]) -> tuple:
        """The round's entries, all or nothing: ("ok", created, replayed) or ("refused", the error)."""
        specs = [EntrySpec(f"{self.way}/{key}", kind, self.legs(entry_moves), memo) for key, entry_moves in entries]
        try:
            with self.way_in():
                posted = _BY_WAY[self.way](specs)
        except LedgerError as refused:
            return ("refused", type(refused).__name__)
        return ("ok", posted.created, posted.replayed)

    def reverse(self, target: str | None, key: str) -> tuple:
        """The reversal of the entry posted under `target`: ("ok", created) or ("refused", the error)."""
        entry_id = Entry.objects.filter(idempotency_key=f"{self.way}/{target}").values_list("id", flat=True).first()
        try:
            with self.way_in():
                posted = entry_reverse(
                    entry_id=entry_id or NOWHERE, key=f"{self.way}/{key}", occurred_at=NOW, recorded_at=NOW
                )
        except LedgerError as refused:
            return ("refused", type(refused).__name__)
        return ("ok", posted.created)

    def books(self) -> dict:
        """What must be alike in every way's book: entries by key, balances by account, and that
        every request hash is the one Python computes (the query post's are made in SQL)."""
        index = {pk: n for n, pk in enumerate(self.accounts)}
        entries = {}
        for entry in Entry.objects.filter(idempotency_key__startswith=f"{self.way}/").select_related("reverses"):
            pairs = list(entry.postings.values_list("account_id", "amount"))
            assert entry.request_hash == request_hash(entry.kind, pairs, entry.memo, entry.reverses_id)
            entries[entry.idempotency_key.split("/", 1)[1]] = (
                entry.kind,
                entry.memo,
                entry.reverses.idempotency_key.split("/", 1)[1] if entry.reverses else None,
                sorted((index[account], amount) for account, amount in pairs),
            )
        kept = dict(Account.objects.filter(pk__in=self.accounts).values_list("pk", "balance"))
        balances = [(selectors.account_balance(pk), kept[pk]) for pk in self.accounts]
        return {"entries": entries, "balances": balances}


def _posted(book: Book, n: int) -> str | None:
    """The key of the nth entry (by key, cyclically) a book holds, if it holds any."""
    keys = sorted(
        Entry.objects.filter(idempotency_key__startswith=f"{book.way}/").values_list("idempotency_key", flat=True)
    )
    return keys[n % len(keys)].split("/", 1)[1] if keys else None


def _one_by_one(specs: list[EntrySpec]):
    """journal_post for each spec, all of them undone if one is refused (a batch's all or nothing);
    a conflict is the refusal a batch gives first, whatever else a later entry met."""
    errors, posted = [], []
    with transaction.atomic():
        for spec in specs:
            try:
                posted.append(
                    journal_post(
                        key=spec.key, kind=spec.kind, legs=spec.legs, memo=spec.memo, occurred_at=NOW, recorded_at=NOW
                    )
                )
            except LedgerError as refused:
                errors.append(refused)
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise next((e for e in errors if isinstance(e, IdempotencyConflict)), errors[0])
    return BulkPosted(created=sum(p.created for p in posted), replayed=sum(not p.created for p in posted))


def _many(specs: list[EntrySpec]):
    return journal_post_many(entries=specs, occurred_at=NOW, recorded_at=NOW)


def _query(specs: list[EntrySpec]):
    rows = [(spec.key, leg.account_id, leg.amount) for spec in specs for leg in spec.legs]
    legs = LegsQuery(" UNION ALL ".join(["SELECT %s, %s, %s"] * len(rows)), [value for row in rows for value in row])
    return journal_post_query(legs=legs, kind=specs[0].kind, memo=specs[0].memo, occurred_at=NOW, recorded_at=NOW)


_BY_WAY = {"one": _one_by_one, "steps": _one_by_one, "many": _many, "query": _query}


def _one_way(entries: list[tuple[str, list]], accounts: list[tuple[str, bool]]) -> list[tuple[str, list]]:
    """The round's entries that move each limited account one way only (the first sets it): one by
    one, a balance is checked after each entry; in a batch, once after all of them — the same
    verdict only when no limited balance both rises and falls within the round."""
    way: dict[int, bool] = {}
    kept = []
    for key, entry_moves in entries:
        rises = _rises(entry_moves, accounts)
        if rises is not None and all(way.get(account, rising) == rising for account, rising in rises.items()):
            way |= rises
            kept.append((key, entry_moves))
    return kept


def _rises(entry_moves: list[tuple[int, int, int]], accounts: list[tuple[str, bool]]) -> dict[int, bool] | None:
    """Whether each limited account an entry moves rises; None when one has legs both ways (`ledger
    verify` sums a limited account's postings one by one, and would see such an entry dip below zero)."""
    legs: dict[int, set[bool]] = {}
    for source, target, amount in entry_moves:
        for account, debit in ((source, amount), (target, -amount)):
            side, allow_negative = accounts[account]
            if not allow_negative:
                legs.setdefault(account, set()).add((debit > 0) == (side == Account.Side.DEBIT))
    if any(len(ways) > 1 for ways in legs.values()):
        return None
    return {account: ways.pop() for account, ways in legs.items()}


def _script(plan: list[tuple], accounts: list[tuple[str, bool]]) -> list[tuple]:
    """The rounds as sent to every book: kind, memo and entries, or a reversal."""
    script: list[tuple] = []
    for step in plan:
        if step[0] == "reverse":
            script.append(step)
            continue
        if step[0] == "again":
            earlier = [s for s in script if s[0] == "post"]
            if not earlier:
                continue
            _, kind, memo, entries = earlier[step[1] % len(earlier)]
            taken = {key for key, _moves in entries}
            step = ("post", kind, memo, entries + [r for r in step[2] if r[0] not in taken])
        _, kind, memo, entries = step
        if entries := _one_way(entries, accounts):
            script.append(("post", kind, memo, entries))
    return script


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(accounts=st.lists(terms, min_size=4, max_size=4), plan=rounds)
def test_every_way_of_posting_keeps_the_same_books(db, accounts, plan):
    accounts = [(Account.Side.DEBIT, True), *accounts]  # a source of money: a bank, never limited
    ways = ["one", "many", "query"] + (["steps"] if connection.vendor == "sqlite" else [])
    script = _script(plan, accounts)
    with transaction.atomic():
        books = [Book(way) for way in ways]
        for book in books:
            book.open(accounts)
        for step in script:
            if step[0] == "post":
                answers = {book.way: book.post(*step[1:]) for book in books}
            else:
                target = _posted(books[0], step[1])
                answers = {book.way: book.reverse(target, step[2]) for book in books}
            assert len(set(answers.values())) == 1, (step, answers)
        first = books[0].books()
        for book in books[1:]:
            assert book.books() == first, book.way
        assert [c.number for c in ledger_verify() if not c.ok] == []
        transaction.set_rollback(True)
