"""Sales at an outlet's till, paid by aid card and/or cash; the quote the till shows first; voids.

A sale is one transaction: it locks the stock rows it sells from (in item order), takes the card's
part through aid's card payment service (which posts to the ledger), then writes the sale, its lines
and the stock moves. A refused card payment leaves no sale and no stock move behind, but a wrong PIN
it counted is kept. The same idempotency key sent again returns the first sale.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.aid.contracts import BasketLine
from betang.aid.services import payments
from betang.core.audit import audit_append, audit_record
from betang.core.bulk import insert_many, insert_one
from betang.core.idempotency import is_replay, request_hash
from betang.core.ids import as_uuid, new_id, uuid_param
from betang.core.money import format_rupiah
from betang.outlets.models import DayClose, Item, Sale, SaleLine, Stock, StockMove
from betang.outlets.services.days import day_closed
from betang.outlets.services.stock import (
    BadQuantity,
    ItemUnknown,
    OutletClosed,
    OutletError,
    check_stock,
    stock_moves,
)
from betang.registry.models import Outlet

MAX_LINES = 100


class EmptyBasket(OutletError):
    code = "outlet.empty_basket"
    message = gettext_lazy("The basket is empty.")


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


def _request_hash(outlet_id: Any, lines: Sequence[LineIn], card_number: str, card_amount: int | None) -> str:
    return request_hash(
        {
            "outlet": str(outlet_id),
            "lines": [[str(line.item_id), line.quantity] for line in lines],
            "card": card_number,
            "card_amount": card_amount,
        }
    )


def _replay(key: str, asked_hash: str) -> SaleResult | None:
    sale = Sale.objects.filter(idempotency_key=key).first()
    if sale is None or not is_replay(sale.request_hash, asked_hash, SaleKeyReused):
        return None
    return SaleResult(sale, replayed=True)


def _checked(lines: Sequence[LineIn]) -> list[Any]:
    """The basket's item ids, once its shape is right (lines, quantities, ids)."""
    if not lines:
        raise EmptyBasket()
    if len(lines) > MAX_LINES:
        raise OutletError(_("A sale has at most %(n)s lines.") % {"n": MAX_LINES})
    if any(type(line.quantity) is not int or line.quantity <= 0 for line in lines):
        raise BadQuantity()
    try:
        return [as_uuid(line.item_id) for line in lines]
    except ValueError:
        raise ItemUnknown() from None


def _priced(outlet: Outlet, lines: Sequence[LineIn]) -> tuple[list[tuple[Item, int]], dict[Any, Stock]]:
    """Each line's item (this cooperative's, on sale) with its quantity, and the stock rows of the
    basket, locked in item order (item id → row). The sale's quote, and the sale's own refusals."""
    ids = _checked(lines)
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
    check_stock(wanted, {i: held[i].quantity if i in held else 0 for i in wanted}, {i: items[i].name for i in items})
    return [(items[i], line.quantity) for i, line in zip(ids, lines, strict=True)], held


def _sale_number(occurred_at: datetime) -> str:
    return f"S{timezone.localtime(occurred_at):%y%m%d}-{secrets.token_hex(4).upper()}"


class _Item(NamedTuple):
    """An item as a sale reads it (what its lines copy)."""

    id: Any
    name: str
    unit: str
    category: str
    price: int


@dataclass
class _Basket:
    """What a sale reads in its first statement: each line's item (price, category, names) with its
    stock row (locked, in item order) and quantity; the sale already made under its key, if any
    (id, request hash); whether the cashier's day is closed."""

    lines: list[tuple[_Item, int]]
    stock: dict[Any, tuple[int, int]]  # item id → (stock row id, quantity now)
    earlier: tuple[Any, str] | None
    closed: bool


