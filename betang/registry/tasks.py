"""Background tasks of the registry: running an import batch, and making a large export."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_tasks import task

from betang.core.exports import export_finish, export_target
from betang.core.models import ExportFile
from betang.core.progress import progress_reporter, progress_start
from betang.core.stopping import Stopped
from betang.registry import selectors
from betang.registry.imports.run import import_run
from betang.registry.imports.tabular import TableError
from betang.registry.models import ImportBatch
from betang.registry.services import exports


@task(takes_context=True)
def import_run_task(context, *, batch_id: str, occurred_at: str) -> dict:
    batch = ImportBatch.objects.get(pk=batch_id)
    task_id = str(context.task_result.id)
    progress_start(task_id=task_id, label=batch.original_name, created_by=batch.uploaded_by)
    try:
        return import_run(batch, occurred_at=parse_datetime(occurred_at), progress=progress_reporter(task_id))
    except TableError as exc:  # the batch is FAILED with the reason; the file is kept
        return {"error": exc.message, "code": exc.code}
    except (Stopped, SystemExit, KeyboardInterrupt):  # the worker is stopping: the task runs again, resuming
        ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.RUNNING).update(
            status=ImportBatch.Status.QUEUED
        )
        raise
    except Exception:  # never left RUNNING: the batch says it failed, the task keeps the traceback
        ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.RUNNING).update(
            status=ImportBatch.Status.FAILED,
            error=_("The import stopped on an unexpected error; the file is kept."),
            error_code="import.failed",
            finished_at=timezone.now(),
        )
        raise


@task(takes_context=True)
def export_run_task(context, *, export_id: str) -> dict:
    """A large export made for the user who asked (`core.exports`): the households of a search, or an
    import's rejected rows, masked as the page would mask them for that user."""
    export = ExportFile.objects.select_related("created_by").get(pk=export_id)
    user, params = export.created_by, export.params
    report = progress_reporter(str(context.task_result.id))
    with translation.override(params.get("language") or None):
        if export.kind == "registry.households":
            households = selectors.household_list(scope=user.region_scope, **params["filters"])
            persons = exports.household_persons(households)
            total = persons.count()
            rows = exports.households_write(
                export_target(export), persons, full=export.full_identifiers, progress=lambda n: report(n, total, "")
            )
        elif export.kind == "registry.rejects":
            batch = selectors.import_batch_get(user=user, scope=user.region_scope, pk=params["batch"])
            total = sum(batch.counts.get(o, 0) for o in params["outcomes"])
            rows = exports.rejected_rows_write(
                export_target(export),
                batch,
                tuple(params["outcomes"]),
                full=export.full_identifiers,
                progress=lambda n: report(n, total, ""),
            )
        else:
            raise ValueError(export.kind)
    report(rows, rows, "")
    export_finish(export, rows=rows, occurred_at=timezone.now())
    return {"rows": rows}
