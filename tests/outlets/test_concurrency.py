"""The same sale sent at once from several processes (a till that times out and retries, a double
click): one sale, one card payment, the goods taken from stock once, and every try gets its answer."""

import pytest

from betang.core.forking import at_once
from betang.ledger.models import Entry
from betang.outlets.models import Sale, Stock, StockMove
from betang.outlets.services.sales import LineIn, sale_complete
from tests.aid.conftest import PIN
from tests.conftest import NOW
from tests.outlets.conftest import build_shop


@pytest.fixture
def committed_shop(transactional_db, committed_regions, make_user):
    return build_shop(make_user)


def test_the_same_sale_sent_at_once_from_many_processes_sells_once(committed_shop):
    shop = committed_shop
    outlet_id, cashier_id, soap, eggs = shop.outlet.pk, shop.cashier.pk, shop.soap.pk, shop.eggs.pk
    number = shop.world.card.number

    def same(i):
        from betang.accounts.models import User
        from betang.registry.models import Outlet

        result = sale_complete(
            outlet=Outlet.objects.get(pk=outlet_id),
            cashier=User.objects.get(pk=cashier_id),
            lines=[LineIn(soap, 1), LineIn(eggs, 5)],  # every egg in stock: a second sale would be refused
            key="till-3-0042",
            occurred_at=NOW,
            recorded_at=NOW,
            card_number=number,
            pin=PIN,
        )
        return (str(result.sale.pk), result.replayed)

    outcomes = at_once(same, 6)
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert len({o[0] for o in outcomes}) == 1, outcomes
    assert sorted(o[1] for o in outcomes) == [False] + [True] * 5
    assert Sale.objects.count() == 1
    assert Entry.objects.filter(kind="aid.card.payment").count() == 1
    assert Stock.objects.get(item_id=eggs).quantity == 0
    assert Stock.objects.get(item_id=soap).quantity == 19
    assert StockMove.objects.filter(kind="SALE").count() == 2