def _basket(outlet: Outlet, cashier: Any, lines: Sequence[LineIn], key: str, day: Any) -> _Basket | None:
    """One statement for the sale's reads (see _Basket), by plain SQL as the card payment reads its
    card (the ORM's compilation of four queries cost more than the sale's writes, measured). None
    when an item is unknown, off sale or has no stock row: the sale then asks again the slow way
    (_priced), which names the refusal."""
    ids = _checked(lines)
    distinct = sorted(set(ids))
    params: dict[str, Any] = {f"i{n}": uuid_param(i) for n, i in enumerate(distinct)}
    params |= {
        "outlet": uuid_param(outlet.pk),
        "cooperative": uuid_param(outlet.cooperative_id),
        "cashier": getattr(cashier, "pk", cashier),
        "key": key,
        "day": connection.ops.adapt_datefield_value(day),
    }
    with connection.cursor() as cursor:
        cursor.execute(_basket_sql(connection.vendor, len(distinct)), params)
        rows = cursor.fetchall()
    if len(rows) != len(distinct):
        return None
    items, stock = {}, {}
    for item_id, name, unit, category, price, stock_id, quantity, *_rest in rows:
        item = _Item(as_uuid(item_id), name, unit, category, price)
        items[item.id], stock[item.id] = item, (stock_id, quantity)
    first = rows[0]
    earlier = (as_uuid(first[7]), first[8]) if first[7] is not None else None
    return _Basket(
        [(items[i], line.quantity) for i, line in zip(ids, lines, strict=True)], stock, earlier, bool(first[9])
    )


