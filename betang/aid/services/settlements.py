"""Settling cooperatives: a statement of the card payments the program owes each cooperative up to a
day, marked paid with the bank transfer's reference (posted: Dr the cooperative's payable, Cr the
program's bank), and confirmed by the bank's own statement (CSV) matched line by line.

A payment is claimed by one statement only. Statements cover whole days that have ended (a payment
can be voided until its day ends); a payment an outpost syncs late, dated in a settled period, goes
in the next statement.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.aid import posting
from betang.aid.models import BANK_STATEMENT_OWNER, Program, Redemption, Settlement
from betang.core import clock
from betang.core.audit import audit_record
from betang.core.errors import DomainError
from betang.core.money import format_rupiah
from betang.ledger import bankfile, statements
from betang.ledger import selectors as ledger
from betang.ledger.services import journal_post


class SettlementError(DomainError):
    code = "aid.settlement_refused"
    message = gettext_lazy("The settlement was refused.")


class PeriodOpen(SettlementError):
    code = "aid.settlement_period_open"
    message = gettext_lazy("A statement covers days that have ended: payments can be voided until their day ends.")


class NothingToSettle(SettlementError):
    code = "aid.nothing_to_settle"
    message = gettext_lazy("No unsettled card payments up to that day.")


class AlreadyPaid(SettlementError):
    code = "aid.settlement_already_paid"
    http_status = 409
    message = gettext_lazy("This statement is already paid with another bank reference.")


class BankFileUnreadable(SettlementError):
    code = "aid.bank_statement_unreadable"
    message = gettext_lazy("This file is not a bank statement: it needs date, description and amount columns.")


def settlements_issue(*, program: Program, up_to: date, actor: Any, occurred_at: datetime) -> list[Settlement]:
    """A statement for each cooperative with unsettled card payments up to `up_to` (inclusive, local
    days), claiming them; none for a cooperative with nothing to settle."""
    if up_to >= timezone.localdate(occurred_at):
        raise PeriodOpen()
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)  # one issue at a time: numbers
        unsettled = Redemption.objects.filter(
            program=program,
            status=Redemption.Status.PAID,
            settlement__isnull=True,
            occurred_at__lt=clock.day_start(up_to + timedelta(days=1)),
        )
        owed = list(
            unsettled.values("cooperative_id", "region_code")  # a payment carries its cooperative's village
            .annotate(n=Count("id"), amount=Sum("amount"), first=Min("occurred_at"))
            .order_by("cooperative_id")
        )
        if not owed:
            raise NothingToSettle()
        serial = Settlement.objects.filter(program=program).count()
        made = []
        for row in owed:
            serial += 1
            settlement = Settlement.objects.create(
                number=f"PK/{program.code.upper()}/{up_to:%Y%m%d}/{serial:05d}",
                program=program,
                cooperative_id=row["cooperative_id"],
                region_code=row["region_code"],
                period_start_date=timezone.localdate(row["first"]),
                period_end_date=up_to,
                payments=row["n"],
                amount=row["amount"],
                issued_by=actor if getattr(actor, "pk", None) else None,
                issued_at=occurred_at,
            )
            claimed = unsettled.filter(cooperative_id=row["cooperative_id"]).update(settlement=settlement)
            if claimed != row["n"]:  # the program's lock keeps statements apart; a payment is never claimed twice
                raise SettlementError(_("The payments changed while the statement was made; try again."))
            audit_record(
                actor=actor,
                event="aid.settlement.issued",
                occurred_at=occurred_at,
                obj=settlement,
                region_code=settlement.region_code,
                changes={"payments": [None, row["n"]], "amount": [None, row["amount"]], "up_to": [None, str(up_to)]},
            )
            made.append(settlement)
    return made


def settlement_mark_paid(
    *,
    settlement: Settlement,
    bank_reference: str,
    paid_date: date,
    actor: Any,
    occurred_at: datetime,
    recorded_at: datetime,
) -> Settlement:
    """Record the bank transfer that paid the statement: the payable to the cooperative goes down by
    its amount, the program's bank too. Marking it again with the same reference changes nothing."""
    reference = " ".join(bank_reference.split())
    if not reference:
        raise SettlementError(_("Give the bank transfer's reference."))
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update().select_related("program").get(pk=settlement.pk)
        if settlement.status != Settlement.Status.ISSUED:
            if settlement.bank_reference == reference:
                return settlement
            raise AlreadyPaid(details={"bank_reference": settlement.bank_reference})
        program = settlement.program
        payable = ledger.accounts_by_key([posting.payable_key(program.code, settlement.cooperative_id)])
        payable_id = payable[posting.payable_key(program.code, settlement.cooperative_id)][0]
        posted = journal_post(
            key=f"aid:settle:{settlement.pk}",
            kind="aid.settlement.paid",
            legs=posting.settlement_legs(settlement.amount, payable=payable_id, bank=program.bank_account_id),
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            actor=actor,
            memo=f"{settlement.number} {reference}"[:300],
        )
        settlement.status, settlement.bank_reference, settlement.paid_date = (
            Settlement.Status.PAID,
            reference,
            paid_date,
        )
        settlement.paid_by, settlement.entry_id = actor if getattr(actor, "pk", None) else None, posted.entry_id
        settlement.save(update_fields=["status", "bank_reference", "paid_date", "paid_by", "entry_id"])
        audit_record(
            actor=actor,
            event="aid.settlement.paid",
            occurred_at=occurred_at,
            obj=settlement,
            region_code=settlement.region_code,
            changes={"status": [Settlement.Status.ISSUED, Settlement.Status.PAID], "bank_reference": [None, reference]},
        )
    return settlement


