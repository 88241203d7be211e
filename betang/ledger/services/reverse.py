"""Reversing an entry: its mirror, linked to it and posted as one entry; an entry is reversed once."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _

from betang.ledger.models import Entry, Posting
from betang.ledger.services.post_one import journal_post
from betang.ledger.services.types import AlreadyReversed, LedgerError, Leg, Posted


def entry_reverse(
    *,
    entry_id: UUID,
    key: str,
    occurred_at: datetime,
    recorded_at: datetime,
    actor: Any = None,
    memo: str = "",
) -> Posted:
    """Post the mirror of an entry, linked to it; an entry is reversed at most once."""
    entry = Entry.objects.filter(pk=entry_id).values_list("kind", "reverses_id").first()
    if entry is None:
        raise LedgerError(_("Unknown ledger entry."), details={"entry": str(entry_id)})
    if entry[1] is not None:
        raise LedgerError(_("A reversal cannot itself be reversed; post a new entry."))
    legs = [
        Leg(a, -amount) for a, amount in Posting.objects.filter(entry_id=entry_id).values_list("account_id", "amount")
    ]
    existing = Entry.objects.filter(reverses_id=entry_id).values_list("idempotency_key", flat=True).first()
    if existing is not None and existing != key:
        raise AlreadyReversed()
    return journal_post(
        key=key,
        kind=f"{entry[0]}.reversal",
        legs=legs,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        actor=actor,
        memo=memo,
        reverses=entry_id,
    )