@lru_cache(maxsize=64)
def _basket_sql(vendor: str, count: int) -> str:
    q = connection.ops.quote_name
    sale, close = q(Sale._meta.db_table), q(DayClose._meta.db_table)
    marks = ", ".join(f"%(i{n})s" for n in range(count))
    return (
        "SELECT i.id, i.name, i.unit, i.category, i.price, s.id, s.quantity, "  # noqa: S608 - names from models
        f"(SELECT x.id FROM {sale} AS x WHERE x.idempotency_key = %(key)s), "
        f"(SELECT x.request_hash FROM {sale} AS x WHERE x.idempotency_key = %(key)s), "
        f"EXISTS (SELECT 1 FROM {close} AS d WHERE d.outlet_id = %(outlet)s AND d.cashier_id = %(cashier)s "
        "AND d.business_date = %(day)s) "
        f"FROM {q(Item._meta.db_table)} AS i JOIN {q(Stock._meta.db_table)} AS s "
        "ON s.item_id = i.id AND s.outlet_id = %(outlet)s "
        f"WHERE i.id IN ({marks}) AND i.cooperative_id = %(cooperative)s AND i.is_active "
        "ORDER BY i.id" + (" FOR UPDATE OF s" if vendor == "postgresql" else "")  # SQLite: one writer at a time
    )


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
    behind but a counted wrong PIN; the same key again returns the first sale.

    The card is read once, by its payment: card_pay splits the basket between card and cash
    (TillShare) in the statement that locks the card."""
    card_number = "".join(card_number.split())
    asked = _request_hash(outlet.pk, lines, card_number, card_amount)
    refused: payments.PaymentError | None = None
    try:
        with transaction.atomic():
            basket = _basket(outlet, cashier, lines, key, timezone.localdate(occurred_at))
            if basket is None or basket.earlier is not None:  # a refusal to name, or a retry: the slow way
                return _sale_slow(outlet, lines, key, asked)
            try:
                _open_and_stocked(outlet, basket)
            except OutletError:  # a retry of a sale that took the last of an item, made while this waited
                if (earlier := _replay(key, asked)) is not None:  # for the stock's lock: its first answer
                    return earlier
                raise
            amounts = [item.price * qty for item, qty in basket.lines]
            paid = None
            if card_number:
                if type(card_amount) is int and 0 < card_amount <= sum(amounts):  # the cash is known already
                    _cash_check(sum(amounts) - card_amount, cash_tendered)
                try:
                    paid = _card_pays(
                        outlet, cashier, basket, card_number, pin, card_amount, key, occurred_at, recorded_at
                    )
                except payments.PaymentError as exc:
                    refused = exc  # nothing was sold; a wrong PIN's count commits with this transaction
                if paid is not None and paid.replayed and (earlier := _replay(key, asked)) is not None:
                    return earlier  # this sale's card payment and the sale were made meanwhile
            if refused is None:
                share = paid.lines if paid is not None else [0] * len(amounts)
                if paid is not None and (paid.replayed or paid.amount != sum(share)):
                    raise OutletError(_("The card payment does not match the sale; nothing was sold."))
                tendered = _cash_check(sum(amounts) - sum(share), cash_tendered)  # after it: rolled back
                sale = _record(
                    outlet, cashier, basket, share, key, asked, paid, card_number, tendered, occurred_at, recorded_at
                )
    except IntegrityError:
        if (earlier := _replay(key, asked)) is not None:
            return earlier
        raise
    if refused is not None:
        raise refused
    return SaleResult(sale)


def _sale_slow(outlet: Outlet, lines: Sequence[LineIn], key: str, asked: str) -> SaleResult:
    """A sale whose first statement found an earlier sale under its key, or not every item in stock:
    the earlier sale's answer (also to a retry of a sale that took the last of an item), or the
    refusal that names what is wrong."""
    try:
        _priced(outlet, lines)
    except OutletError:
        if (earlier := _replay(key, asked)) is not None:
            return earlier
        raise
    if (earlier := _replay(key, asked)) is not None:
        return earlier
    raise OutletError(_("The basket changed while it was read; try again."))  # an item's stock row appeared


def _open_and_stocked(outlet: Outlet, basket: _Basket) -> None:
    if not outlet.is_active:
        raise OutletClosed()
    if basket.closed:
        raise DayClosed()
    wanted: dict[Any, int] = {}
    for item, quantity in basket.lines:
        wanted[item.id] = wanted.get(item.id, 0) + quantity
    names = {item.id: item.name for item, _q in basket.lines}
    check_stock(wanted, {i: basket.stock[i][1] for i in wanted}, names)


def _cash_check(cash_amount: int, cash_tendered: int | None) -> int:
    """The cash received for `cash_amount` (the exact amount when not given), or refused when short."""
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
    return tendered


def _card_pays(
    outlet: Outlet,
    cashier: Any,
    basket: _Basket,
    card_number: str,
    pin: str,
    card_amount: int | None,
    key: str,
    occurred_at: datetime,
    recorded_at: datetime,
) -> payments.PaymentResult:
    """The card's payment of its share of the basket (payments.TillShare), its refusals of the basket
    itself in the till's words."""
    try:
        return payments.card_pay(
            card_number=card_number,
            pin=pin,
            cooperative_id=outlet.cooperative_id,
            outlet_id=outlet.pk,
            basket=[
                BasketLine(item.category, item.price * qty, f"{qty} {item.unit} {item.name}"[:200])
                for item, qty in basket.lines
            ],
            key=f"sale:{key}",
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            operator=cashier,
            share=payments.TillShare(card_amount),
        )
    except payments.NothingEligible:
        raise NothingForCard() from None
    except payments.AmountTooHigh as exc:
        raise CardAmountTooHigh(exc.message, details=exc.details) from None


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
    try:
        quote = payments.card_quote(
            card_number=card_number,
            pin=pin,
            cooperative_id=outlet.cooperative_id,
            basket=[BasketLine(item.category, amount) for (item, _qty), amount in zip(priced, amounts, strict=True)],
            share=payments.TillShare(card_amount),
        )
    except payments.NothingEligible:
        raise NothingForCard() from None
    except payments.AmountTooHigh as exc:
        raise CardAmountTooHigh(exc.message, details=exc.details) from None
    card = quote.lines
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
    basket: _Basket,
    share: list[int],
    key: str,
    asked: str,
    paid: payments.PaymentResult | None,
    card_number: str,
    tendered: int,
    occurred_at: datetime,
    recorded_at: datetime,
) -> Sale:
    """Write the sale, its lines, the stock it took (rows locked by _basket) and their moves, and
    its audit event: plain SQL, five statements whatever the basket (see core.bulk.insert_one)."""
    total, card_amount = sum(item.price * qty for item, qty in basket.lines), sum(share)
    sale = Sale(
        id=new_id(),
        idempotency_key=key,
        request_hash=asked,
        number=_sale_number(occurred_at),
        outlet_id=outlet.pk,
        cooperative_id=outlet.cooperative_id,
        region_code=outlet.region_code,
        cashier_id=cashier.pk,
        total=total,
        card_amount=card_amount,
        cash_amount=total - card_amount,
        cash_tendered=tendered,
        redemption_id=paid.redemption_id if paid else None,
        card_last4=card_number[-4:] if paid else "",
        pockets=paid.pockets if paid else {},
        balances=[{"name": b.name, "balance": b.balance} for b in paid.balances] if paid else [],
        status=Sale.Status.PAID,
        void_reason="",
        occurred_at=occurred_at,
        recorded_at=recorded_at,
    )
    insert_one(Sale, {f: getattr(sale, Sale._meta.get_field(f).attname) for f in _SALE_FIELDS} | _NOT_VOIDED)
    sale._state.adding, sale._state.db = False, connection.alias
    insert_many(
        SaleLine,
        _LINE_FIELDS,
        [
            (sale.id, n, item.id, item.name, item.unit, item.category, qty, item.price, item.price * qty, part)
            for n, ((item, qty), part) in enumerate(zip(basket.lines, share, strict=True), start=1)
        ],
    )
    stock_moves(
        outlet,
        basket.stock,
        [(item.id, -qty) for item, qty in basket.lines],
        StockMove.Kind.SALE,
        sale.number,
        sale.id,
        cashier,
        occurred_at,
        recorded_at,
    )
    audit_append(
        actor=cashier,
        event="outlets.sale.completed",
        occurred_at=occurred_at,
        obj=sale,
        region_code=sale.region_code,
        changes={"total": [None, total], "card": [None, card_amount], "cash": [None, total - card_amount]},
    )
    return sale


