"""Uploading an import: keep the file, register its batch, and queue its run (`imports.run` runs it)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext_lazy

from betang.core.audit import audit_record
from betang.core.errors import DomainError
from betang.core.tasks import enqueue_on_commit
from betang.registry.models import ImportBatch


class UploadTooLarge(DomainError):
    code = "import.too_large"
    message = gettext_lazy("The file is larger than the upload limit.")


MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def _digest(file: File) -> tuple[str, int]:
    """The file's sha256 and size, read once in chunks; refused past MAX_UPLOAD_BYTES."""
    digest, size = hashlib.sha256(), 0
    for chunk in file.chunks():
        digest.update(chunk)
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise UploadTooLarge()
    file.seek(0)
    return digest.hexdigest(), size


def import_batch_create(
    *, kind: str, file: File, original_name: str, actor: Any, occurred_at: datetime, queue: bool = True
) -> ImportBatch:
    """Keep the uploaded file, register the batch, and (unless the caller runs it) queue its run."""
    if kind not in ImportBatch.Kind.values:
        raise DomainError(f"Unknown import kind {kind!r}.")
    sha256, size = _digest(file)
    with transaction.atomic():
        batch = ImportBatch(
            kind=kind,
            original_name=original_name[:255],
            sha256=sha256,
            size=size,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
            scope_region_code=getattr(actor, "scope_region_code", "") or "",
            created_at=occurred_at,
        )
        batch.file.save(original_name[-100:], file, save=False)
        batch.save()
        audit_record(
            actor=actor,
            event="registry.import.uploaded",
            occurred_at=occurred_at,
            obj=batch,
            region_code=batch.scope_region_code,
            changes={"kind": [None, kind], "file": [None, original_name], "sha256": [None, batch.sha256]},
        )
        if queue:
            enqueue_on_commit(
                "betang.registry.tasks.import_run_task",
                then=lambda task_id: ImportBatch.objects.filter(pk=batch.pk).update(task_id=task_id),
                batch_id=str(batch.pk),
                occurred_at=occurred_at.isoformat(),
            )
    return batch
