"""Progress of a background task, reported by the task and read by pages and the terminal."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from betang.core.models import TaskProgress

ProgressCallback = Callable[[int, int, str], None]


def progress_start(*, task_id: str, label: str, created_by=None) -> TaskProgress:
    progress, _ = TaskProgress.objects.update_or_create(
        task_id=task_id, defaults={"label": label, "created_by": created_by, "done": 0, "total": 0}
    )
    return progress


def progress_reporter(task_id: str) -> ProgressCallback:
    """A callback `(done, total, message)` that stores progress under `task_id`."""

    def report(done: int, total: int, message: str = "") -> None:
        TaskProgress.objects.filter(task_id=task_id).update(
            done=done, total=total, message=message, updated_at=timezone.now()
        )

    return report


def progress_get(task_id: str) -> TaskProgress | None:
    return TaskProgress.objects.filter(task_id=task_id).first()
