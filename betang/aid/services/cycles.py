"""Cycles: draft (eligibility re-checked, entitlements computed) → submitted → approved by other
users, within the budget → credited set-based, exactly once → closed."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.aid import posting
from betang.aid.models import Cycle, CycleApproval, Enrolment, Entitlement, Program
from betang.aid.services.programs import enrolments_review
from betang.core.audit import audit_record
from betang.core.bulk import bulk_insert
from betang.core.errors import DomainError, PermissionDenied
from betang.core.progress import ProgressCallback
from betang.ledger import selectors as ledger
from betang.ledger.services import EntrySpec, InsufficientFunds, accounts_open_many, journal_post_many
from betang.registry import selectors as registry

CHUNK = 20_000
QUEUED = "queued"  # Cycle.task_id between the click and the task's own id


class CycleError(DomainError):
    code = "aid.cycle"
    http_status = 409


class OverBudget(CycleError):
    code = "aid.cycle.over_budget"
    message = gettext_lazy("The cycle would exceed the program's remaining budget.")


def _add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _state(cycle: Cycle, *allowed: str) -> None:
    if cycle.status not in allowed:
        raise CycleError(
            _("The cycle is %(status)s; this needs it %(allowed)s.")
            % {"status": cycle.get_status_display(), "allowed": " / ".join(str(Cycle.Status(s).label) for s in allowed)}
        )


def cycle_draft(*, program: Program, occurred_at: datetime, actor: Any, period_start: date | None = None) -> Cycle:
    """A new cycle: eligibility re-checked (who joined, who left, why), every entitlement computed."""
    with transaction.atomic():
        last = Cycle.objects.filter(program=program).order_by("-number").first()
        if last is not None and last.status not in (Cycle.Status.CREDITED, Cycle.Status.CLOSED):
            raise CycleError(_("Cycle %(n)s is not credited yet.") % {"n": last.number})
        start = period_start or (last.period_end + timedelta(days=1) if last else occurred_at.date().replace(day=1))
        review = enrolments_review(program=program, occurred_at=occurred_at, actor=actor)
        cycle = Cycle.objects.create(
            program=program,
            number=(last.number + 1) if last else 1,
            period_start=start,
            period_end=_add_months(start, program.cycle_months) - timedelta(days=1),
            eligibility_changes=review.as_dict(),
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=occurred_at,
        )
        enrolments = list(
            Enrolment.objects.filter(program=program, status=Enrolment.Status.ACTIVE).values_list("id", "household_id")
        )
        pockets = list(program.pockets.all())
        needs_members = any(p.amount_per_member for p in pockets)
        rows, households, total = [], 0, 0
        for start_at in range(0, len(enrolments), CHUNK):
            part = enrolments[start_at : start_at + CHUNK]
            members = registry.member_counts([h for _e, h in part]) if needs_members else {}
            for enrolment_id, household_id in part:
                amounts = [(p, p.entitlement(members.get(household_id, 0))) for p in pockets]
                if any(a > 0 for _p, a in amounts):
                    households += 1
                for p, a in amounts:
                    if a > 0:
                        rows.append((cycle.pk, enrolment_id, p.pk, a))
                        total += a
        bulk_insert(Entitlement, ["cycle", "enrolment", "pocket", "amount"], rows)
        cycle.households, cycle.total = households, total
        cycle.save(update_fields=["households", "total"])
        audit_record(
            actor=actor,
            event="aid.cycle.drafted",
            occurred_at=occurred_at,
            obj=cycle,
            changes={"households": households, "total": cycle.total},
        )
    return cycle


def cycle_submit(*, cycle: Cycle, actor: Any, occurred_at: datetime) -> Cycle:
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        _state(cycle, Cycle.Status.DRAFT)
        cycle.status, cycle.submitted_by, cycle.submitted_at = Cycle.Status.SUBMITTED, actor, occurred_at
        cycle.save(update_fields=["status", "submitted_by", "submitted_at"])
        audit_record(actor=actor, event="aid.cycle.submitted", occurred_at=occurred_at, obj=cycle)
    return cycle


def approvals_needed(cycle: Cycle) -> int:
    program = cycle.program
    extra = 1 if program.extra_approval_above and cycle.total > program.extra_approval_above else 0
    return max(program.approvals_required, 1) + extra


def budget_available(program: Program, *, excluding: Cycle | None = None) -> int:
    """The budget's balance less what approved cycles will still take from it."""
    balance = ledger.account_balance(program.budget_account_id)
    pending = Cycle.objects.filter(program=program, status__in=[Cycle.Status.APPROVED, Cycle.Status.CREDITING])
    if excluding is not None:
        pending = pending.exclude(pk=excluding.pk)
    return balance - (pending.aggregate(total=Sum("total"))["total"] or 0)


