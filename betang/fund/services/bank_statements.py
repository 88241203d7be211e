"""Repayments from the fund account's bank statement (CSV): each credit line that names a loan number
(DB-2026-0001, in the transfer's reference or news) is recorded as that loan's repayment, dated the
day the bank booked it. The statement is kept by `ledger.statements` with every line's outcome;
uploading it again records nothing twice (the bank reference, or for a line without one a
fingerprint of the line, is the repayment's key)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from betang.core.errors import DomainError
from betang.fund.models import BANK_STATEMENT_OWNER, Fund
from betang.fund.selectors import loan_list
from betang.fund.services.loans import repayment_record
from betang.ledger import bankfile, statements

LOAN_NUMBER = re.compile(r"\bDB[\s\-/]?(\d{4})[\s\-/]?(\d{4})\b", re.IGNORECASE)


def line_reference(line: bankfile.BankLine) -> str:
    """The bank's reference; for a line without one, a fingerprint of the line itself (its day, text
    and amount), so that the same line uploaded again is known."""
    if line.reference:
        return line.reference[:100]
    said = f"{line.day:%Y-%m-%d}|{line.description}|{line.amount}"
    return f"BANK-{line.day:%Y%m%d}-{hashlib.sha256(said.encode()).hexdigest()[:12]}"


def repayments_import(
    *, fund: Fund, content: bytes, filename: str, actor: Any, occurred_at: datetime
) -> statements.BankStatement:
    """Keep the fund account's statement (`ledger.statements`) and record the repayments it shows
    (`repayments_match`). A file that is no bank statement is refused whole (`bankfile.Unreadable`)."""
    return statements.bank_statement_match(
        owner_kind=BANK_STATEMENT_OWNER,
        owner_id=fund.pk,
        content=content,
        filename=filename,
        actor=actor,
        occurred_at=occurred_at,
        region_code=fund.region_code,
    )


def repayments_match(
    *, owner_id: Any, lines: list[bankfile.BankLine], actor: Any, occurred_at: datetime
) -> list[dict[str, Any]]:
    """The fund's matcher (registered in `fund.apps`): the repayments a bank statement shows,
    recorded in the order the bank booked them (a loan's repayments are recorded in date order); one
    outcome per line, in the file's order. Loans outside the actor's area are not touched."""
    fund = Fund.objects.get(pk=owner_id)
    numbers = {}
    for line in lines:
        if (
            not line.error
            and not line.other_way
            and (found := LOAN_NUMBER.search(f"{line.reference} {line.description}"))
        ):
            numbers[line.line] = f"DB-{found.group(1)}-{found.group(2)}"
    loans = {loan.number: loan for loan in loan_list(user=actor, fund=fund).filter(number__in=set(numbers.values()))}
    outcomes = []
    for line in sorted(lines, key=lambda x: (x.day is None, x.day or "", x.line)):
        row = {
            "line": line.line,
            "outcome": "",
            "loan": numbers.get(line.line, ""),
            "amount": line.amount,
            "reason": "",
        }
        outcomes.append(row)
        if line.error:
            row.update(outcome="unreadable", reason=line.error)
            continue
        if line.other_way:
            row.update(outcome="other_way", reason=_("Money left the account on this line."))
            continue
        loan = loans.get(row["loan"])
        if loan is None:
            reason = _("No loan number (DB-year-number) of your area in its reference or description.")
            row.update(outcome="no_loan", reason=reason)
            continue
        reference = line_reference(line)
        known = loan.repayments.filter(bank_reference=reference).first()
        try:
            repayment = repayment_record(
                loan=loan, amount=line.amount, paid_on=line.day, bank_reference=reference, actor=actor,
                occurred_at=occurred_at, recorded_at=occurred_at,
            )  # fmt: skip
        except DomainError as exc:
            row.update(outcome="refused", reason=str(exc.message))
            continue
        row.update(outcome="already" if known is not None else "recorded", repayment=str(repayment.pk))
    outcomes.sort(key=lambda r: r["line"])
    return outcomes
