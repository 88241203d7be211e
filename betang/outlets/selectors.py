"""Reads of the point of sale, for the cooperative staff who work there (or officers over its area)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from betang.accounts.access import COOPERATIVE_BOUND_ROLES
from betang.aid import selectors as aid_selectors
from betang.core import clock
from betang.core.ids import as_uuid
from betang.outlets.models import DayClose, Item, Sale, Stock
from betang.registry import selectors as registry
from betang.registry.models import Outlet
from betang.web.worklist import Work


def outlet_list(*, user: Any, q: str = "") -> QuerySet[Outlet]:
    """The outlets a user sells at or reads: their cooperative's, or (an officer, an auditor) those in
    their area; narrowed by a name (the outlet's or its cooperative's) or a village code prefix."""
    outlets = Outlet.objects.filter(is_active=True).select_related("cooperative").order_by("region_code", "name")
    if user.role in COOPERATIVE_BOUND_ROLES and not user.is_superuser:
        outlets = outlets.filter(cooperative__staff__user=user)
    else:
        outlets = outlets.filter(user.region_scope.q("region_code"))
    if q:
        outlets = outlets.filter(
            Q(name__icontains=q) | Q(cooperative__name__icontains=q) | Q(region_code__startswith=q)
        )
    return outlets


def outlet_get(*, user: Any, pk: Any) -> Outlet:
    """An outlet the user may act at; 404 otherwise (what is out of reach does not exist)."""
    try:
        pk = as_uuid(pk)
    except ValueError:
        raise Http404 from None
    outlet = Outlet.objects.select_related("cooperative").filter(pk=pk).first()
    if outlet is None:
        raise Http404
    registry.acting_cooperative_id(user=user, cooperative_id=outlet.cooperative_id, outlet_id=outlet.pk)
    return outlet


def stock_list(outlet: Outlet, *, in_stock_only: bool = False) -> list[Stock]:
    """The outlet's items with their stock, by name; the low ones flagged (quantity at or below low_at)."""
    rows = Stock.objects.filter(outlet=outlet, item__cooperative_id=outlet.cooperative_id).select_related("item")
    if in_stock_only:
        rows = rows.filter(quantity__gt=0, item__is_active=True)
    return list(rows.order_by("item__name"))


def item_get(outlet: Outlet, pk: Any) -> Item:
    try:
        return Item.objects.get(pk=as_uuid(pk), cooperative_id=outlet.cooperative_id)
    except (ValueError, Item.DoesNotExist):
        raise Http404 from None


def sale_get(*, user: Any, pk: Any) -> Sale:
    """A sale at an outlet the user may act at, with its lines."""
    try:
        sale = Sale.objects.select_related("outlet", "cashier").prefetch_related("lines").get(pk=as_uuid(pk))
    except (ValueError, Sale.DoesNotExist):
        raise Http404 from None
    outlet_get(user=user, pk=sale.outlet_id)
    return sale


def sale_of_payment(*, user: Any, receipt_number: str) -> Sale:
    """The sale a card payment (by its receipt number) paid for, at an outlet the user may reach."""
    payment = aid_selectors.payment_id_by_receipt(receipt_number)
    pk = Sale.objects.filter(redemption_id=payment).values_list("pk", flat=True).first() if payment else None
    if pk is None:
        raise Http404
    return sale_get(user=user, pk=pk)


def sales_of_day(outlet: Outlet, day: date, *, cashier: Any = None) -> QuerySet[Sale]:
    start = clock.day_start(day)
    sales = Sale.objects.filter(outlet=outlet, occurred_at__gte=start, occurred_at__lt=start + timedelta(days=1))
    if cashier is not None:
        sales = sales.filter(cashier=cashier)
    return sales.select_related("cashier").order_by("-occurred_at")


def day_totals(sales: QuerySet[Sale]) -> dict[str, int]:
    """Count and rupiah of the paid sales (voided ones apart), split card and cash."""
    paid = sales.filter(status=Sale.Status.PAID)
    sums = paid.aggregate(total=Sum("total"), card=Sum("card_amount"), cash=Sum("cash_amount"))
    return {
        "count": paid.count(),
        "voided": sales.filter(~Q(status=Sale.Status.PAID)).count(),
        "total": sums["total"] or 0,
        "card": sums["card"] or 0,
        "cash": sums["cash"] or 0,
    }


def sales_by_day(outlet: Outlet, *, days: int, today: date) -> list[dict[str, Any]]:
    """The outlet's paid sales per local day, newest first, for the last `days` days (empty days too)."""
    start = clock.day_start(today - timedelta(days=days - 1))
    rows = Sale.objects.filter(outlet=outlet, status=Sale.Status.PAID, occurred_at__gte=start).values_list(
        "occurred_at", "total", "card_amount", "cash_amount"
    )
    by_day = {today - timedelta(days=n): {"count": 0, "total": 0, "card": 0, "cash": 0} for n in range(days)}
    for at, total, card, cash in rows:
        day = by_day.get(timezone.localdate(at))
        if day is not None:
            day["count"] += 1
            day["total"] += total
            day["card"] += card
            day["cash"] += cash
    return [{"day": day} | figures for day, figures in by_day.items()]


def sales_by_cashier(outlet: Outlet, day: date) -> list[dict[str, Any]]:
    """Each cashier's paid sales at the outlet on the day, with their close if they closed it."""
    sales = sales_of_day(outlet, day).filter(status=Sale.Status.PAID)
    rows = {}
    for sale in sales:
        row = rows.setdefault(sale.cashier_id, {"cashier": sale.cashier, "count": 0, "card": 0, "cash": 0})
        row["count"] += 1
        row["card"] += sale.card_amount
        row["cash"] += sale.cash_amount
    for close in DayClose.objects.filter(outlet=outlet, business_date=day).select_related("cashier"):
        rows.setdefault(close.cashier_id, {"cashier": close.cashier, "count": 0, "card": 0, "cash": 0})["close"] = close
    return sorted(rows.values(), key=lambda r: r["cashier"].display_name)


def day_close_get(outlet: Outlet, cashier: Any, day: date) -> DayClose | None:
    return DayClose.objects.filter(outlet=outlet, cashier=cashier, business_date=day).first()


# --- the home page's worklist (registered in apps.py) ------------------------------------------------------


def work_for(user: Any) -> list[Any]:
    """For the cooperative's operator: reconciliation differences the cooperative owns to explain,
    and the items running low at each of its outlets."""
    if not user.has_capability("outlets.manage") or user.role not in COOPERATIVE_BOUND_ROLES:
        return []
    work = []
    for outlet in outlet_list(user=user)[:5]:
        differences = aid_selectors.cooperative_exceptions(outlet.cooperative_id).count()
        work.append(
            Work(
                ngettext(
                    "%(n)s reconciliation difference to explain",
                    "%(n)s reconciliation differences to explain",
                    differences,
                )
                % {"n": differences},
                differences,
                reverse("outlets:report", args=[outlet.pk]),
                urgent=True,
            )
        )
        low = sum(1 for s in stock_list(outlet) if s.quantity <= s.low_at and s.item.is_active)
        work.append(
            Work(
                ngettext("%(n)s item running low at %(outlet)s", "%(n)s items running low at %(outlet)s", low)
                % {"n": low, "outlet": outlet.name},
                low,
                reverse("outlets:stock", args=[outlet.pk]),
            )
        )
    return work