def cycle_approve(*, cycle: Cycle, actor: Any, occurred_at: datetime) -> Cycle:
    """One approval; the cycle is approved when enough different users (not its submitter) agree."""
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        _state(cycle, Cycle.Status.SUBMITTED)
        if actor.pk in (cycle.submitted_by_id, cycle.created_by_id):
            raise PermissionDenied(_("A cycle is approved by someone other than who prepared or submitted it."))
        if cycle.approvals.filter(approver=actor).exists():
            raise CycleError(_("You have already approved this cycle."))
        available = budget_available(cycle.program, excluding=cycle)
        if cycle.total > available:
            raise OverBudget(details={"total": cycle.total, "available": available})
        CycleApproval.objects.create(cycle=cycle, approver=actor, approved_at=occurred_at)
        if cycle.approvals.count() >= approvals_needed(cycle):
            cycle.status = Cycle.Status.APPROVED
            cycle.save(update_fields=["status"])
        audit_record(
            actor=actor,
            event="aid.cycle.approved",
            occurred_at=occurred_at,
            obj=cycle,
            changes={"approvals": cycle.approvals.count(), "needed": approvals_needed(cycle)},
        )
    return cycle


def cycle_credit(
    *,
    cycle: Cycle,
    occurred_at: datetime,
    recorded_at: datetime,
    actor: Any = None,
    progress: ProgressCallback | None = None,
) -> dict[str, int]:
    """Credit every household's entitlement, set-based, in chunks; each household's entry has its own
    idempotency key, so a crash and a rerun credit everyone exactly once. A credited cycle is refused."""
    report = progress or (lambda done, total, message: None)
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        _state(cycle, Cycle.Status.APPROVED, Cycle.Status.CREDITING)
        _previous_closed_if_expiring(cycle)
        cycle.status = Cycle.Status.CREDITING
        cycle.save(update_fields=["status"])
    program = cycle.program
    codes = dict(program.pockets.values_list("pk", "code"))
    created = replayed = 0
    for part in _entitlement_pages(cycle, households=CHUNK, pockets=max(len(codes), 1)):
        by_household: dict[Any, list[tuple[str, str, int]]] = defaultdict(list)
        for household_id, region, pocket_id, amount in part:
            by_household[household_id].append((region, codes[pocket_id], amount))
        wallets = accounts_open_many(
            [
                posting.wallet_account(program.code, h, pocket, region)
                for h, lines in by_household.items()
                for region, pocket, _amount in lines
            ],
            occurred_at=occurred_at,
        )
        specs = [
            EntrySpec(
                key=f"aid:credit:{cycle.pk}:{h}",
                kind="aid.cycle.credit",
                legs=posting.credit_legs(
                    {wallets[posting.wallet_key(program.code, h, pocket)]: amount for _r, pocket, amount in lines},
                    budget=program.budget_account_id,
                ),
                memo=f"{program.code} #{cycle.number}",
            )
            for h, lines in by_household.items()
        ]
        result = journal_post_many(entries=specs, occurred_at=occurred_at, recorded_at=recorded_at, actor=actor)
        created, replayed = created + result.created, replayed + result.replayed
        report(created + replayed, cycle.households, str(cycle))
    with transaction.atomic():
        Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.CREDITED, credited_at=recorded_at)
        audit_record(
            actor=actor,
            event="aid.cycle.credited",
            occurred_at=occurred_at,
            obj=cycle,
            changes={"households": created + replayed, "posted_now": created},
        )
    return {"households": created + replayed, "posted": created, "already_posted": replayed}


