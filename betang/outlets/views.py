"""Pages of the point of sale: the cashier's sale page (keyboard first: scan items, scan the card, type
the PIN, Enter), the 58 mm receipt, the day's sales with voids, and stock with items for the operator."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from betang.accounts.access import OUTLET_MANAGE, OUTLET_SELL, OUTLET_VIEW, OUTLET_VOID
from betang.aid import selectors as aid_selectors
from betang.aid.contracts import GoodsCategory
from betang.core import clock
from betang.core.errors import DomainError
from betang.core.money import format_rupiah
from betang.core.paging import CappedPaginator
from betang.outlets import printing, selectors
from betang.outlets.services import days, sales, stock
from betang.registry.imports.validation import check_amount
from betang.web.access import capability_required


def _day(text: str) -> date | None:
    """A day typed as YYYY-MM-DD, or None."""
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def _rupiah(text: str | None) -> int | None:
    """What a cashier types for an amount (`50000`, `50.000`, `Rp50.000`): whole rupiah, or None if
    blank or not an amount (read as the registry's imports read one)."""
    return check_amount(text, field_name="amount", label="").value


@capability_required(OUTLET_SELL, OUTLET_VIEW)
def outlet_home_view(request):
    """A cashier goes straight to the sale page of their one outlet; an officer or an auditor finds
    the outlets of their area by name, cooperative or village code."""
    q = " ".join(request.GET.get("q", "").split())[:100]
    outlets = selectors.outlet_list(user=request.user, q=q)
    can_sell = request.user.has_capability(OUTLET_SELL)
    if can_sell and not request.user.has_capability(OUTLET_VIEW):
        first_two = list(outlets[:2])
        if len(first_two) == 1:
            return redirect("outlets:sale", outlet=first_two[0].pk)
    page = CappedPaginator(outlets, 50).get_page(request.GET.get("page"))
    return render(request, "outlets/home.html", {"page": page, "q": q, "can_sell": can_sell})


def _sale_form(request, outlet, *, quantities=None, card_number="", card_amount="", cash="", error=None, status=200):
    on_shelf = selectors.stock_list(outlet, in_stock_only=True)
    quantities = quantities or {}
    rows = [{"stock": s, "item": s.item, "quantity": quantities.get(str(s.item_id), 0)} for s in on_shelf]
    context = {
        "outlet": outlet,
        "rows": rows,
        "key": sales.new_sale_key(),
        "card_number": card_number,
        "card_amount": card_amount,
        "cash": cash,
        "error": error,
    }
    return render(request, "outlets/sale.html", context, status=status)


def _basket(request) -> tuple[dict[str, int], list[sales.LineIn]]:
    """The quantities typed on the sale form (item id → quantity) and the basket's lines."""
    quantities: dict[str, int] = {}
    for name, value in request.POST.items():
        if name.startswith("qty-") and value.strip():
            try:
                quantities[name[4:]] = int(value)
            except ValueError:
                quantities[name[4:]] = -1  # refused as a bad quantity
    return quantities, [sales.LineIn(item_id, n) for item_id, n in quantities.items() if n != 0]


@require_POST
@capability_required(OUTLET_SELL)
def sale_quote_view(request, outlet):
    """The sale page asks, once the PIN is typed: what will the card pay and what is cash? (JSON)"""
    outlet = selectors.outlet_get(user=request.user, pk=outlet)
    _quantities, lines = _basket(request)
    card_number = "".join(request.POST.get("card_number", "").split())
    try:
        quote = sales.sale_quote(
            outlet=outlet,
            lines=lines,
            card_number=card_number,
            pin=request.POST.get("pin", ""),
            card_amount=_rupiah(request.POST.get("card_amount", "")),
        )
    except DomainError as exc:
        message = str(exc.message)
        if left := (exc.details or {}).get("attempts_left"):
            message += " " + ngettext(
                "%(n)s attempt left before the card locks.", "%(n)s attempts left before the card locks.", left
            ) % {"n": left}
        body = {"code": exc.code, "message": message, "details": exc.details}
        return JsonResponse(body, status=exc.http_status if exc.http_status < 500 else 400)
    return JsonResponse(
        {
            "total": quote.total,
            "card": quote.card,
            "cash": quote.cash,
            "text": {
                "total": format_rupiah(quote.total),
                "card": format_rupiah(quote.card),
                "cash": format_rupiah(quote.cash),
                "pockets": ", ".join(f"{name} {format_rupiah(amount)}" for name, amount in quote.pockets.items()),
                "left": ", ".join(
                    f"{name} {format_rupiah(balance - quote.pockets.get(name, 0))}"
                    for name, balance in quote.balances.items()
                ),
            },
        }
    )


@capability_required(OUTLET_SELL)
def sale_view(request, outlet):
    outlet = selectors.outlet_get(user=request.user, pk=outlet)
    if request.method != "POST":
        return _sale_form(request, outlet)
    quantities, lines = _basket(request)
    card_number = "".join(request.POST.get("card_number", "").split())
    card_amount, cash = request.POST.get("card_amount", ""), request.POST.get("cash", "")
    key = request.POST.get("key", "").strip()[:64]
    now = clock.now()
    try:
        if not key:  # every sale form carries its own key; without one a retry could sell twice
            raise stock.OutletError(_("The form is out of date: open the sale page again."))
        result = sales.sale_complete(
            outlet=outlet,
            cashier=request.user,
            lines=lines,
            key=f"web:{request.user.pk}:{key}",
            occurred_at=now,
            recorded_at=now,
            card_number=card_number,
            pin=request.POST.get("pin", ""),
            card_amount=_rupiah(card_amount) if card_number else None,
            cash_tendered=_rupiah(cash),
        )
    except DomainError as exc:
        kept = {k: v for k, v in quantities.items() if v > 0}
        error = {"code": exc.code, "message": exc.message, "details": exc.details}
        return _sale_form(
            request,
            outlet,
            quantities=kept,
            card_number=card_number,
            card_amount=card_amount,
            cash=cash,
            error=error,
            status=exc.http_status if exc.http_status < 500 else 400,
        )
    return redirect("outlets:receipt", pk=result.sale.pk)


@capability_required(OUTLET_SELL, OUTLET_VIEW)
def receipt_of_payment_view(request, receipt: str):
    """From a card payment's receipt number (on a card's page, a statement) to the sale behind it:
    its goods, cashier and the card and cash parts. 404 when no sale is behind it (a payment made
    through the API alone) or it is out of the reader's reach."""
    sale = selectors.sale_of_payment(user=request.user, receipt_number=receipt[:40])
    return redirect("outlets:receipt", pk=sale.pk)


@capability_required(OUTLET_SELL, OUTLET_VIEW)
def receipt_view(request, pk):
    sale = selectors.sale_get(user=request.user, pk=pk)
    # The card payment's own receipt number, as the card's statement and the settlement show it.
    card_receipt = aid_selectors.payment_receipt_number(sale.redemption_id) if sale.redemption_id else ""
    return render(
        request, "outlets/receipt.html", {"sale": sale, "qr": printing.svg(sale.number), "card_receipt": card_receipt}
    )


@capability_required(OUTLET_SELL, OUTLET_VIEW)
def sales_today_view(request, outlet):
    """A day's sales: today's for the cashier (their own) and the supervisor (all); any day's, all of
    them, for an officer or an auditor reading the outlet (`?hari=YYYY-MM-DD`)."""
    outlet = selectors.outlet_get(user=request.user, pk=outlet)
    today = timezone.localdate(clock.now())
    reader = request.user.has_capability(OUTLET_VIEW)
    asked = request.GET.get("hari", "").strip()
    day = _day(asked) if reader else None
    if asked and reader and (day is None or day > today):  # say so, rather than show today unasked
        messages.warning(request, _("%(day)s is no day to show: these are today's sales.") % {"day": asked[:20]})
    day = day if day is not None and day <= today else today
    mine = not reader and not request.user.has_capability(OUTLET_VOID)  # a cashier sees their own
    sales = selectors.sales_of_day(outlet, day, cashier=request.user if mine else None)
    own = selectors.day_totals(selectors.sales_of_day(outlet, day, cashier=request.user))
    context = {
        "outlet": outlet,
        "day": day,
        "today": today,
        "reader": reader,
        "can_sell": request.user.has_capability(OUTLET_SELL) and day == today,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1) if day < today else None,
        "sales": list(sales[:500]),
        "totals": selectors.day_totals(sales),
        "mine": mine,
        "can_void": request.user.has_capability(OUTLET_VOID) and day == today,
        "own": own,
        "my_close": selectors.day_close_get(outlet, request.user, day),
        "closes": [] if mine else selectors.sales_by_cashier(outlet, day),
    }
    return render(request, "outlets/sales_today.html", context)


