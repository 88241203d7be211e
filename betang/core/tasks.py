"""Queueing a background task from a service: once the caller's transaction commits, by the task's
dotted path.

Services never import their app's `tasks` module (a task module imports the services it runs, so the
reverse import would be a cycle); they name the task instead, and the worker's module is imported
only when the task is queued. A view that queues outside any transaction goes through the same door.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string


def enqueue_on_commit(task: str, *, then: Callable[[str], None] | None = None, **kwargs: Any) -> None:
    """Queue `task` (its dotted path, e.g. ``"betang.aid.tasks.cycle_credit_task"``) with `kwargs`
    when the current transaction commits (at once outside one); `then` receives the queued task's id
    (to keep it on the row the task works on). A rolled back transaction queues nothing."""

    def enqueue() -> None:
        result = import_string(task).enqueue(**kwargs)
        if then is not None:
            then(str(result.id))

    transaction.on_commit(enqueue)
