"""Bank statements uploaded against an owner's account: the file is read (`ledger.bankfile`), the
owner's matcher gives each line its outcome, and the statement is kept with them, in one transaction
with the matcher's own writes and an audit event. The apps above the ledger register one matcher per
owner kind at start-up (aid: settlements confirmed by the bank; fund: repayments recorded), so the
ledger never imports them. Reads go through the owner: its app checks the user may see the owner,
then asks for the statement by owner and id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet

from betang.core.audit import audit_record
from betang.ledger import bankfile
from betang.ledger.models import BankStatement


@dataclass(frozen=True)
class Matcher:
    """How an owner's statements are matched. `match(owner_id=, lines=, actor=, occurred_at=)` gets
    every line of the file and returns one outcome per line (a dict with at least "line", "outcome"
    and "reason"), writing what the lines confirm in the caller's transaction."""

    direction: str  # the column of the owner's money where debit and credit are apart: "out" or "in"
    match: Callable[..., list[dict[str, Any]]]
    event: str  # the audit event of an upload, e.g. "aid.bank_statement.matched"


_MATCHERS: dict[str, Matcher] = {}


def matcher_register(owner_kind: str, matcher: Matcher) -> None:
    """Called from the owning app's `ready()`; registering a kind again replaces its matcher."""
    _MATCHERS[owner_kind] = matcher


def bank_statement_match(
    *,
    owner_kind: str,
    owner_id: UUID,
    content: bytes,
    filename: str,
    actor: Any,
    occurred_at: datetime,
    region_code: str = "",
) -> BankStatement:
    """Read the file, let the owner's matcher decide every line and keep the statement with the
    outcomes and their counts. A file that is no bank statement raises `bankfile.Unreadable` and
    nothing is kept. `region_code` is the audit event's area."""
    matcher = _MATCHERS[owner_kind]
    lines = bankfile.bank_lines(content, direction=matcher.direction)
    with transaction.atomic():
        outcomes = matcher.match(owner_id=owner_id, lines=lines, actor=actor, occurred_at=occurred_at)
        counts = dict(Counter(outcome["outcome"] for outcome in outcomes))
        statement = BankStatement(
            owner_kind=owner_kind,
            owner_id=owner_id,
            original_name=filename[:255],
            uploaded_by=actor if getattr(actor, "pk", None) else None,
            uploaded_at=occurred_at,
            outcomes=outcomes,
            counts=counts,
        )
        statement.file.save(filename[:100] or "rekening.csv", ContentFile(content), save=False)
        statement.save()
        audit_record(
            actor=actor,
            event=matcher.event,
            occurred_at=occurred_at,
            obj=statement,
            region_code=region_code,
            changes={"counts": counts},
        )
    return statement


def bank_statement_find(*, owner_kind: str, owner_id: UUID, pk: Any) -> BankStatement | None:
    """The owner's statement `pk`, or None (also when it is another owner's)."""
    return BankStatement.objects.filter(owner_kind=owner_kind, owner_id=owner_id, pk=pk).first()


def bank_statement_list(*, owner_kind: str, owner_id: UUID) -> QuerySet[BankStatement]:
    """The owner's statements, latest first."""
    return BankStatement.objects.filter(owner_kind=owner_kind, owner_id=owner_id).order_by("-uploaded_at")