# --- the bank's statement ------------------------------------------------------------------------


def bank_statement_match(
    *, program: Program, content: bytes, filename: str, actor: Any, occurred_at: datetime
) -> statements.BankStatement:
    """Keep the uploaded statement of the program's account (`ledger.statements`) and confirm each
    paid settlement whose bank reference a line names (in its reference or description) with the same
    amount (`settlements_match`). Uploading it again changes nothing."""
    try:
        return statements.bank_statement_match(
            owner_kind=BANK_STATEMENT_OWNER,
            owner_id=program.pk,
            content=content,
            filename=filename,
            actor=actor,
            occurred_at=occurred_at,
        )
    except bankfile.Unreadable:
        raise BankFileUnreadable() from None


def settlements_match(
    *, owner_id: Any, lines: list[bankfile.BankLine], actor: Any, occurred_at: datetime
) -> list[dict[str, Any]]:
    """The program's matcher (registered in `aid.apps`): every line of its bank statement gets an
    outcome: reconciled, already reconciled, amount differs, not a settlement, or unreadable. A paid
    settlement named with its amount is marked RECONCILED, in the statement's transaction."""
    paid = list(
        Settlement.objects.select_for_update()
        .filter(program_id=owner_id, status__in=[Settlement.Status.PAID, Settlement.Status.RECONCILED])
        .exclude(bank_reference="")
    )
    outcomes = []
    for line in lines:
        if line.error:
            outcomes.append({"line": line.line, "outcome": "unreadable", "settlement": "", "reason": line.error})
            continue
        if line.other_way:
            reason = _("Money came into the account on this line.")
            outcomes.append({"line": line.line, "outcome": "unmatched", "settlement": "", "reason": reason})
            continue
        said = f"{line.reference} {line.description}".upper()
        found = [s for s in paid if s.bank_reference.upper() in said]
        if not found:
            outcomes.append({"line": line.line, "outcome": "unmatched", "settlement": "", "reason": ""})
            continue
        settlement = found[0]
        if settlement.amount != line.amount:
            reason = _("The bank shows %(bank)s, the statement %(ours)s.") % {
                "bank": format_rupiah(line.amount),
                "ours": format_rupiah(settlement.amount),
            }
            outcomes.append(
                {"line": line.line, "outcome": "differs", "settlement": settlement.number, "reason": reason}
            )
            continue
        if settlement.status == Settlement.Status.RECONCILED:
            outcomes.append({"line": line.line, "outcome": "already", "settlement": settlement.number, "reason": ""})
            continue
        settlement.status, settlement.reconciled_at = Settlement.Status.RECONCILED, occurred_at
        settlement.bank_line = f"{line.day:%Y-%m-%d} {line.reference} {line.description} {line.amount}"[:300]
        settlement.save(update_fields=["status", "reconciled_at", "bank_line"])
        audit_record(
            actor=actor,
            event="aid.settlement.reconciled",
            occurred_at=occurred_at,
            obj=settlement,
            region_code=settlement.region_code,
            changes={"status": [Settlement.Status.PAID, Settlement.Status.RECONCILED]},
        )
        outcomes.append({"line": line.line, "outcome": "reconciled", "settlement": settlement.number, "reason": ""})
    return outcomes
