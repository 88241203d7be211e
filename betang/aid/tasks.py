"""Background tasks of aid: crediting an approved cycle, closing one whose unspent funds expire."""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tasks import task

from betang.core.progress import progress_reporter, progress_start


def _start(context, cycle_id: str, actor_id: int | None):
    """The task's cycle and actor; its progress record started under the task's id."""
    from betang.accounts.models import User
    from betang.aid.models import Cycle

    cycle = Cycle.objects.select_related("program").get(pk=cycle_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    task_id = str(context.task_result.id)
    progress_start(task_id=task_id, label=str(cycle), created_by=actor)
    return cycle, actor, task_id


@task(takes_context=True)
def cycle_credit_task(context, *, cycle_id: str, occurred_at: str, actor_id: int | None = None) -> dict:
    from betang.aid.services.cycles import cycle_credit, cycle_credit_stopped

    cycle, actor, task_id = _start(context, cycle_id, actor_id)
    try:
        return cycle_credit(
            cycle=cycle,
            occurred_at=parse_datetime(occurred_at),
            recorded_at=timezone.now(),
            actor=actor,
            progress=progress_reporter(task_id),
        )
    except Exception as exc:  # the page offers to start again; the task itself is marked failed
        cycle_credit_stopped(cycle_id=cycle_id, task_id=task_id, error=exc, actor=actor)
        raise


@task(takes_context=True)
def cycle_close_task(context, *, cycle_id: str, occurred_at: str, actor_id: int | None = None) -> dict:
    from betang.aid.services.cycles import cycle_close

    cycle, actor, task_id = _start(context, cycle_id, actor_id)
    closed = cycle_close(
        cycle=cycle,
        occurred_at=parse_datetime(occurred_at),
        recorded_at=timezone.now(),
        actor=actor,
        progress=progress_reporter(task_id),
    )
    return {"expired": closed.expired_total}
