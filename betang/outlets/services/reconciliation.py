"""The four-way reconciliation of an aid cycle, per outlet: entitlements credited (to the outlet's
cooperative's enrolled households) ↔ card payments redeemed there ↔ goods issued from stock for card
sales ↔ settled (in a statement the program has paid). The payments, sales and stock moves are those
of the cycle's window (aid.services.reconciliation.cycle_window), not of its calendar period: a
payment made after the period, from a balance carried over, is reconciled with the cycle whose
window it falls in, never with none. Registered with aid at start-up; aid keeps the
figures and the exceptions and refuses to close a cycle with one open.

The differences, each an exception with an owner:
- a card payment with no sale of goods behind it (paid through the API, or its sale voided alone):
  the cooperative;
- a card sale whose payment was voided, the goods gone: the cooperative;
- a stock shortfall: eligible goods taken off the shelf by an adjustment, not sold: the cooperative;
- card payments of the cycle in no statement: those made within its period once the period has ended,
  those made after it (spending a balance carried over) once the cycle's window has ended: the
  program office;
- a statement issued but not paid: the program office.
A voided sale voids its payment and returns its goods: nothing to explain.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from betang.aid import contracts as aid
from betang.aid.selectors import cycle_window
from betang.aid.services.reconciliation import Figures, Found, reconciliation_record
from betang.core import clock
from betang.core.money import format_rupiah
from betang.outlets.models import Sale, StockMove
from betang.registry.models import Cooperative

Kind, Owner = aid.ExceptionKind, aid.ExceptionOwner


def _zero() -> dict[str, int]:
    return dict.fromkeys(("redeemed", "issued", "settled"), 0)


def reconcile_cycle(cycle: Any, now: datetime) -> dict[str, int]:
    """Reconcile an aid cycle (aid's Cycle, as aid's reconciliation hands it over)."""
    program = cycle.program
    window = cycle_window(cycle)
    # The window's moments as filters: from its start, up to its end when it has one.
    within = {"occurred_at__gte": window.start} | ({"occurred_at__lt": window.end} if window.end else {})
    period_end = clock.day_start(cycle.period_end + timedelta(days=1))
    # Payments within the period are due in a statement once it has ended; later ones (a balance
    # carried over) once the window has: the next cycle has begun, or this one closed.
    period_ended = timezone.localdate(now) > cycle.period_end
    window_ended = window.end is not None and now >= window.end
    sales = Sale.objects.filter(redemption_id__in=aid.window_payments(program.pk, window))
    sold_for = dict(sales.filter(status=Sale.Status.PAID).values_list("redemption_id", "id"))

    rows: dict[tuple[Any, Any], dict[str, int]] = defaultdict(_zero)
    differences: list[tuple] = []

    def difference(kind: str, subject: str, coop: Any, outlet: Any, amount: int, detail: str, owner: str) -> None:
        differences.append((kind, subject, coop, outlet, amount, detail, owner))

    unsettled: dict[tuple[Any, Any], list[int]] = defaultdict(lambda: [0, 0])
    unpaid: dict[tuple[str, Any, Any], int] = defaultdict(int)
    for payment in aid.window_paid(program.pk, window):
        pk, coop, outlet, amount, receipt, at = (
            payment.id,
            payment.cooperative_id,
            payment.outlet_id,
            payment.amount,
            payment.receipt_number,
            payment.occurred_at,
        )
        row = rows[(coop, outlet)]
        row["redeemed"] += amount
        if payment.statement_state == "paid":
            row["settled"] += amount
        elif payment.statement_state == "issued":
            unpaid[(payment.statement, coop, outlet)] += amount
        elif window_ended or (period_ended and at < period_end):
            unsettled[(coop, outlet)][0] += 1
            unsettled[(coop, outlet)][1] += amount
        if pk not in sold_for:
            difference(
                Kind.NO_GOODS,
                str(pk),
                coop,
                outlet,
                amount,
                _("Card payment %(receipt)s of %(at)s (%(amount)s) has no sale of goods behind it.")
                % {
                    "receipt": receipt,
                    "at": timezone.localtime(at).strftime("%d-%m-%Y %H.%M"),
                    "amount": format_rupiah(amount),
                },
                Owner.COOPERATIVE,
            )
    for (coop, outlet), (count, amount) in unsettled.items():
        difference(
            Kind.NOT_IN_STATEMENT,
            f"{coop}:{outlet or '-'}",
            coop,
            outlet,
            amount,
            _("%(n)s card payment(s), %(amount)s, are in no settlement statement.")
            % {"n": count, "amount": format_rupiah(amount)},
            Owner.PROGRAM,
        )
    for (number, coop, outlet), amount in unpaid.items():
        difference(
            Kind.STATEMENT_UNPAID,
            f"{number}:{outlet or '-'}",
            coop,
            outlet,
            amount,
            _("Statement %(number)s (%(amount)s of this cycle) is not paid yet.")
            % {"number": number, "amount": format_rupiah(amount)},
            Owner.PROGRAM,
        )
    voided_payments = aid.window_voided(program.pk, window)
    for sale_pk, number, coop, outlet, card, redemption in sales.filter(status=Sale.Status.PAID).values_list(
        "id", "number", "cooperative_id", "outlet_id", "card_amount", "redemption_id"
    ):
        rows[(coop, outlet)]["issued"] += card  # the goods left the shelf, whatever became of the payment
        if redemption in voided_payments:
            difference(
                Kind.GOODS_NOT_PAID,
                str(sale_pk),
                coop,
                outlet,
                card,
                _("Sale %(number)s gave out goods for %(amount)s by card, but the card payment was voided.")
                % {"number": number, "amount": format_rupiah(card)},
                Owner.COOPERATIVE,
            )

    eligible = aid.program_categories(program.pk)
    shortfalls = StockMove.objects.filter(
        kind=StockMove.Kind.ADJUST,
        quantity__lt=0,
        **within,
        item__category__in=eligible,
    )
    if program.region_code:
        shortfalls = shortfalls.filter(item__region_code__startswith=program.region_code + ".")
    for move_pk, coop, outlet, qty, price, name, unit, reason in shortfalls.values_list(
        "id", "item__cooperative_id", "outlet_id", "quantity", "item__price", "item__name", "item__unit", "reference"
    ):
        rows.setdefault((coop, outlet), _zero())  # the outlet shows even without card sales
        difference(
            Kind.STOCK_SHORTFALL,
            str(move_pk),
            coop,
            outlet,
            -qty * price,
            _("%(qty)s %(unit)s %(name)s taken off the stock without a sale (%(reason)s).")
            % {"qty": -qty, "unit": unit, "name": name, "reason": reason or _("no reason given")},
            Owner.COOPERATIVE,
        )

    credited = aid.credited_by_cooperative(cycle.pk)
    active = {coop for coop, _outlet in rows}
    for coop in credited.keys() - active:  # credited, nothing redeemed or issued anywhere
        rows[(coop, None)] = _zero()
    village = dict(Cooperative.objects.filter(pk__in={k[0] for k in rows}).values_list("id", "region_code"))
    found = [Found(k, subject, c, o, village.get(c, ""), a, d, w) for k, subject, c, o, a, d, w in differences]
    figures = [
        Figures(coop, outlet, village.get(coop, ""), credited.get(coop, 0), r["redeemed"], r["issued"], r["settled"])
        for (coop, outlet), r in rows.items()
    ]
    return reconciliation_record(cycle, figures=figures, found=found, now=now)
