"""The import task: a batch never stays RUNNING, whatever stops its run."""

from __future__ import annotations

import pytest

from betang.core.stopping import Stopped
from betang.registry.imports import run as importing
from betang.registry.models import ImportBatch
from betang.registry.tasks import import_run_task
from tests.registry.conftest import FAMILY, csv_bytes

pytestmark = pytest.mark.django_db


def _run(batch, now):
    return import_run_task.enqueue(batch_id=str(batch.pk), occurred_at=now.isoformat())


def test_an_unexpected_error_fails_the_batch_with_a_reason(new_batch, now, monkeypatch):
    def broken(*args, **kwargs):
        ImportBatch.objects.update(status=ImportBatch.Status.RUNNING)
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "_import_run", broken)
    batch = new_batch(csv_bytes(FAMILY))
    result = _run(batch, now)
    assert result.status == "FAILED"
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.error_code == "import.failed"
    assert batch.error == "Impor terhenti karena galat yang tidak terduga; berkasnya tetap disimpan."


def test_a_refused_file_fails_the_batch_and_the_task_says_why(new_batch, now, settings):
    settings.IMPORT_MAX_ROWS = 2
    batch = new_batch(csv_bytes(FAMILY))
    result = _run(batch, now)
    assert result.status == "SUCCESSFUL"
    assert result.return_value["code"] == "import.too_many_rows"
    batch.refresh_from_db()
    assert (batch.status, batch.error_code) == (ImportBatch.Status.FAILED, "import.too_many_rows")


def test_a_stopped_run_leaves_the_batch_queued(new_batch, now, monkeypatch):
    monkeypatch.setattr(importing, "stop_requested", lambda: True)
    batch = new_batch(csv_bytes(FAMILY))
    with pytest.raises(Stopped):
        importing.import_run(batch, occurred_at=now, parallel=False)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.QUEUED
    assert not batch.rows.exists()
