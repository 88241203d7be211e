"""Large exports made by the task worker: one `ExportFile` per request, its file in the private media
storage, downloadable only by the user who asked. Which rows and how they are written is the app's; this
module starts, finishes and hands out the file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from betang.core.models import ExportFile
from betang.core.progress import progress_start


def export_start(
    *,
    kind: str,
    label: str,
    filename: str,
    params: dict[str, Any],
    full_identifiers: bool,
    user: Any,
    region_code: str,
    enqueue: Callable[[str], Any],
    occurred_at: datetime,
) -> ExportFile:
    """Record what to export and queue `enqueue(export_id)`; the progress page follows the task."""
    with transaction.atomic():
        export = ExportFile.objects.create(
            kind=kind,
            label=label,
            filename=filename,
            params=params,
            full_identifiers=full_identifiers,
            created_by=user,
            region_code=region_code,
            created_at=occurred_at,
        )
        result = enqueue(str(export.pk))
        task_id = str(result.id)
        # An update, not a save: an in-process backend has already run the task and finished the row.
        ExportFile.objects.filter(pk=export.pk).update(task_id=task_id)
        progress_start(task_id=task_id, label=label, created_by=user)
    export.task_id = task_id
    return export


def export_target(export: ExportFile) -> Path:
    """Where the task writes the file (the private media storage; nothing serves it by URL)."""
    name = f"exports/{export.pk}.xlsx"
    path = Path(default_storage.path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def export_finish(export: ExportFile, *, rows: int, occurred_at: datetime) -> None:
    """The file is made: its name kept, the export's parameters (a search may hold a NIK) forgotten."""
    export.file.name = f"exports/{export.pk}.xlsx"
    export.rows = rows
    export.params = {}
    export.finished_at = occurred_at
    export.save(update_fields=["file", "rows", "params", "finished_at"])


def export_for(user: Any, *, task_id: str = "", pk: Any = None) -> ExportFile | None:
    """The user's own export of that task or id; anyone else's is none."""
    if not getattr(user, "pk", None):
        return None
    qs = ExportFile.objects.filter(created_by=user)
    qs = qs.filter(task_id=task_id) if task_id else qs.filter(pk=pk)
    return qs.first()
