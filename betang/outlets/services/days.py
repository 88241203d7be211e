"""A cashier's end of day at an outlet: their sales counted by the system beside the cash counted."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from betang.core import clock
from betang.core.audit import audit_record
from betang.outlets.models import DayClose, Sale
from betang.outlets.services.stock import OutletError
from betang.registry.models import Outlet


def day_closed(outlet: Outlet, cashier: Any, occurred_at: datetime) -> bool:
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
