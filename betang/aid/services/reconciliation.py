"""The four-way reconciliation's record in aid: a cycle's figures per outlet and the differences found,
each an exception with an owner, and the rule that a cycle with an open exception cannot be closed.

What goods left the shelves is the outlets' knowledge, and outlets sits above aid, so the reconciling
itself is registered by the apps that can do it (outlets.services.reconciliation, at start-up): `reconcile`
runs every registered reconciler, and closing a cycle runs `reconcile` first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.aid.models import Cycle, Reconciliation, ReconciliationException
from betang.aid.selectors import next_cycle
from betang.core import clock
from betang.core.audit import audit_record
from betang.core.errors import DomainError

Reconciler = Callable[[Cycle, datetime], None]
_RECONCILERS: list[Reconciler] = []


class ExceptionsOpen(DomainError):
    code = "aid.reconciliation_open"
    http_status = 409
    message = gettext_lazy("Open reconciliation exceptions must be resolved before the cycle is closed.")


class ResolutionNeeded(DomainError):
    code = "aid.resolution_needed"
    http_status = 400
    message = gettext_lazy("Say how the difference was resolved.")


@dataclass(frozen=True)
class Figures:
    """One outlet's (or, without outlet, one cooperative's) four figures of a cycle."""

    cooperative_id: Any
    outlet_id: Any
    region_code: str
    credited: int
    redeemed: int
    issued: int
    settled: int


@dataclass(frozen=True)
class Found:
    """A difference: its kind and subject name it across runs, so that a rerun finds the same one."""

    kind: str
    subject: str
    cooperative_id: Any
    outlet_id: Any
    region_code: str
    amount: int
    detail: str
    owner: str


def window_end_at_close(cycle: Cycle, *, occurred_at: datetime) -> datetime:
    """Where a cycle closing now ends its window: at the next cycle's period, or at the close."""
    following = next_cycle(cycle)
    return min(occurred_at, clock.day_start(following.period_start)) if following is not None else occurred_at


def reconciler_register(reconciler: Reconciler) -> None:
    if reconciler not in _RECONCILERS:
        _RECONCILERS.append(reconciler)


def reconcile(cycle: Cycle, *, now: datetime) -> None:
    """Run every registered reconciler over the cycle, as it is stored now (with its program)."""
    cycle = Cycle.objects.select_related("program").get(pk=cycle.pk)
    for reconciler in _RECONCILERS:
        reconciler(cycle, now)


def reconciliation_record(
    cycle: Cycle, *, figures: Sequence[Figures], found: Sequence[Found], now: datetime
) -> dict[str, int]:
    """Keep the cycle's figures and its exceptions as just found: a new difference opens an exception,
    one found again keeps its status (a resolved one stays resolved) with the amount of now, and an
    open one no longer found is cleared."""
    with transaction.atomic():
        Reconciliation.objects.filter(cycle=cycle).delete()
        Reconciliation.objects.bulk_create(
            [
                Reconciliation(
                    cycle=cycle,
                    cooperative_id=f.cooperative_id,
                    outlet_id=f.outlet_id,
                    region_code=f.region_code,
                    credited=f.credited,
                    redeemed=f.redeemed,
                    issued=f.issued,
                    settled=f.settled,
                    computed_at=now,
                )
                for f in figures
            ]
        )
        known = {
            (e.kind, e.subject): e for e in ReconciliationException.objects.select_for_update().filter(cycle=cycle)
        }
        seen, opened = set(), 0
        for f in found:
            seen.add((f.kind, f.subject))
            existing = known.get((f.kind, f.subject))
            if existing is None:
                ReconciliationException.objects.create(
                    cycle=cycle,
                    cooperative_id=f.cooperative_id,
                    outlet_id=f.outlet_id,
                    region_code=f.region_code,
                    kind=f.kind,
                    subject=f.subject,
                    amount=f.amount,
                    detail=f.detail[:300],
                    owner=f.owner,
                    found_at=now,
                )
                opened += 1
                continue
            reopen = existing.status == ReconciliationException.Status.CLEARED
            if reopen or existing.amount != f.amount or existing.detail != f.detail[:300]:
                existing.amount, existing.detail = f.amount, f.detail[:300]
                if reopen:  # the difference is back
                    existing.status, existing.found_at = ReconciliationException.Status.OPEN, now
                existing.save(update_fields=["amount", "detail", "status", "found_at"])
        gone = [e.pk for key, e in known.items() if key not in seen and e.status == ReconciliationException.Status.OPEN]
        ReconciliationException.objects.filter(pk__in=gone).update(
            status=ReconciliationException.Status.CLEARED, resolved_at=now
        )
    return {"opened": opened, "cleared": len(gone), "differences": len(found)}


def open_exceptions(cycle: Cycle) -> int:
    return ReconciliationException.objects.filter(cycle=cycle, status=ReconciliationException.Status.OPEN).count()


def close_allowed(cycle: Cycle, *, now: datetime) -> None:
    """Reconcile the cycle, then refuse its close while any exception is open."""
    reconcile(cycle, now=now)
    if count := open_exceptions(cycle):
        raise ExceptionsOpen(
            _("%(n)s reconciliation exception(s) of this cycle are open; resolve them before closing it.")
            % {"n": count},
            details={"open": count},
        )


def exception_resolve(*, exception: ReconciliationException, actor: Any, note: str, occurred_at: datetime) -> None:
    """Its owner explains the difference (a note is required); a rerun keeps it resolved."""
    note = note.strip()
    if not note:
        raise ResolutionNeeded()
    with transaction.atomic():
        exception = ReconciliationException.objects.select_for_update().get(pk=exception.pk)
        if exception.status == ReconciliationException.Status.RESOLVED:
            return
        exception.status = ReconciliationException.Status.RESOLVED
        exception.resolved_by, exception.resolved_at, exception.note = actor, occurred_at, note[:300]
        exception.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
        audit_record(
            actor=actor,
            event="aid.reconciliation.resolved",
            occurred_at=occurred_at,
            obj=exception,
            changes={"kind": exception.kind, "amount": exception.amount, "note": exception.note},
        )