def _previous_closed_if_expiring(cycle: Cycle) -> None:
    """Where unspent funds expire, the previous cycle is closed (its wallets swept) before new money lands."""
    if cycle.program.unspent != Program.Unspent.EXPIRE:
        return
    previous = Cycle.objects.filter(program=cycle.program, number=cycle.number - 1).first()
    if previous is not None and previous.status != Cycle.Status.CLOSED:
        raise CycleError(
            _("Close cycle %(n)s first: its unspent funds expire before this cycle is credited.")
            % {"n": previous.number}
        )


def cycle_credit_enqueue(*, cycle: Cycle, actor: Any, occurred_at: datetime) -> Cycle:
    """Queue the credit of an approved cycle as a background task (its progress shows on the page)."""
    from betang.aid.tasks import cycle_credit_task

    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        _state(cycle, Cycle.Status.APPROVED)
        _previous_closed_if_expiring(cycle)
        if cycle.task_id:
            raise CycleError(_("The credit of this cycle is already queued."))
        cycle.task_id = QUEUED  # a second click finds it queued; the task's id replaces it on commit
        cycle.save(update_fields=["task_id"])
        audit_record(actor=actor, event="aid.cycle.credit_queued", occurred_at=occurred_at, obj=cycle)

        def enqueue() -> None:
            result = cycle_credit_task.enqueue(
                cycle_id=str(cycle.pk), occurred_at=occurred_at.isoformat(), actor_id=getattr(actor, "pk", None)
            )
            Cycle.objects.filter(pk=cycle.pk, task_id=QUEUED).update(task_id=str(result.id))

        transaction.on_commit(enqueue)
    return cycle


def cycle_close(*, cycle: Cycle, actor: Any, occurred_at: datetime, recorded_at: datetime) -> Cycle:
    """Close a credited cycle. Where the program's unspent funds expire, every wallet of the program
    still holding money is swept back to the budget first (one entry per wallet, keyed by the cycle:
    a rerun after a crash sweeps only what is left). A payment racing the sweep of its wallet makes
    that page be read and swept again."""
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        _state(cycle, Cycle.Status.CREDITED)
    program = cycle.program
    swept = 0
    if program.unspent == Program.Unspent.EXPIRE:
        prefix, after = posting.wallet_prefix(program.code), 0
        while page := ledger.positive_kept_balances(prefix, after_id=after, limit=CHUNK):
            for attempt in range(5):
                try:
                    journal_post_many(
                        entries=[
                            EntrySpec(
                                key=f"aid:expire:{cycle.pk}:{account_id}",
                                kind="aid.cycle.expire",
                                legs=posting.sweep_legs({account_id: balance}, budget=program.budget_account_id),
                                memo=f"{program.code} #{cycle.number}",
                            )
                            for account_id, balance in page
                        ],
                        occurred_at=occurred_at,
                        recorded_at=recorded_at,
                        actor=actor,
                    )
                    break
                except InsufficientFunds:  # a payment took from a wallet meanwhile: read the page again
                    if attempt == 4:
                        raise
                    page = ledger.positive_kept_balances(prefix, after_id=after, limit=CHUNK)
            swept += sum(balance for _account, balance in page)
            after = page[-1][0]
    with transaction.atomic():
        Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.CLOSED, closed_at=recorded_at, expired_total=swept)
        audit_record(
            actor=actor, event="aid.cycle.closed", occurred_at=occurred_at, obj=cycle, changes={"expired": swept}
        )
    cycle.refresh_from_db()
    return cycle


def _entitlement_pages(cycle: Cycle, *, households: int, pockets: int):
    """The cycle's entitlements as (household, village, pocket, amount), `households` whole households
    a page, in enrolment order (a keyset walk: memory stays flat whatever the program's size)."""
    after = None
    while True:
        rows = Entitlement.objects.filter(cycle=cycle).order_by("enrolment_id")
        if after is not None:
            rows = rows.filter(enrolment_id__gt=after)
        # One household more than asked for: every household before the last one seen is then whole.
        fetched = rows.values_list(
            "enrolment_id", "enrolment__household_id", "enrolment__region_code", "pocket_id", "amount"
        )[: (households + 1) * pockets]
        page, seen = [], []
        for row in fetched:
            if not seen or seen[-1] != row[0]:
                if len(seen) == households:
                    break
                seen.append(row[0])
            page.append(row[1:])
        if not page:
            return
        after = seen[-1]
        yield page
