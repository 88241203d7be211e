"""Background tasks of aid: drafting a cycle, crediting an approved one, closing one whose unspent
funds expire. A task that fails frees its cycle for a restart and says why (cycle_task_stopped)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tasks import task

from betang.accounts.models import User
from betang.aid.models import Cycle, Program
from betang.aid.services.cycles import cycle_close, cycle_credit, cycle_draft_fill, cycle_task_stopped
from betang.aid.services.distribution import distribution_refresh
from betang.core.progress import progress_reporter, progress_start


def _start(context, cycle_id: str, actor_id: int | None):
    """The task's cycle and actor; its progress record started under the task's id."""
    cycle = Cycle.objects.select_related("program").get(pk=cycle_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    task_id = str(context.task_result.id)
    progress_start(task_id=task_id, label=str(cycle), created_by=actor)
    return cycle, actor, task_id


def _run(context, cycle_id: str, actor_id: int | None, work, *, event: str, field: str = "task_id"):
    cycle, actor, task_id = _start(context, cycle_id, actor_id)
    try:
        return work(cycle, actor, progress_reporter(task_id))
    except Exception as exc:  # the page offers to start again; the task itself is marked failed
        cycle_task_stopped(cycle_id=cycle_id, task_id=task_id, error=exc, actor=actor, event=event, field=field)
        raise


@task(takes_context=True)
def cycle_draft_task(context, *, cycle_id: str, occurred_at: str, actor_id: int | None = None) -> dict:
    def work(cycle, actor, progress):
        drafted = cycle_draft_fill(cycle=cycle, occurred_at=parse_datetime(occurred_at), actor=actor, progress=progress)
        return {"households": drafted.households, "total": drafted.total}

    return _run(context, cycle_id, actor_id, work, event="aid.cycle.draft_stopped")


@task(takes_context=True)
def cycle_credit_task(context, *, cycle_id: str, occurred_at: str, actor_id: int | None = None) -> dict:
    def work(cycle, actor, progress):
        return cycle_credit(
            cycle=cycle,
            occurred_at=parse_datetime(occurred_at),
            recorded_at=timezone.now(),
            actor=actor,
            progress=progress,
        )

    credited = _run(context, cycle_id, actor_id, work, event="aid.cycle.credit_stopped")
    _refresh_distribution(cycle_id)
    return credited


def _refresh_distribution(cycle_id: str) -> None:
    """The credit shows on the distribution view as soon as it is done."""
    distribution_refresh(Cycle.objects.select_related("program").get(pk=cycle_id).program, now=timezone.now())


@task(takes_context=True)
def cycle_close_task(context, *, cycle_id: str, occurred_at: str, actor_id: int | None = None) -> dict:
    def work(cycle, actor, progress):
        closed = cycle_close(
            cycle=cycle,
            occurred_at=parse_datetime(occurred_at),
            recorded_at=timezone.now(),
            actor=actor,
            progress=progress,
        )
        return {"expired": closed.expired_total}

    return _run(context, cycle_id, actor_id, work, event="aid.cycle.close_stopped", field="close_task_id")


@task()
def distribution_refresh_task(*, program_id: str) -> dict:
    """Households, cards and credit of a program's distribution tallies, counted anew."""
    program = Program.objects.get(pk=program_id)
    return {"nodes": distribution_refresh(program, now=timezone.now())}
