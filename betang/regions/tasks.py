"""Background tasks of regions: the reference load, with progress for its page."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from django_tasks import task

from betang.core.progress import progress_reporter
from betang.regions.services import regions_load


@task(takes_context=True)
def regions_load_task(context, *, occurred_at: str, actor_id: int | None = None) -> dict:
    from django.contrib.auth import get_user_model  # the user model is resolved at run time

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    result = regions_load(
        occurred_at=parse_datetime(occurred_at),
        actor=actor,
        progress=progress_reporter(str(context.task_result.id)),
    )
    return result.as_dict()
