"""Property tests: any sequence of posts, bulk posts, replays and reversals keeps every invariant."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from betang.ledger import selectors
from betang.ledger.models import Entry
from betang.ledger.services import EntrySpec, InsufficientFunds, debit_credit, entry_reverse, journal_post_many
from betang.ledger.verify import ledger_verify
from tests.conftest import NOW
from tests.ledger.conftest import fund, open_books, post

pytestmark = pytest.mark.django_db

WALLETS = 3
amounts = st.integers(min_value=1, max_value=500_000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("fund"), amounts),
        st.tuples(st.just("credit"), st.integers(0, WALLETS - 1), amounts),
        st.tuples(st.just("pay"), st.integers(0, WALLETS - 1), amounts),
        st.tuples(st.just("bulk"), amounts),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
        st.tuples(st.just("replay"), st.integers(0, 50)),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_any_sequence_keeps_the_invariants_and_the_balances_a_model_expects(db, ops):
    with transaction.atomic():
        books = open_books(WALLETS)
        budget, wallets, payable = books.budget.pk, [w.pk for w in books.wallets], books.payable.pk
        model = {budget: 0, payable: 0, **dict.fromkeys(wallets, 0)}
        done: list[tuple[str, list, dict]] = []  # key, legs, the balance moves it made
        reversed_ = set()

        def apply(moves: dict[int, int]) -> bool:
            if any(model[a] + d < 0 for a, d in moves.items() if a != payable):
                return False
            for a, d in moves.items():
                model[a] += d
            return True

        for n, op in enumerate(ops):
            key = f"op-{n}"
            if op[0] == "fund":
                fund(books, op[1], key=key)
                model[budget] += op[1]
            elif op[0] in ("credit", "pay"):
                source, target = (budget, wallets[op[1]]) if op[0] == "credit" else (wallets[op[1]], payable)
                moves = {source: -op[2], target: op[2]}
                legs = debit_credit(op[2], source=source, target=target)
                if apply(moves):
                    post(key, legs)
                    done.append((key, legs, moves))
                else:
                    with pytest.raises(InsufficientFunds):
                        post(key, legs)
            elif op[0] == "bulk":
                moves = {budget: -op[1] * WALLETS, **dict.fromkeys(wallets, op[1])}
                specs = [EntrySpec(f"{key}:{w}", "bulk", debit_credit(op[1], source=budget, target=w)) for w in wallets]
                if apply(moves):
                    result = journal_post_many(entries=specs, occurred_at=NOW, recorded_at=NOW)
                    assert result.created == WALLETS
                else:
                    with pytest.raises(InsufficientFunds):
                        journal_post_many(entries=specs, occurred_at=NOW, recorded_at=NOW)
            elif op[0] == "replay" and done:
                old_key, legs, _ = done[op[1] % len(done)]
                assert not post(old_key, legs).created
            elif op[0] == "reverse" and done:
                old_key, _, moves = done[op[1] % len(done)]
                if old_key in reversed_:
                    continue
                original = Entry.objects.get(idempotency_key=old_key).pk
                if apply({a: -d for a, d in moves.items()}):
                    entry_reverse(entry_id=original, key=f"void-{old_key}", occurred_at=NOW, recorded_at=NOW)
                    reversed_.add(old_key)
                else:
                    with pytest.raises(InsufficientFunds):
                        entry_reverse(entry_id=original, key=f"void-{old_key}", occurred_at=NOW, recorded_at=NOW)

        assert {a: selectors.account_balance(a) for a in model} == model
        assert [c.number for c in ledger_verify() if not c.ok] == []
        transaction.set_rollback(True)