@require_POST
@capability_required(OUTLET_SELL)
def day_close_view(request, outlet):
    outlet = selectors.outlet_get(user=request.user, pk=outlet)
    counted = _rupiah(request.POST.get("cash_counted"))
    if counted is None:
        messages.error(request, _("Count the cash in the drawer and type it."))
        return redirect("outlets:sales_today", outlet=outlet.pk)
    try:
        closed = days.day_close(
            outlet=outlet,
            cashier=request.user,
            cash_counted=counted,
            note=request.POST.get("note", ""),
            actor=request.user,
            occurred_at=clock.now(),
        )
        messages.success(
            request,
            _("Your day is closed: %(cash)s expected in cash, %(counted)s counted.")
            % {"cash": format_rupiah(closed.cash_total), "counted": format_rupiah(closed.cash_counted)},
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("outlets:sales_today", outlet=outlet.pk)


@capability_required(OUTLET_SELL, OUTLET_VIEW)
def report_view(request, outlet):
    outlet = selectors.outlet_get(user=request.user, pk=outlet)
    today = timezone.localdate(clock.now())
    context = {
        "outlet": outlet,
        "today": today,
        "days": selectors.sales_by_day(outlet, days=14, today=today),
        "cashiers": selectors.sales_by_cashier(outlet, today),
        "low": [s for s in selectors.stock_list(outlet) if s.quantity <= s.low_at and s.item.is_active],
        "position": aid_selectors.cooperative_settlement_position(outlet.cooperative_id),
        "exceptions": aid_selectors.cooperative_exceptions(outlet.cooperative_id),
        "can_resolve": request.user.has_capability(OUTLET_MANAGE),
    }
    return render(request, "outlets/report.html", context)


@require_POST
@capability_required(OUTLET_VOID)
def sale_void_view(request, pk):
    sale = selectors.sale_get(user=request.user, pk=pk)
    now = clock.now()
    try:
        sales.sale_void(
            sale=sale, actor=request.user, reason=request.POST.get("reason", ""), occurred_at=now, recorded_at=now
        )
        messages.success(
            request,
            _("Sale %(number)s is voided; the card payment is reversed and the goods are back in stock.")
            % {"number": sale.number},
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("outlets:sales_today", outlet=sale.outlet_id)


@capability_required(OUTLET_SELL, OUTLET_VIEW)
def stock_view(request, outlet):
    outlet = selectors.outlet_get(user=request.user, pk=outlet)
    context = {
        "outlet": outlet,
        "stock": selectors.stock_list(outlet),
        "categories": GoodsCategory.choices,
        "can_manage": request.user.has_capability(OUTLET_MANAGE),
    }
    return render(request, "outlets/stock.html", context)


@require_POST
@capability_required(OUTLET_MANAGE)
def stock_action_view(request, outlet, action: str):
    outlet = selectors.outlet_get(user=request.user, pk=outlet)
    now, post, user = clock.now(), request.POST, request.user
    try:
        if action == "item":
            item = stock.item_create(
                outlet=outlet,
                code=post.get("code", ""),
                name=post.get("name", ""),
                unit=post.get("unit", ""),
                category=post.get("category", ""),
                price=_rupiah(post.get("price")) or 0,
                actor=user,
                occurred_at=now,
            )
            messages.success(
                request, _("%(item)s is in the catalogue; receive its stock to sell it.") % {"item": item.name}
            )
        elif action in ("receive", "adjust"):
            item = selectors.item_get(outlet, post.get("item"))
            try:
                quantity = int(post.get("quantity", ""))
            except ValueError:
                raise stock.BadQuantity() from None
            if action == "receive":
                stock.stock_receive(
                    outlet=outlet,
                    item=item,
                    quantity=quantity,
                    reference=post.get("reference", ""),
                    actor=user,
                    occurred_at=now,
                    recorded_at=now,
                )
            else:
                stock.stock_adjust(
                    outlet=outlet,
                    item=item,
                    quantity=quantity,
                    reason=post.get("reason", ""),
                    actor=user,
                    occurred_at=now,
                    recorded_at=now,
                )
            messages.success(request, _("Stock of %(item)s is updated.") % {"item": item.name})
        elif action == "price":
            item = selectors.item_get(outlet, post.get("item"))
            stock.item_price_set(item=item, price=_rupiah(post.get("price")) or 0, actor=user, occurred_at=now)
            messages.success(request, _("The price of %(item)s is updated.") % {"item": item.name})
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("outlets:stock", outlet=outlet.pk)
