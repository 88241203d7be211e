"""What other apps (outlets, outposts) may use of aid besides its services and selectors: goods
categories, the payment basket, and the reconciliation's reads of a cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from betang.aid.models import Entitlement, Program, ReconciliationException, Redemption, Settlement


class GoodsCategory(models.TextChoices):
    BERAS = "BERAS", _("rice")
    TELUR = "TELUR", _("eggs")
    MINYAK_GORENG = "MINYAK_GORENG", _("cooking oil")
    GULA = "GULA", _("sugar")
    LAUK_PAUK = "LAUK_PAUK", _("meat and fish")
    SAYUR = "SAYUR", _("vegetables")
    BUAH = "BUAH", _("fruit")
    PROTEIN_NABATI = "PROTEIN_NABATI", _("tofu, tempeh and legumes")
    PANGAN_LAIN = "PANGAN_LAIN", _("other food")
    NON_PANGAN = "NON_PANGAN", _("non-food")
    ROKOK = "ROKOK", _("tobacco")


@dataclass(frozen=True)
class BasketLine:
    category: str  # a GoodsCategory value
    amount: int  # whole rupiah for the line (quantity × price)
    description: str = ""


# What the four-way reconciliation (outlets.services.reconciliation) reads of a cycle: the card payments of
# its window and what was credited, as plain rows; the exceptions' kinds and owners. Other apps read
# aid through this module, its selectors and its services, never its models.

ExceptionKind = ReconciliationException.Kind
ExceptionOwner = ReconciliationException.Owner


@dataclass(frozen=True)
class PaymentRow:
    """A card payment as the reconciliation reads it."""

    id: Any
    cooperative_id: Any
    outlet_id: Any
    amount: int
    receipt_number: str
    occurred_at: datetime
    statement: str  # its settlement statement's number, "" when in none
    statement_state: str  # "paid" (paid or reconciled), "issued", or "" when in none


def _window_filter(window: Any) -> dict[str, Any]:
    return {"occurred_at__gte": window.start} | ({"occurred_at__lt": window.end} if window.end else {})


def window_payments(program_id: Any, window: Any) -> QuerySet:
    """The ids of the program's card payments (paid or voided) of a cycle's window, as a subquery."""
    return Redemption.objects.filter(program_id=program_id, **_window_filter(window)).values("id")


def window_paid(program_id: Any, window: Any) -> list[PaymentRow]:
    """The program's card payments of the window that stand (not voided)."""
    state = {Settlement.Status.PAID: "paid", Settlement.Status.RECONCILED: "paid", Settlement.Status.ISSUED: "issued"}
    rows = Redemption.objects.filter(
        program_id=program_id, status=Redemption.Status.PAID, **_window_filter(window)
    ).values_list(
        "id",
        "cooperative_id",
        "outlet_id",
        "amount",
        "receipt_number",
        "occurred_at",
        "settlement__number",
        "settlement__status",
    )
    return [PaymentRow(*row[:6], row[6] or "", state.get(row[7], "")) for row in rows]


def window_voided(program_id: Any, window: Any) -> set[Any]:
    """The ids of the program's card payments of the window that were voided."""
    voided = Redemption.objects.filter(program_id=program_id, status=Redemption.Status.VOIDED, **_window_filter(window))
    return set(voided.values_list("id", flat=True))


def credited_by_cooperative(cycle_id: Any) -> dict[Any, int]:
    """What a cycle credited, per home cooperative of the enrolments (cooperative id → rupiah)."""
    return dict(
        Entitlement.objects.filter(cycle_id=cycle_id)
        .values_list("enrolment__cooperative_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )


def program_categories(program_id: Any) -> set[str]:
    """The goods categories some pocket of the program pays for."""
    program = Program.objects.prefetch_related("pockets").get(pk=program_id)
    every = {c.value for c in GoodsCategory}
    wanted = {c for p in program.pockets.all() for c in (p.categories or every)}
    return wanted - set(program.excluded_categories)
