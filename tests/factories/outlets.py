"""factory_boy factories for outlets: an item of the outlet's cooperative's catalogue (`item_create`),
with `stock=` units received at the outlet (`stock_receive`, delivery note `SJ-001`)."""

import factory

from betang.outlets.models import Item
from betang.outlets.services.stock import item_create, stock_receive
from tests.conftest import NOW


class ItemFactory(factory.Factory):
    class Meta:
        model = Item

    outlet = factory.SubFactory("tests.factories.registry.OutletFactory")
    code = factory.Sequence(lambda n: f"899{n:05d}")
    name = "Beras Medium 5 kg"
    unit = "karung"
    category = "BERAS"
    price = 70_000
    actor = None
    occurred_at = NOW
    stock = 0

    @classmethod
    def _create(cls, model_class, *args, stock=0, **kwargs):
        item = item_create(**kwargs)
        if stock:
            stock_receive(
                outlet=kwargs["outlet"], item=item, quantity=stock, reference="SJ-001", actor=kwargs["actor"],
                occurred_at=kwargs["occurred_at"], recorded_at=kwargs["occurred_at"],
            )  # fmt: skip
        return item
