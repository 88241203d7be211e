"""Writes to the registry: uploads and import runs, duplicate decisions, and single-row edits."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext_lazy

from betang.accounts.access import COOPERATIVE_BOUND_ROLES
from betang.core.audit import audit_record
from betang.core.errors import DomainError, NotFound
from betang.registry.masking import mask_changes
from betang.registry.models import (
    Cooperative,
    CooperativeMember,
    CooperativeStaff,
    DuplicateCandidate,
    Enterprise,
    ImportBatch,
    Person,
)

# PP 7/2021 art. 35: (upper bound of capital, upper bound of annual sales) per class, in rupiah.
SCALE_THRESHOLDS = [
    (Enterprise.Scale.MICRO, 1_000_000_000, 2_000_000_000),
    (Enterprise.Scale.SMALL, 5_000_000_000, 15_000_000_000),
    (Enterprise.Scale.MEDIUM, 10_000_000_000, 50_000_000_000),
]
_ORDER = [Enterprise.Scale.MICRO, Enterprise.Scale.SMALL, Enterprise.Scale.MEDIUM, Enterprise.Scale.LARGE]


def _class_by(amount: int | None, index: int) -> str | None:
    if amount is None:
        return None
    for scale, *limits in SCALE_THRESHOLDS:
        if amount <= limits[index]:
            return scale
    return Enterprise.Scale.LARGE


def enterprise_scale(*, capital: int | None, annual_turnover: int | None) -> str:
    """Scale by capital (excluding land and buildings) or by annual sales; when both are known the
    higher class wins, so a business above either threshold is never counted as smaller."""
    classes = [c for c in (_class_by(capital, 0), _class_by(annual_turnover, 1)) if c]
    if not classes:
        return Enterprise.Scale.UNKNOWN
    return max(classes, key=_ORDER.index)


class UploadTooLarge(DomainError):
    code = "import.too_large"
    message = gettext_lazy("The file is larger than the upload limit.")


MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def import_batch_create(
    *, kind: str, file: File, original_name: str, actor: Any, occurred_at: datetime, queue: bool = True
) -> ImportBatch:
    """Keep the uploaded file, register the batch, and (unless the caller runs it) queue its run."""
    from betang.registry.tasks import import_run_task

    if kind not in ImportBatch.Kind.values:
        raise DomainError(f"Unknown import kind {kind!r}.")
    digest, size = hashlib.sha256(), 0
    for chunk in file.chunks():
        digest.update(chunk)
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise UploadTooLarge()
    file.seek(0)
    with transaction.atomic():
        batch = ImportBatch(
            kind=kind,
            original_name=original_name[:255],
            sha256=digest.hexdigest(),
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

        def enqueue() -> None:
            result = import_run_task.enqueue(batch_id=str(batch.pk), occurred_at=occurred_at.isoformat())
            ImportBatch.objects.filter(pk=batch.pk).update(task_id=str(result.id))

        if queue:
            transaction.on_commit(enqueue)
    return batch


class CandidateClosed(DomainError):
    code = "registry.duplicate_closed"
    message = gettext_lazy("This duplicate candidate has already been decided.")


class DuplicateOutOfScope(DomainError):
    code = "registry.out_of_scope"
    http_status = 403
    message = gettext_lazy(
        "One of the two is registered in another area: an officer whose area holds both merges them."
    )


def _open_candidate(candidate_id: int) -> DuplicateCandidate:
    candidate = (
        DuplicateCandidate.objects.select_for_update()
        .select_related("existing", "candidate")
        .filter(pk=candidate_id)
        .first()
    )
    if candidate is None:
        raise NotFound()
    if candidate.status != DuplicateCandidate.Status.OPEN:
        raise CandidateClosed()
    return candidate


def duplicate_merge(*, candidate_id: int, actor: Any, occurred_at: datetime) -> Person:
    """The candidate is the existing person: move its references over and keep it as a merged record."""
    with transaction.atomic():
        pair = _open_candidate(candidate_id)
        survivor, merged = pair.existing, pair.candidate
        # A merge makes one record an alias of the other: like a move between areas, it is decided
        # by an officer whose area holds both (the pair is listed in the newcomer's area only).
        if actor is not None and not all(actor.region_scope.contains(p.region_code) for p in (survivor, merged)):
            raise DuplicateOutOfScope()
        moved = 0
        for membership in CooperativeMember.objects.filter(person=merged):
            if CooperativeMember.objects.filter(cooperative_id=membership.cooperative_id, person=survivor).exists():
                membership.delete()
            else:
                membership.person = survivor
                membership.save(update_fields=["person"])
                moved += 1
        Person.objects.filter(merged_into=merged).update(merged_into=survivor)
        merged.merged_into = survivor
        merged.review = Person.Review.NONE
        merged.updated_at = occurred_at
        merged.save(update_fields=["merged_into", "review", "updated_at"])
        DuplicateCandidate.objects.filter(pk=pair.pk).update(
            status=DuplicateCandidate.Status.MERGED, decided_by=actor, decided_at=occurred_at
        )
        audit_record(
            actor=actor,
            event="registry.person.merged",
            occurred_at=occurred_at,
            obj=merged,
            region_code=merged.region_code,
            changes={"merged_into": [None, str(survivor.pk)], "memberships_moved": [0, moved]},
        )
    return survivor


def duplicate_mark_distinct(*, candidate_id: int, actor: Any, occurred_at: datetime) -> None:
    """Two different people: close the pair for good (it is never proposed again)."""
    with transaction.atomic():
        pair = _open_candidate(candidate_id)
        DuplicateCandidate.objects.filter(pk=pair.pk).update(
            status=DuplicateCandidate.Status.DISTINCT, decided_by=actor, decided_at=occurred_at
        )
        if not DuplicateCandidate.objects.filter(
            candidate=pair.candidate, status=DuplicateCandidate.Status.OPEN
        ).exists():
            Person.objects.filter(pk=pair.candidate_id).update(review=Person.Review.NONE)
        audit_record(
            actor=actor,
            event="registry.person.distinct",
            occurred_at=occurred_at,
            obj=pair.candidate,
            region_code=pair.candidate.region_code,
            changes={"distinct_from": [None, str(pair.existing_id)]},
        )


def registry_row_save(*, kind: str, fields: dict[str, Any], actor: Any, occurred_at: datetime):
    """Create or update one row (a person with their household, or an organisation) by the import's own
    rules, inside the actor's area; the write is audited. Returns the row's outcome with its issues."""
    from betang.regions.scope import RegionScope
    from betang.registry.importing import upsert_row

    scope = RegionScope(getattr(actor, "scope_region_code", "") or "")
    with transaction.atomic():
        result = upsert_row(kind, fields, scope=scope, occurred_at=occurred_at)
        if result.outcome in ("CREATED", "UPDATED", "HELD"):
            saved = _saved_object(kind, result.object_id)
            audit_record(
                actor=actor,
                event=f"registry.{kind}.{'updated' if result.outcome == 'UPDATED' else 'created'}",
                occurred_at=occurred_at,
                obj=saved,
                region_code=saved.region_code,
                changes=mask_changes(result.changes),  # audit text never holds a full NIK or KK
            )
    return result


def _saved_object(kind: str, pk: Any):
    from betang.registry.importing import ORG_SPECS

    persons = (ImportBatch.Kind.HOUSEHOLDS, ImportBatch.Kind.MEMBERS)  # a member row answers with its person
    model = Person if kind in persons else ORG_SPECS[kind].model
    return model.objects.get(pk=pk)


class NotCooperativeStaff(DomainError):
    code = "registry.not_cooperative_staff"
    message = gettext_lazy("Only cooperative operators and cashiers work for a cooperative.")


def cooperative_staff_assign(*, user: Any, cooperative: Cooperative, actor: Any, occurred_at: datetime) -> None:
    """Bind a cooperative operator or cashier to the cooperative they work for; their region scope
    becomes the cooperative's village. Rebinding moves them (a person works for one cooperative)."""
    from betang.accounts.services import user_update

    if user.role not in COOPERATIVE_BOUND_ROLES:
        raise NotCooperativeStaff()
    with transaction.atomic():
        before = CooperativeStaff.objects.filter(user=user).values_list("cooperative_id", flat=True).first()
        if before == cooperative.pk and user.scope_region_code == cooperative.region_code:
            return
        CooperativeStaff.objects.update_or_create(
            user=user, defaults={"cooperative": cooperative, "since": occurred_at}
        )
        user_update(user=user, scope_region_code=cooperative.region_code, actor=actor, occurred_at=occurred_at)
        audit_record(
            actor=actor,
            event="registry.cooperative.staff_assigned",
            occurred_at=occurred_at,
            obj=cooperative,
            region_code=cooperative.region_code,
            changes={"user": [None, user.username], "from_cooperative": [str(before) if before else None, None]},
        )
