"""Cycles: draft (eligibility re-checked, entitlements computed) → submitted → approved by other
users, within the budget → credited set-based, exactly once → closed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.aid import posting
from betang.aid.models import Cycle, CycleApproval, Enrolment, Entitlement, Program
from betang.aid.selectors import budget_available
from betang.aid.services.programs import enrolments_review, rule_text
from betang.aid.services.reconciliation import close_allowed, window_end_at_close
from betang.core import clock
from betang.core.audit import audit_record
from betang.core.bulk import bulk_insert
from betang.core.errors import DomainError, PermissionDenied
from betang.core.ids import uuid_param
from betang.core.months import add_months
from betang.core.progress import ProgressCallback, progress_get
from betang.core.tasks import enqueue_on_commit
from betang.ledger import selectors as ledger
from betang.ledger.services import (
    BulkPosted,
    EntrySpec,
    InsufficientFunds,
    LegsQuery,
    accounts_open_many,
    journal_post_many,
    journal_post_query,
)
from betang.registry import selectors as registry

CHUNK = 20_000
STALE_AFTER = timedelta(minutes=10)  # a credit task silent this long is taken for dead
CREDIT_WORKERS = 2  # parallel batches of a cycle credit on PostgreSQL (measured: bench/bench_aid.py)
QUEUED = "queued"  # Cycle.task_id between the click and the task's own id


class CycleError(DomainError):
    code = "aid.cycle"
    http_status = 409


class OverBudget(CycleError):
    code = "aid.cycle.over_budget"
    message = gettext_lazy("The cycle would exceed the program's remaining budget.")


def _state(cycle: Cycle, *allowed: str) -> None:
    if cycle.status not in allowed:
        raise CycleError(
            _("The cycle is %(status)s; this needs it %(allowed)s.")
            % {"status": cycle.get_status_display(), "allowed": " / ".join(str(Cycle.Status(s).label) for s in allowed)}
        )


def cycle_draft(*, program: Program, occurred_at: datetime, actor: Any, period_start: date | None = None) -> Cycle:
    """A new cycle, drafted here and now (the demo, the bench, tests): see cycle_draft_enqueue."""
    with transaction.atomic():
        cycle = _draft_start(program=program, occurred_at=occurred_at, actor=actor, period_start=period_start)
    return cycle_draft_fill(cycle=cycle, occurred_at=occurred_at, actor=actor)


def cycle_draft_enqueue(*, program: Program, occurred_at: datetime, actor: Any) -> Cycle:
    """The next cycle, reserved now as DRAFTING and drafted by a background task (a province's
    cycle checks and computes hundreds of thousands of households; the page follows its progress)."""
    with transaction.atomic():
        cycle = _draft_start(program=program, occurred_at=occurred_at, actor=actor)
        _queue("betang.aid.tasks.cycle_draft_task", cycle, "task_id", actor=actor, occurred_at=occurred_at)
    return cycle


def _draft_start(*, program: Program, occurred_at: datetime, actor: Any, period_start: date | None = None) -> Cycle:
    """The next cycle's row, DRAFTING: its number and period taken (the program's row locked, so two
    officers drafting at once get one cycle and a refusal)."""
    Program.objects.select_for_update().filter(pk=program.pk).first()
    last = Cycle.objects.filter(program=program).order_by("-number").first()
    if last is not None and last.status not in (Cycle.Status.CREDITED, Cycle.Status.CLOSED):
        raise CycleError(
            _("Cycle %(n)s is %(status)s; the next is drafted once it is credited.")
            % {"n": last.number, "status": last.get_status_display()}
        )
    start = period_start or (last.period_end + timedelta(days=1) if last else occurred_at.date().replace(day=1))
    cycle = Cycle.objects.create(
        program=program,
        number=(last.number + 1) if last else 1,
        period_start=start,
        period_end=add_months(start, program.cycle_months) - timedelta(days=1),
        status=Cycle.Status.DRAFTING,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=occurred_at,
    )
    audit_record(
        actor=actor,
        event="aid.cycle.draft_started",
        occurred_at=occurred_at,
        obj=cycle,
        region_code=cycle.program.region_code,
    )
    return cycle


def cycle_draft_fill(
    *, cycle: Cycle, occurred_at: datetime, actor: Any, progress: ProgressCallback | None = None
) -> Cycle:
    """Draft a DRAFTING cycle: eligibility re-checked under the program's rule of now (who joined, who
    left, why), then every active enrolment's entitlement computed and its wallets opened, CHUNK
    households a transaction (a rerun after a crash starts the entitlements over). Each such part is
    one credit batch: the credit posts it as one ledger entry. The cycle becomes a DRAFT, ready to
    submit, only when all of it is written."""
    report = progress or (lambda done, total, message: None)
    cycle = Cycle.objects.select_related("program").get(pk=cycle.pk)
    _state(cycle, Cycle.Status.DRAFTING)
    program = cycle.program
    report(0, 0, _("checking eligibility"))
    Entitlement.objects.filter(cycle=cycle).delete()
    review = enrolments_review(program=program, occurred_at=occurred_at, actor=actor)
    Cycle.objects.filter(pk=cycle.pk).update(eligibility_changes=review.as_dict() | {"rule": rule_text(program)})
    enrolments = list(
        Enrolment.objects.filter(program=program, status=Enrolment.Status.ACTIVE)
        .order_by("id")
        .values_list("id", "household_id", "region_code")
    )
    pockets = list(program.pockets.all())
    needs_members = any(p.amount_per_member for p in pockets)
    households = total = written = 0
    for start_at in range(0, len(enrolments), CHUNK):
        part = enrolments[start_at : start_at + CHUNK]
        members = registry.member_counts([h for _e, h, _r in part]) if needs_members else {}
        rows = []
        for enrolment_id, household_id, region in part:
            amounts = [(p, p.entitlement(members.get(household_id, 0))) for p in pockets]
            if any(a > 0 for _p, a in amounts):
                households += 1
            rows += [(enrolment_id, household_id, region, p, a) for p, a in amounts if a > 0]
        with transaction.atomic():
            # Each household's wallets are opened now (once: a later cycle finds them), so that the
            # credit reads its legs from the entitlements alone.
            wallets = accounts_open_many(
                [posting.wallet_account(program.code, h, p.code, r) for _e, h, r, p, _a in rows],
                occurred_at=occurred_at,
            )
            bulk_insert(
                Entitlement,
                ["cycle", "enrolment", "pocket", "amount", "wallet", "batch"],
                (
                    (cycle.pk, e, p.pk, a, wallets[posting.wallet_key(program.code, h, p.code)], start_at // CHUNK)
                    for e, h, _r, p, a in rows
                ),
            )
        total += sum(a for *_rest, a in rows)
        written += len(rows)
        report(start_at + len(part), len(enrolments), str(cycle))
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().filter(pk=cycle.pk, status=Cycle.Status.DRAFTING)
        # A second run of the same draft (restarted while this one was thought dead) would have
        # mixed its rows with these: the cycle becomes a draft only with exactly what this run wrote.
        if not locked.exists() or Entitlement.objects.filter(cycle=cycle).count() != written:
            raise CycleError(_("The draft was changed while it ran; draft it again."))
        locked.update(status=Cycle.Status.DRAFT, households=households, total=total, task_id="", task_error="")
        audit_record(
            actor=actor,
            event="aid.cycle.drafted",
            occurred_at=occurred_at,
            obj=cycle,
            region_code=cycle.program.region_code,
            changes={"households": households, "total": total},
        )
    cycle.refresh_from_db()
    return cycle


def cycle_draft_restart(*, cycle: Cycle, actor: Any, occurred_at: datetime) -> Cycle:
    """Draft again a cycle whose draft task stopped (or whose worker went silent)."""
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        _state(cycle, Cycle.Status.DRAFTING)
        if not task_restartable(cycle):
            raise CycleError(_("The draft of this cycle is still running."))
        _requeue(
            "betang.aid.tasks.cycle_draft_task",
            cycle,
            "task_id",
            "aid.cycle.draft_queued",
            actor=actor,
            occurred_at=occurred_at,
        )
    return cycle


def cycle_discard(*, cycle: Cycle, actor: Any, occurred_at: datetime) -> None:
    """Throw a draft away (its figures are wrong, the rule has changed since): the cycle and its
    entitlements go, its number is taken by the next draft. The enrolments its review changed stay
    as they are now (the audit keeps its counts); wallets it opened stay empty."""
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        _state(cycle, Cycle.Status.DRAFTING, Cycle.Status.DRAFT)
        if cycle.status == Cycle.Status.DRAFTING and not task_restartable(cycle):
            raise CycleError(_("The draft of this cycle is still running."))
        audit_record(
            actor=actor,
            event="aid.cycle.discarded",
            occurred_at=occurred_at,
            obj=cycle,
            region_code=cycle.program.region_code,
            changes={"number": cycle.number, "households": cycle.households, "total": cycle.total},
        )
        Entitlement.objects.filter(cycle=cycle).delete()
        cycle.delete()


def cycle_return(*, cycle: Cycle, actor: Any, occurred_at: datetime, note: str = "") -> Cycle:
    """A checker sends a submitted cycle back to its maker (to fix, or discard and draft again):
    its approvals so far are withdrawn; why is audited."""
    note = " ".join(note.split())
    if not note:
        raise CycleError(_("Say why the cycle goes back."))
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        _state(cycle, Cycle.Status.SUBMITTED)
        if actor.pk in (cycle.submitted_by_id, cycle.created_by_id):
            raise PermissionDenied(_("A cycle is checked by someone other than who prepared or submitted it."))
        cycle.approvals.all().delete()
        cycle.status, cycle.submitted_by, cycle.submitted_at = Cycle.Status.DRAFT, None, None
        cycle.save(update_fields=["status", "submitted_by", "submitted_at"])
        audit_record(
            actor=actor,
            event="aid.cycle.returned",
            occurred_at=occurred_at,
            obj=cycle,
            region_code=cycle.program.region_code,
            changes={"reason": note},
        )
    return cycle


def cycle_submit(*, cycle: Cycle, actor: Any, occurred_at: datetime) -> Cycle:
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        _state(cycle, Cycle.Status.DRAFT)
        cycle.status, cycle.submitted_by, cycle.submitted_at = Cycle.Status.SUBMITTED, actor, occurred_at
        cycle.save(update_fields=["status", "submitted_by", "submitted_at"])
        audit_record(
            actor=actor,
            event="aid.cycle.submitted",
            occurred_at=occurred_at,
            obj=cycle,
            region_code=cycle.program.region_code,
        )
    return cycle


def approvals_needed(cycle: Cycle) -> int:
    program = cycle.program
    extra = 1 if program.extra_approval_above and cycle.total > program.extra_approval_above else 0
    return max(program.approvals_required, 1) + extra


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
            region_code=cycle.program.region_code,
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
    """Credit every household's entitlement: one ledger entry per batch of households fixed at the
    draft (Dr the budget their sum, Cr each household's pocket wallets), posted set-based by the
    ledger straight from the entitlements, a batch a transaction. Each entry's idempotency key names
    the cycle and the batch, so a crash and a rerun credit everyone exactly once. A credited cycle is
    refused."""
    report = progress or (lambda done, total, message: None)
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        _state(cycle, Cycle.Status.APPROVED, Cycle.Status.CREDITING)
        _previous_closed_if_expiring(cycle)
        cycle.status = Cycle.Status.CREDITING
        cycle.save(update_fields=["status"])
    _open_missing_wallets(cycle)
    households = _batch_households(cycle)

    def post(batch: int) -> tuple[int, BulkPosted]:
        return batch, journal_post_query(
            legs=_credit_legs(cycle, batch),
            kind="aid.cycle.credit",
            memo=f"{cycle.program.code} #{cycle.number}",
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            actor=actor,
        )

    posted = already = 0
    for batch, result in _in_parallel(post, sorted(households)):
        if result.created:
            posted += households[batch]
        else:
            already += households[batch]
        report(posted + already, cycle.households, str(cycle))
    with transaction.atomic():
        # When the money reached the wallets (the entries' business time), as the cards' statements show it.
        Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.CREDITED, credited_at=occurred_at)
        audit_record(
            actor=actor,
            event="aid.cycle.credited",
            occurred_at=occurred_at,
            obj=cycle,
            region_code=cycle.program.region_code,
            changes={"households": posted + already, "posted_now": posted, "entries": len(households)},
        )
    return {"households": posted + already, "posted": posted, "already_posted": already}


def _in_parallel(fn: Callable[[Any], Any], batches: list[Any]) -> Iterator[Any]:
    """fn over the batches, each in its own transaction; on PostgreSQL CREDIT_WORKERS at a time, each
    in its own connection (they wait for each other only on the budget's row, at each batch's end).
    Inside a caller's transaction, or on SQLite (one writer), one after the other on this connection."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or CREDIT_WORKERS < 2:
        for batch in batches:
            yield fn(batch)
        return

    def own_connection(batch: Any) -> Any:
        try:
            return fn(batch)
        finally:
            connection.close()  # this thread's own

    with ThreadPoolExecutor(max_workers=CREDIT_WORKERS, thread_name_prefix="credit") as pool:
        futures = [pool.submit(own_connection, batch) for batch in batches]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:  # a failed batch stops those not started; the rest finish
                future.cancel()


def _batch_households(cycle: Cycle) -> dict[int, int]:
    """Each credit batch of the cycle and its number of households."""
    rows = (
        Entitlement.objects.filter(cycle=cycle)
        .values("batch")
        .annotate(households=Count("enrolment_id", distinct=True))
        .values_list("batch", "households")
    )
    return dict(rows)


def _credit_legs(cycle: Cycle, batch: int) -> LegsQuery:
    """The legs of the entry `aid:credit:<cycle>:b<batch>`: a credit to each pocket wallet of the
    batch's households and a debit of their sum to the program's budget."""
    entitlement = connection.ops.quote_name(Entitlement._meta.db_table)
    source = f"{entitlement} WHERE cycle_id = %s AND batch = %s"
    params = [uuid_param(cycle.pk), batch]
    key = f"aid:credit:{cycle.pk}:b{batch}"
    return LegsQuery(
        f"SELECT CAST(%s AS text), wallet_id, -amount FROM {source} "  # noqa: S608 - names from model meta
        f"UNION ALL SELECT CAST(%s AS text), %s, sum(amount) FROM {source}",
        [key, *params, key, cycle.program.budget_account_id, *params],
    )


def _open_missing_wallets(cycle: Cycle) -> None:
    """Entitlements drafted before wallets were opened with them (older databases) get theirs now."""
    code = cycle.program.code
    missing = Entitlement.objects.filter(cycle=cycle, wallet__isnull=True).select_related("enrolment", "pocket")
    while rows := list(missing[:CHUNK]):
        wallets = accounts_open_many(
            [
                posting.wallet_account(code, e.enrolment.household_id, e.pocket.code, e.enrolment.region_code)
                for e in rows
            ],
            occurred_at=cycle.created_at,
        )
        for e in rows:
            e.wallet_id = wallets[posting.wallet_key(code, e.enrolment.household_id, e.pocket.code)]
        Entitlement.objects.bulk_update(rows, ["wallet"], batch_size=500)


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


def is_placeholder(task_id: str) -> bool:
    """Whether a cycle's task field holds the placeholder of a task not handed to the queue yet."""
    return task_id.startswith(QUEUED)


def _placeholder(at: datetime) -> str:
    return f"{QUEUED}@{at.isoformat(timespec='seconds')}"


def task_restartable(cycle: Cycle) -> bool:
    """Whether the cycle's draft or credit may be (re)started: a DRAFTING or approved cycle with no
    task, one whose task stopped on an error (the task cleared itself), one whose worker reported
    nothing for STALE_AFTER (a worker killed mid-way), or one whose task never reached the queue
    in that time (the process died between the click and the hand-over). What was done already is
    skipped or redone by the rerun."""
    if cycle.status not in (Cycle.Status.DRAFTING, Cycle.Status.APPROVED, Cycle.Status.CREDITING):
        return False
    return _task_gone(cycle.task_id)


def close_restartable(cycle: Cycle) -> bool:
    """The same for the close of a credited cycle whose unspent funds expire."""
    return cycle.status == Cycle.Status.CREDITED and _task_gone(cycle.close_task_id)


def _task_gone(task_id: str) -> bool:
    if not task_id:
        return True
    stale = clock.now() - STALE_AFTER
    if is_placeholder(task_id):
        queued_at = parse_datetime(task_id.partition("@")[2])
        return queued_at is not None and queued_at < stale
    progress = progress_get(task_id)  # none yet: the task waits for a worker
    return progress is not None and progress.updated_at < stale


def cycle_credit_enqueue(*, cycle: Cycle, actor: Any, occurred_at: datetime) -> Cycle:
    """Queue the credit of an approved cycle as a background task (its progress shows on the page);
    again for a credit that stopped (see task_restartable)."""
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        _state(cycle, Cycle.Status.APPROVED, Cycle.Status.CREDITING)
        _previous_closed_if_expiring(cycle)
        if not task_restartable(cycle):
            raise CycleError(_("The credit of this cycle is already queued."))
        _requeue(
            "betang.aid.tasks.cycle_credit_task",
            cycle,
            "task_id",
            "aid.cycle.credit_queued",
            actor=actor,
            occurred_at=occurred_at,
        )
    return cycle


def _requeue(task: str, cycle: Cycle, field: str, event: str, *, actor: Any, occurred_at: datetime) -> None:
    """Queue a cycle's task (again): the last task's error cleared, the click audited."""
    cycle.task_error = ""
    _queue(task, cycle, field, actor=actor, occurred_at=occurred_at, also=("task_error",))
    audit_record(actor=actor, event=event, occurred_at=occurred_at, obj=cycle, region_code=cycle.program.region_code)


def _queue(
    task: str, cycle: Cycle, field: str, *, actor: Any, occurred_at: datetime, also: tuple[str, ...] = ()
) -> None:
    """Mark the cycle's task `field` QUEUED now (a second click finds it queued) and enqueue the task
    once this transaction commits; the task's own id then replaces the placeholder."""
    placeholder = _placeholder(clock.now())
    setattr(cycle, field, placeholder)
    cycle.save(update_fields=[field, *also])

    def queued(task_id: str) -> None:
        Cycle.objects.filter(pk=cycle.pk, **{field: placeholder}).update(**{field: task_id})

    enqueue_on_commit(
        task,
        then=queued,
        cycle_id=str(cycle.pk),
        occurred_at=occurred_at.isoformat(),
        actor_id=getattr(actor, "pk", None),
    )


def cycle_task_stopped(
    *,
    cycle_id: Any,
    task_id: str,
    error: BaseException,
    actor: Any = None,
    event: str = "aid.cycle.credit_stopped",
    field: str = "task_id",
) -> None:
    """The draft, credit or close task failed: free the cycle for a restart and say why (a domain
    refusal in its own words, anything else as a worker error, its details left to the logs)."""
    reason = error.message if isinstance(error, DomainError) else _("The worker stopped on an error.")
    # The placeholder too: a task can start, and stop, before its id replaces the placeholder.
    Cycle.objects.filter(Q(**{field: task_id}) | Q(**{f"{field}__startswith": QUEUED}), pk=cycle_id).update(
        **{field: ""}, task_error=str(reason)[:300]
    )
    audit_record(
        actor=actor,
        event=event,
        occurred_at=clock.now(),
        obj=Cycle.objects.get(pk=cycle_id),
        changes={"reason": str(reason)},
    )


def cycle_close_enqueue(*, cycle: Cycle, actor: Any, occurred_at: datetime) -> Cycle:
    """Close a credited cycle: at once where unspent funds carry over (nothing moves), as a background
    task where they expire (every wallet holding money is swept; its progress shows on the page)."""
    _state(cycle, Cycle.Status.CREDITED)
    close_allowed(cycle, now=clock.now())
    if cycle.program.unspent != Program.Unspent.EXPIRE:
        return cycle_close(cycle=cycle, actor=actor, occurred_at=occurred_at, recorded_at=clock.now())
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        _state(cycle, Cycle.Status.CREDITED)
        if not close_restartable(cycle):
            raise CycleError(_("The close of this cycle is already queued."))
        _requeue(
            "betang.aid.tasks.cycle_close_task",
            cycle,
            "close_task_id",
            "aid.cycle.close_queued",
            actor=actor,
            occurred_at=occurred_at,
        )
    return cycle


def cycle_close(
    *,
    cycle: Cycle,
    actor: Any,
    occurred_at: datetime,
    recorded_at: datetime,
    progress: ProgressCallback | None = None,
) -> Cycle:
    """Close a credited cycle. Where the program's unspent funds expire, every wallet of the program
    still holding money is swept back to the budget first (one entry per wallet, keyed by the cycle:
    a rerun after a crash sweeps only what is left). A payment racing the sweep of its wallet makes
    that page be read and swept again."""
    report = progress or (lambda done, total, message: None)
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("program").get(pk=cycle.pk)
        _state(cycle, Cycle.Status.CREDITED)
    close_allowed(cycle, now=recorded_at)  # the four-way reconciliation: no open exception
    program = cycle.program
    swept = done = 0
    if program.unspent == Program.Unspent.EXPIRE:
        prefix, after = posting.wallet_prefix(program.code), 0
        total = ledger.positive_kept_count(prefix)
        report(0, total, str(cycle))
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
            done += len(page)
            after = page[-1][0]
            report(done, total, str(cycle))
    with transaction.atomic():
        Cycle.objects.filter(pk=cycle.pk).update(
            status=Cycle.Status.CLOSED,
            closed_at=recorded_at,
            expired_total=swept,
            window_end_at=window_end_at_close(cycle, occurred_at=occurred_at),
        )
        audit_record(
            actor=actor,
            event="aid.cycle.closed",
            occurred_at=occurred_at,
            obj=cycle,
            region_code=cycle.program.region_code,
            changes={"expired": swept},
        )
    cycle.refresh_from_db()
    return cycle
