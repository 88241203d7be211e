"""The outlet's goods: items (code, unit, goods category, one price at every outlet of the
cooperative), stock received and adjusted with a reason, and the one writer of stock rows and their
moves (a sale's and a void's too)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.aid.contracts import GoodsCategory
from betang.core.audit import audit_record
from betang.core.bulk import insert_many
from betang.core.errors import DomainError
from betang.core.ids import new_id
from betang.outlets.models import Item, Stock, StockMove
from betang.registry.models import Outlet


class OutletError(DomainError):
    code = "outlet.refused"


class OutletClosed(OutletError):
    code = "outlet.closed"
    message = gettext_lazy("This outlet is not active.")


class ItemInvalid(OutletError):
    code = "outlet.item_invalid"
    message = gettext_lazy("The item is not valid.")


class ItemUnknown(OutletError):
    code = "outlet.item_unknown"
    http_status = 404
    message = gettext_lazy("This item is not sold here.")


class BadQuantity(OutletError):
    code = "outlet.bad_quantity"
    message = gettext_lazy("A quantity must be a whole number above zero.")


class OutOfStock(OutletError):
    code = "outlet.out_of_stock"
    http_status = 409
    message = gettext_lazy("Not enough in stock.")


def _now_fields(occurred_at: datetime) -> dict[str, datetime]:
    return {"created_at": occurred_at, "updated_at": occurred_at}


def item_create(
    *,
    outlet: Outlet,
    code: str,
    name: str,
    unit: str,
    category: str,
    price: int,
    actor: Any,
    occurred_at: datetime,
) -> Item:
    """A new item in the outlet's cooperative's catalogue, with an empty stock row at this outlet."""
    code, name, unit = code.strip(), name.strip(), unit.strip()
    if not (code and name and unit) or category not in GoodsCategory.values:
        raise ItemInvalid(_("An item needs a code, a name, a unit and a goods category."))
    if type(price) is not int or price <= 0:
        raise ItemInvalid(_("A price is whole rupiah above zero."))
    with transaction.atomic():
        if Item.objects.filter(cooperative_id=outlet.cooperative_id, code=code).exists():
            raise ItemInvalid(_("Another item already has the code %(code)s.") % {"code": code})
        item = Item.objects.create(
            cooperative_id=outlet.cooperative_id,
            region_code=outlet.region_code,
            code=code,
            name=name,
            unit=unit,
            category=category,
            price=price,
            **_now_fields(occurred_at),
        )
        Stock.objects.create(outlet=outlet, item=item)
        audit_record(
            actor=actor,
            event="outlets.item.created",
            occurred_at=occurred_at,
            obj=item,
            region_code=item.region_code,
            changes={"name": [None, name], "price": [None, price], "category": [None, category]},
        )
    return item


def item_price_set(*, item: Item, price: int, actor: Any, occurred_at: datetime) -> Item:
    """A new price from now on; sales already made keep the price they were sold at."""
    if type(price) is not int or price <= 0:
        raise ItemInvalid(_("A price is whole rupiah above zero."))
    with transaction.atomic():
        item = Item.objects.select_for_update().get(pk=item.pk)
        before, item.price, item.updated_at = item.price, price, occurred_at
        item.save(update_fields=["price", "updated_at"])
        audit_record(
            actor=actor,
            event="outlets.item.price_set",
            occurred_at=occurred_at,
            obj=item,
            region_code=item.region_code,
            changes={"price": [before, price]},
        )
    return item


def _move(
    *,
    outlet: Outlet,
    item: Item,
    quantity: int,
    kind: str,
    reference: str,
    actor: Any,
    occurred_at: datetime,
    recorded_at: datetime,
) -> StockMove:
    if type(quantity) is not int or quantity == 0:
        raise BadQuantity()
    if item.cooperative_id != outlet.cooperative_id:
        raise ItemUnknown()
    with transaction.atomic():
        stock, _created = Stock.objects.select_for_update().get_or_create(outlet=outlet, item=item)
        before = stock.quantity
        if before + quantity < 0:
            raise OutOfStock(
                _("%(item)s: %(have)s in stock, cannot take %(take)s.")
                % {"item": item.name, "have": before, "take": -quantity},
                details={"item": str(item.pk), "in_stock": before},
            )
        (row,) = stock_moves(
            outlet,
            {item.pk: (stock.pk, before)},
            [(item.pk, quantity)],
            kind,
            reference,
            None,
            actor,
            occurred_at,
            recorded_at,
        )
        move = StockMove(**{StockMove._meta.get_field(f).attname: v for f, v in zip(_MOVE_FIELDS, row, strict=True)})
        move._state.adding, move._state.db = False, connection.alias
        audit_record(
            actor=actor,
            event=f"outlets.stock.{kind.lower()}",
            occurred_at=occurred_at,
            obj=move,
            region_code=outlet.region_code,
            changes={"item": [None, item.name], "quantity": [before, move.after]},
        )
    return move


def stock_receive(
    *,
    outlet: Outlet,
    item: Item,
    quantity: int,
    reference: str,
    actor: Any,
    occurred_at: datetime,
    recorded_at: datetime,
) -> StockMove:
    """Goods delivered to the outlet (reference: the delivery note)."""
    if type(quantity) is not int or quantity <= 0:
        raise BadQuantity()
    return _move(
        outlet=outlet,
        item=item,
        quantity=quantity,
        kind=StockMove.Kind.RECEIVE,
        reference=reference,
        actor=actor,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
    )


def stock_adjust(
    *,
    outlet: Outlet,
    item: Item,
    quantity: int,
    reason: str,
    actor: Any,
    occurred_at: datetime,
    recorded_at: datetime,
) -> StockMove:
    """A counted difference (damaged, lost, found), up or down, with its reason; never below zero."""
    if not reason.strip():
        raise ItemInvalid(_("Say why the stock is adjusted."))
    return _move(
        outlet=outlet,
        item=item,
        quantity=quantity,
        kind=StockMove.Kind.ADJUST,
        reference=reason.strip(),
        actor=actor,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
    )


def check_stock(wanted: dict[Any, int], have: dict[Any, int], names: dict[Any, str]) -> None:
    short = [
        {"item": str(i), "name": names[i], "in_stock": have[i], "wanted": n} for i, n in wanted.items() if have[i] < n
    ]
    if short:
        listed = ", ".join(f"{s['name']} ({s['in_stock']})" for s in short)
        raise OutOfStock(_("Not enough in stock: %(items)s.") % {"items": listed}, details={"short": short})


def stock_set(quantities: dict[int, int]) -> None:
    """Set the stock rows' quantities (row id → quantity; rows this transaction holds locked)."""
    cases = " ".join(f"WHEN %(r{n})s THEN %(q{n})s" for n in range(len(quantities)))
    marks = ", ".join(f"%(r{n})s" for n in range(len(quantities)))
    params: dict[str, Any] = {}
    for n, (row, quantity) in enumerate(quantities.items()):
        params[f"r{n}"], params[f"q{n}"] = row, quantity
    table = connection.ops.quote_name(Stock._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET quantity = CASE id {cases} END WHERE id IN ({marks})", params)  # noqa: S608 - a table name and placeholders


_MOVE_FIELDS = [
    "id",
    "outlet",
    "item",
    "kind",
    "quantity",
    "after",
    "reference",
    "sale",
    "actor",
    "occurred_at",
    "recorded_at",
]


def stock_moves(
    outlet: Outlet,
    held: dict[Any, tuple[int, int]],
    changes: list[tuple[Any, int]],
    kind: str,
    reference: str,
    sale_id: Any,
    actor: Any,
    occurred_at: datetime,
    recorded_at: datetime,
) -> list[tuple]:
    """The one writer of stock: apply the changes (item id, signed quantity) to the stock rows this
    transaction holds locked (`held`: item id → (row id, quantity now)) and append a move for each,
    in two plain statements whatever the changes (the sale's hot path goes through here). Returns
    the moves' rows, in the order of `_MOVE_FIELDS`."""
    left = {item_id: quantity for item_id, (_row, quantity) in held.items()}
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    moves = []
    for item_id, quantity in changes:
        left[item_id] += quantity
        row = (new_id(), outlet.pk, item_id, str(kind), quantity, left[item_id], reference[:200], sale_id, actor_id)
        moves.append((*row, occurred_at, recorded_at))
    stock_set({held[item_id][0]: quantity for item_id, quantity in left.items()})
    insert_many(StockMove, _MOVE_FIELDS, moves)
    return moves
