"""Duplicate decisions: a probable pair is merged into one person, or marked as two people for good."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from betang.core.audit import audit_record
from betang.core.errors import DomainError, NotFound
from betang.registry.models import CooperativeMember, DuplicateCandidate, Person


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
