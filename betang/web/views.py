"""Pages of the UI kit itself: background task progress, and the file a background export made."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tasks import default_task_backend
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from betang.core import clock
from betang.core.audit import audit_record
from betang.core.exports import export_for
from betang.core.progress import progress_get
from betang.web.access import capability_required

_STATUS = {
    TaskResultStatus.READY: lambda: _("Waiting for the worker"),
    TaskResultStatus.RUNNING: lambda: _("Running"),
    TaskResultStatus.SUCCESSFUL: lambda: _("Finished"),
    TaskResultStatus.FAILED: lambda: _("Failed"),
}


@capability_required("tasks.view")
def task_progress_view(request, task_id: str):
    progress = progress_get(task_id)
    if progress is None or (progress.created_by_id != request.user.pk and not request.user.is_superuser):
        raise Http404
    try:
        result = default_task_backend.get_result(task_id)
        status = result.status
        error = (
            _("The task failed; the administrator can see the details.") if status == TaskResultStatus.FAILED else ""
        )
    except (TaskResultDoesNotExist, NotImplementedError):
        # The in-process backend keeps no results: whatever reported progress has already finished.
        status, error = TaskResultStatus.SUCCESSFUL, ""
    context = {
        "progress": progress,
        "status": status,
        "status_label": _STATUS.get(status, lambda: str(status))(),
        "finished": status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED),
        "error": error,
        "export": export_for(request.user, task_id=task_id),  # the asker's own file, once made
    }
    template = "web/_task_progress.html" if request.GET.get("partial") else "web/task_progress.html"
    return render(request, template, context)


@capability_required("tasks.view")
def export_download_view(request, pk):
    """The file a background export made, to the user who asked for it only (anyone else: 404); every
    download is audited, as the export page's own download is."""
    export = export_for(request.user, pk=pk)
    if export is None or export.finished_at is None or not export.file:
        raise Http404
    audit_record(
        actor=request.user,
        event="core.export.downloaded",
        occurred_at=clock.now(),
        obj=export,
        region_code=export.region_code,
        changes={
            "kind": [None, export.kind],
            "rows": [None, export.rows],
            "full_identifiers": [None, export.full_identifiers],
        },
    )
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
