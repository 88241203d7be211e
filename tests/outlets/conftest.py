"""An outlet of the aid world's cooperative A, with rice, eggs, soap and cigarettes in stock, a cashier
and a supervisor (the cooperative's operator) bound to it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from betang.outlets.models import Item
from betang.registry.models import Outlet
from betang.registry.services.staff import cooperative_staff_assign
from tests.aid.conftest import World, build_world
from tests.conftest import NOW
from tests.factories.outlets import ItemFactory
from tests.factories.registry import OutletFactory


@dataclass
class Shop:
    world: World
    outlet: Outlet
    rice: Item  # BERAS, Rp70.000 a 5 kg sack, 10 in stock
    eggs: Item  # TELUR, Rp28.000 a tray of 10, 5 in stock
    soap: Item  # NON_PANGAN, Rp6.000, 20 in stock
    cigarettes: Item  # ROKOK, Rp32.000, 10 in stock (never by card)
    cashier: object
    supervisor: object


def build_shop(make_user, world: World | None = None) -> Shop:
    world = world or build_world(make_user)
    coop = world.coop_a
    outlet = OutletFactory(cooperative=coop, name="Gerai Sembako Sei Pasah")
    admin = make_user(role="ADMINISTRATOR", username="admin.shop")
    cashier = make_user(role="CASHIER", username="kasir")
    supervisor = make_user(role="COOPERATIVE_OPERATOR", username="pengurus")
    for user in (cashier, supervisor):
        cooperative_staff_assign(user=user, cooperative=coop, actor=admin, occurred_at=NOW)
        user.refresh_from_db()

    def item(code, name, unit, category, price, quantity):
        return ItemFactory(
            outlet=outlet, code=code, name=name, unit=unit, category=category, price=price, stock=quantity,
            actor=supervisor,
        )  # fmt: skip

    return Shop(
        world,
        outlet,
        item("8991001", "Beras Medium 5 kg", "karung", "BERAS", 70_000, 10),
        item("8991002", "Telur Ayam 10 butir", "rak", "TELUR", 28_000, 5),
        item("8991003", "Sabun Cuci", "pcs", "NON_PANGAN", 6_000, 20),
        item("8991004", "Rokok Kretek", "bungkus", "ROKOK", 32_000, 10),
        cashier,
        supervisor,
    )


@pytest.fixture
def shop(db, make_user) -> Shop:
    return build_shop(make_user)
