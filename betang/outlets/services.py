"""Writes of the point of sale: items, stock received and adjusted, sales paid by aid card and/or cash, voids.

A sale is one transaction: it locks the stock rows it sells from (in item order), takes the card's
part through aid's card payment service (which posts to the ledger), then writes the sale, its lines
and the stock moves. A refused card payment leaves no sale and no stock move behind, but a wrong PIN
it counted is kept. The same idempotency key sent again returns the first sale.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.aid.contracts import BasketLine, GoodsCategory
from betang.aid.services import payments
from betang.core import clock
from betang.core.audit import audit_record
from betang.core.errors import DomainError
from betang.core.ids import as_uuid, new_id
from betang.core.money import format_rupiah
from betang.outlets.models import DayClose, Item, Sale, SaleLine, Stock, StockMove
from betang.registry.models import Outlet

MAX_LINES = 100


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


class EmptyBasket(OutletError):
    code = "outlet.empty_basket"
    message = gettext_lazy("The basket is empty.")


class OutOfStock(OutletError):
    code = "outlet.out_of_stock"
    http_status = 409
    message = gettext_lazy("Not enough in stock.")


class NothingForCard(OutletError):
    code = "outlet.nothing_for_card"
    message = gettext_lazy("Nothing in this basket can be paid with this card.")


class CardAmountTooHigh(OutletError):
    code = "outlet.card_amount_too_high"
    message = gettext_lazy("The card can pay at most the basket's eligible items.")


class CashShort(OutletError):
    code = "outlet.cash_short"
    message = gettext_lazy("The cash received is less than the amount to pay in cash.")


class SaleKeyReused(OutletError):
    code = "outlet.key_reused"
    http_status = 409
    message = gettext_lazy("This sale key was already used for another sale.")


class DayClosed(OutletError):
    code = "outlet.day_closed"
    http_status = 409
    message = gettext_lazy("This cashier's day at this outlet is closed.")


class VoidRefused(OutletError):
    code = "outlet.void_refused"
    message = gettext_lazy("This sale cannot be voided.")


@dataclass(frozen=True)
class LineIn:
    item_id: Any
    quantity: int


@dataclass(frozen=True)
class SaleResult:
    sale: Sale
    replayed: bool = False


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
        (move,) = _stock_moves(
            outlet, {item.pk: stock}, [(item, quantity)], kind, reference, None, actor, occurred_at, recorded_at
        )
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


def _request_hash(outlet_id: Any, lines: Sequence[LineIn], card_number: str, card_amount: int | None) -> str:
    body = {
        "outlet": str(outlet_id),
        "lines": [[str(line.item_id), line.quantity] for line in lines],
        "card": card_number,
        "card_amount": card_amount,
    }
    return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()


def _replay(key: str, request_hash: str) -> SaleResult | None:
    sale = Sale.objects.filter(idempotency_key=key).first()
    if sale is None:
        return None
    if sale.request_hash != request_hash:
        raise SaleKeyReused()
    return SaleResult(sale, replayed=True)


def _priced(outlet: Outlet, lines: Sequence[LineIn]) -> tuple[list[tuple[Item, int]], dict[Any, Stock]]:
    """Each line's item (this cooperative's, on sale) with its quantity, and the stock rows of the
    basket, locked in item order (item id → row)."""
    if not lines:
        raise EmptyBasket()
    if len(lines) > MAX_LINES:
        raise OutletError(_("A sale has at most %(n)s lines.") % {"n": MAX_LINES})
    if any(type(line.quantity) is not int or line.quantity <= 0 for line in lines):
        raise BadQuantity()
    try:
        ids = [as_uuid(line.item_id) for line in lines]
    except ValueError:
        raise ItemUnknown() from None
    items = Item.objects.filter(pk__in=ids, cooperative_id=outlet.cooperative_id, is_active=True).in_bulk()
    if missing := [str(i) for i in ids if i not in items]:
        raise ItemUnknown(details={"items": missing})
    wanted: dict[Any, int] = {}
    for item_id, line in zip(ids, lines, strict=True):
        wanted[item_id] = wanted.get(item_id, 0) + line.quantity
    held = {
        s.item_id: s
        for s in Stock.objects.select_for_update().filter(outlet=outlet, item_id__in=sorted(wanted)).order_by("item_id")
    }
    have = {i: held[i].quantity if i in held else 0 for i in wanted}
    short = [
        {"item": str(i), "name": items[i].name, "in_stock": have[i], "wanted": n}
        for i, n in wanted.items()
        if have[i] < n
    ]
    if short:
        names = ", ".join(f"{s['name']} ({s['in_stock']})" for s in short)
        raise OutOfStock(_("Not enough in stock: %(items)s.") % {"items": names}, details={"short": short})
    return [(items[i], line.quantity) for i, line in zip(ids, lines, strict=True)], held


def _card_share(priced: list[tuple[Item, int]], categories: frozenset[str], card_amount: int | None) -> list[int]:
    """How much of each line the card pays: the eligible lines in full, or up to card_amount (the
    lines in their order, the last one it reaches in part)."""
    eligible = [item.price * qty if item.category in categories else 0 for item, qty in priced]
    if not any(eligible):
        raise NothingForCard()
    if card_amount is None:
        return eligible
    if type(card_amount) is not int or card_amount <= 0:
        raise CardAmountTooHigh(_("The card amount is whole rupiah above zero."))
    if card_amount > sum(eligible):
        raise CardAmountTooHigh(
            _("The card can pay at most %(amount)s of this basket.") % {"amount": format_rupiah(sum(eligible))},
            details={"eligible": sum(eligible)},
        )
    left, share = card_amount, []
    for amount in eligible:
        take = min(amount, left)
        share.append(take)
        left -= take
    return share


def _affordable(outlet: Outlet, card_number: str, priced: list[tuple[Item, int]], share: list[int]) -> list[int]:
    """The card's share of each line cut to what its balances pay now. When they pay nothing the
    share is left whole: the card payment then checks the PIN before it says the balance is short,
    so an empty card tells nobody anything without its PIN."""
    wanted = [
        (index, BasketLine(item.category, part))
        for index, ((item, _qty), part) in enumerate(zip(priced, share, strict=True))
        if part
    ]
    can = payments.card_affordable(
        card_number=card_number, cooperative_id=outlet.cooperative_id, basket=[line for _i, line in wanted]
    )
    if not any(can):
        return share
    cut = [0] * len(share)
    for (index, _line), amount in zip(wanted, can, strict=True):
        cut[index] = amount
    return cut


def _sale_number(occurred_at: datetime) -> str:
    return f"S{timezone.localtime(occurred_at):%y%m%d}-{secrets.token_hex(4).upper()}"


def sale_complete(
    *,
    outlet: Outlet,
    cashier: Any,
    lines: Sequence[LineIn],
    key: str,
    occurred_at: datetime,
    recorded_at: datetime,
    card_number: str = "",
    pin: str = "",
    card_amount: int | None = None,
    cash_tendered: int | None = None,
) -> SaleResult:
    """Sell a basket: the card (when given) pays its eligible lines, or card_amount of them, and cash
    the rest (cash_tendered None: the exact amount). Refused with a stable code, leaving nothing
    behind but a counted wrong PIN; the same key again returns the first sale."""
    card_number = "".join(card_number.split())
    request_hash = _request_hash(outlet.pk, lines, card_number, card_amount)
    refused: payments.PaymentError | None = None
    try:
        with transaction.atomic():
            try:
                priced, held = _priced(outlet, lines)
            except OutletError:  # a retry of a sale that took the last of an item: its first answer
                if (earlier := _replay(key, request_hash)) is not None:
                    return earlier
                raise
            if (earlier := _replay(key, request_hash)) is not None:  # also one made while this waited for the stock
                return earlier
            if not outlet.is_active:
                raise OutletClosed()
            if _closed(outlet, cashier, occurred_at):
                raise DayClosed()
            amounts = [item.price * qty for item, qty in priced]
            total = sum(amounts)
            share = [0] * len(priced)
            if card_number:
                categories = payments.card_categories(card_number=card_number, cooperative_id=outlet.cooperative_id)
                # no categories: an unknown or unenrolled card; card_pay, asked for all, names the refusal
                share = _card_share(priced, categories, card_amount) if categories else amounts
                if categories and card_amount is None:  # blank: the card pays what it can, cash the rest
                    share = _affordable(outlet, card_number, priced, share)
            cash_amount = total - sum(share)
            tendered = cash_amount if cash_tendered is None else cash_tendered
            if type(tendered) is not int or tendered < cash_amount:
                raise CashShort(
                    _("The cash received, %(got)s, is less than the %(need)s to pay in cash.")
                    % {
                        "got": format_rupiah(tendered) if type(tendered) is int else "—",
                        "need": format_rupiah(cash_amount),
                    },
                    details={"cash_amount": cash_amount},
                )
            paid = None
            if card_number:
                basket = [
                    BasketLine(item.category, part, f"{qty} {item.unit} {item.name}"[:200])
                    for (item, qty), part in zip(priced, share, strict=True)
                    if part
                ]
                try:
                    paid = payments.card_pay(
                        card_number=card_number,
                        pin=pin,
                        cooperative_id=outlet.cooperative_id,
                        outlet_id=outlet.pk,
                        basket=basket,
                        key=f"sale:{key}",
                        occurred_at=occurred_at,
                        recorded_at=recorded_at,
                        operator=cashier,
                    )
                except payments.PaymentError as exc:
                    refused = exc  # nothing was sold; a wrong PIN's count commits with this transaction
                if paid is not None and paid.replayed and (earlier := _replay(key, request_hash)) is not None:
                    return earlier  # this sale's card payment and the sale were made meanwhile
                if paid is not None and paid.amount != sum(share):  # card_pay takes all it is asked, or nothing
                    raise OutletError(_("The card payment does not match the sale; nothing was sold."))
            if refused is None:
                sale = _record(
                    outlet,
                    cashier,
                    priced,
                    held,
                    share,
                    key,
                    request_hash,
                    paid,
                    card_number,
                    tendered,
                    occurred_at,
                    recorded_at,
                )
    except IntegrityError:
        if (earlier := _replay(key, request_hash)) is not None:
            return earlier
        raise
    if refused is not None:
        raise refused
    return SaleResult(sale)


@dataclass(frozen=True)
class SaleQuote:
    """What a sale would be, for the cashier to read out before the beneficiary confirms: the total,
    the card's part (per line and per pocket, by the pockets' names) and the cash."""

    total: int
    card: int
    cash: int
    lines: list[tuple[str, int, int, int]]  # item name, quantity, amount, paid by card
    pockets: dict[str, int]
    balances: dict[str, int]


def sale_quote(
    *, outlet: Outlet, lines: Sequence[LineIn], card_number: str, pin: str, card_amount: int | None = None
) -> SaleQuote:
    """Price a basket and split it between the card and cash as sale_complete would, once the card's
    PIN is right (a wrong one counts, as at the till). Nothing is sold, paid or held."""
    card_number = "".join(card_number.split())
    with transaction.atomic():
        priced, _held = _priced(outlet, lines)
    amounts = [item.price * qty for item, qty in priced]
    categories = payments.card_categories(card_number=card_number, cooperative_id=outlet.cooperative_id)
    share = _card_share(priced, categories, card_amount) if categories else amounts
    wanted = [(i, BasketLine(priced[i][0].category, part)) for i, part in enumerate(share) if part]
    quote = payments.card_quote(
        card_number=card_number,
        pin=pin,
        cooperative_id=outlet.cooperative_id,
        basket=[line for _i, line in wanted],
    )
    card = [0] * len(priced)
    for (index, _line), amount in zip(wanted, quote.lines, strict=True):
        card[index] = amount
    if card_amount is not None and sum(card) < card_amount:
        raise payments.InsufficientBalance(details={"pockets": quote.balances})
    return SaleQuote(
        total=sum(amounts),
        card=sum(card),
        cash=sum(amounts) - sum(card),
        lines=[(item.name, qty, amount, part) for (item, qty), amount, part in zip(priced, amounts, card, strict=True)],
        pockets=quote.pockets,
        balances=quote.balances,
    )


def _record(
    outlet: Outlet,
    cashier: Any,
    priced: list[tuple[Item, int]],
    held: dict[Any, Stock],
    share: list[int],
    key: str,
    request_hash: str,
    paid: payments.PaymentResult | None,
    card_number: str,
    tendered: int,
    occurred_at: datetime,
    recorded_at: datetime,
) -> Sale:
    total, card_amount = sum(item.price * qty for item, qty in priced), sum(share)
    sale = Sale.objects.create(
        idempotency_key=key,
        request_hash=request_hash,
        number=_sale_number(occurred_at),
        outlet=outlet,
        cooperative_id=outlet.cooperative_id,
        region_code=outlet.region_code,
        cashier=cashier,
        total=total,
        card_amount=card_amount,
        cash_amount=total - card_amount,
        cash_tendered=tendered,
        redemption_id=paid.redemption_id if paid else None,
        card_last4=card_number[-4:] if paid else "",
        pockets=paid.pockets if paid else {},
        balances=[{"name": b.name, "balance": b.balance} for b in paid.balances] if paid else [],
        occurred_at=occurred_at,
        recorded_at=recorded_at,
    )
    SaleLine.objects.bulk_create(
        SaleLine(
            sale=sale,
            position=n,
            item=item,
            name=item.name,
            unit=item.unit,
            category=item.category,
            quantity=qty,
            unit_price=item.price,
            amount=item.price * qty,
            card_amount=part,
        )
        for n, ((item, qty), part) in enumerate(zip(priced, share, strict=True), start=1)
    )
    _stock_moves(
        outlet,
        held,
        [(item, -qty) for item, qty in priced],
        StockMove.Kind.SALE,
        sale.number,
        sale,
        cashier,
        occurred_at,
        recorded_at,
    )
    audit_record(
        actor=cashier,
        event="outlets.sale.completed",
        occurred_at=occurred_at,
        obj=sale,
        region_code=sale.region_code,
        changes={"total": [None, total], "card": [None, card_amount], "cash": [None, total - card_amount]},
    )
    return sale


def _stock_moves(
    outlet: Outlet,
    held: dict[Any, Stock],
    changes: list[tuple[Item, int]],
    kind: str,
    reference: str,
    sale: Sale | None,
    actor: Any,
    occurred_at: datetime,
    recorded_at: datetime,
) -> list[StockMove]:
    """The one writer of stock: apply the changes to the stock rows this transaction holds locked
    (item id → row: their quantities are current) in one statement, and append a move for each."""
    moves = []
    for item, quantity in changes:
        stock = held[item.pk]
        stock.quantity += quantity
        moves.append(
            StockMove(
                outlet=outlet,
                item=item,
                kind=kind,
                quantity=quantity,
                after=stock.quantity,
                reference=reference[:200],
                sale=sale,
                actor=actor if getattr(actor, "pk", None) else None,
                occurred_at=occurred_at,
                recorded_at=recorded_at,
            )
        )
    Stock.objects.bulk_update(list(held.values()), ["quantity"])
    return StockMove.objects.bulk_create(moves)


def sale_void(*, sale: Sale, actor: Any, reason: str, occurred_at: datetime, recorded_at: datetime) -> Sale:
    """Undo a sale of today: the card payment is reversed in the ledger, the goods go back to stock,
    the sale stays, marked voided. Voiding again changes nothing."""
    if not reason.strip():
        raise VoidRefused(_("Say why the sale is voided."))
    with transaction.atomic():
        sale = Sale.objects.select_for_update().select_related("outlet").get(pk=sale.pk)
        if sale.status == Sale.Status.VOIDED:
            return sale
        if timezone.localdate(sale.occurred_at) != timezone.localdate(occurred_at):
            raise VoidRefused(_("Only a sale of today can be voided; later corrections are adjustments."))
        if _closed(sale.outlet, sale.cashier_id, sale.occurred_at):
            raise VoidRefused(_("The cashier has closed this day; a correction is a stock adjustment."))
        lines = list(sale.lines.select_related("item").order_by("item_id"))
        held = {
            s.item_id: s
            for s in Stock.objects.select_for_update()
            .filter(outlet=sale.outlet, item_id__in=[line.item_id for line in lines])
            .order_by("item_id")
        }
        if sale.redemption_id:
            payments.card_payment_void(
                redemption_id=sale.redemption_id,
                actor=actor,
                occurred_at=occurred_at,
                recorded_at=recorded_at,
                reason=f"{sale.number}: {reason.strip()}",
            )
        _stock_moves(
            sale.outlet,
            held,
            [(line.item, line.quantity) for line in lines],
            StockMove.Kind.VOID,
            sale.number,
            sale,
            actor,
            occurred_at,
            recorded_at,
        )
        sale.status, sale.voided_by, sale.voided_at = Sale.Status.VOIDED, actor, occurred_at
        sale.void_reason = reason.strip()[:300]
        sale.save(update_fields=["status", "voided_by", "voided_at", "void_reason"])
        audit_record(
            actor=actor,
            event="outlets.sale.voided",
            occurred_at=occurred_at,
            obj=sale,
            region_code=sale.region_code,
            changes={"status": [Sale.Status.PAID, Sale.Status.VOIDED], "reason": [None, sale.void_reason]},
        )
    return sale


def _closed(outlet: Outlet, cashier: Any, occurred_at: datetime) -> bool:
    cashier_id = getattr(cashier, "pk", cashier)
    day = timezone.localdate(occurred_at)
    return DayClose.objects.filter(outlet=outlet, cashier_id=cashier_id, business_date=day).exists()


def day_close(
    *, outlet: Outlet, cashier: Any, cash_counted: int, note: str, actor: Any, occurred_at: datetime
) -> DayClose:
    """Close a cashier's day at the outlet: their paid sales of the local day, split card and cash,
    beside the cash counted in the drawer. Closing again returns the first close."""
    if type(cash_counted) is not int or cash_counted < 0:
        raise OutletError(_("The cash counted is whole rupiah, zero or more."))
    day = timezone.localdate(occurred_at)
    with transaction.atomic():
        existing = DayClose.objects.filter(outlet=outlet, cashier=cashier, business_date=day).first()
        if existing is not None:
            return existing
        start = clock.day_start(day)
        sales = list(
            Sale.objects.select_for_update().filter(
                outlet=outlet, cashier=cashier, occurred_at__gte=start, occurred_at__lt=start + timedelta(days=1)
            )
        )
        paid = [s for s in sales if s.status == Sale.Status.PAID]
        closed = DayClose.objects.create(
            outlet=outlet,
            cashier=cashier,
            business_date=day,
            sales=len(paid),
            voided=len(sales) - len(paid),
            card_total=sum(s.card_amount for s in paid),
            cash_total=sum(s.cash_amount for s in paid),
            cash_counted=cash_counted,
            note=note.strip()[:300],
            closed_by=actor,
            closed_at=occurred_at,
        )
        audit_record(
            actor=actor,
            event="outlets.day.closed",
            occurred_at=occurred_at,
            obj=closed,
            region_code=outlet.region_code,
            changes={
                "sales": [None, closed.sales],
                "cash_expected": [None, closed.cash_total],
                "cash_counted": [None, cash_counted],
            },
        )
    return closed


def new_sale_key() -> str:
    """A key for a sale page to send with its form, so a double submit or a retry sells once."""
    return new_id().hex
