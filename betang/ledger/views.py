"""The one upload flow of a bank statement, used by the aid program's and the fund's pages: the file
checked before it is read and handed to the owner's service, a refusal told as a message; and a kept
statement's counts and lines for the `ledger/_bank_statement.html` partial. No URLs of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.utils.translation import gettext as _

from betang.core.errors import DomainError
from betang.ledger import bankfile
from betang.ledger.models import BankStatement


def bank_statement_upload(request, record: Callable[..., BankStatement]) -> BankStatement | None:
    """The uploaded statement (form field `file`), at most `bankfile.MAX_BYTES`, given to
    `record(content=, filename=)`; None when there is none, it is too large or the service refused
    it, the reason being set as a message for the page the caller redirects to."""
    upload = request.FILES.get("file")
    if upload is None or upload.size > bankfile.MAX_BYTES:
        messages.error(request, _("Choose the bank statement (CSV, at most 20 MB)."))
        return None
    try:
        return record(content=upload.read(), filename=upload.name)
    except DomainError as exc:
        messages.error(request, exc.message)
        return None


def bank_statement_context(statement: BankStatement, *, labels: dict[str, Any], subject: str) -> dict[str, Any]:
    """The partial's context: the counts in the order of `labels` (outcome → its words), and each
    line with its outcome's words and its `subject` (the outcome's key naming what it matched)."""
    counts = [(labels[o], statement.counts[o], o) for o in labels if statement.counts.get(o)]
    counts += [(o, n, o) for o, n in statement.counts.items() if o not in labels]
    rows = [
        row | {"label": labels.get(row["outcome"], row["outcome"]), "subject": row.get(subject, "")}
        for row in statement.outcomes
    ]
    return {"statement": statement, "counts": counts, "rows": rows}