_SALE_FIELDS = [
    "id",
    "idempotency_key",
    "request_hash",
    "number",
    "outlet",
    "cooperative",
    "region_code",
    "cashier",
    "total",
    "card_amount",
    "cash_amount",
    "cash_tendered",
    "redemption_id",
    "card_last4",
    "pockets",
    "balances",
    "status",
    "void_reason",
    "occurred_at",
    "recorded_at",
]
_NOT_VOIDED = {"voided_by": None, "voided_at": None}
_LINE_FIELDS = [
    "sale",
    "position",
    "item",
    "name",
    "unit",
    "category",
    "quantity",
    "unit_price",
    "amount",
    "card_amount",
]


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
        if day_closed(sale.outlet, sale.cashier_id, sale.occurred_at):
            raise VoidRefused(_("The cashier has closed this day; a correction is a stock adjustment."))
        lines = list(sale.lines.order_by("item_id").values_list("item_id", "quantity"))
        held = {
            item_id: (row, quantity)
            for row, item_id, quantity in Stock.objects.select_for_update()
            .filter(outlet=sale.outlet, item_id__in=[item_id for item_id, _quantity in lines])
            .order_by("item_id")
            .values_list("id", "item_id", "quantity")
        }
        if sale.redemption_id:
            payments.card_payment_void(
                redemption_id=sale.redemption_id,
                actor=actor,
                occurred_at=occurred_at,
                recorded_at=recorded_at,
                reason=f"{sale.number}: {reason.strip()}",
            )
        stock_moves(
            sale.outlet,
            held,
            lines,
            StockMove.Kind.VOID,
            sale.number,
            sale.pk,
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


def new_sale_key() -> str:
    """A key for a sale page to send with its form, so a double submit or a retry sells once."""
    return new_id().hex
