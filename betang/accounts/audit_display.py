"""The audit trail in words: each event's name and each changed field's label in the reader's
language, amounts as rupiah, nothing as a raw code (`aid.cycle.closed` reads "Siklus ditutup")."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from babel.dates import format_date
from django.apps import apps
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from betang.core.money import format_rupiah

EVENTS = {
    "accounts.password.changed": _("Password changed"),
    "accounts.token.created": _("API token created"),
    "accounts.token.revoked": _("API token revoked"),
    "accounts.user.created": _("User created"),
    "accounts.user.updated": _("User changed"),
    "aid.anomaly.reviewed": _("Anomaly reviewed"),
    "aid.bank_statement.matched": _("Bank statement matched"),
    "aid.card.blocked": _("Card blocked"),
    "aid.card.issued": _("Cards issued"),
    "aid.card.pin_set": _("Card PIN set"),
    "aid.card.replaced": _("Card replaced"),
    "aid.card.unlocked": _("Card unlocked"),
    "aid.cycle.approved": _("Cycle approved"),
    "aid.cycle.close_queued": _("Cycle close queued"),
    "aid.cycle.close_stopped": _("Cycle close stopped"),
    "aid.cycle.closed": _("Cycle closed"),
    "aid.cycle.credit_queued": _("Cycle credit queued"),
    "aid.cycle.credit_stopped": _("Cycle credit stopped"),
    "aid.cycle.credited": _("Cycle credited"),
    "aid.cycle.discarded": _("Cycle draft discarded"),
    "aid.cycle.draft_queued": _("Cycle draft queued"),
    "aid.cycle.draft_started": _("Cycle draft started"),
    "aid.cycle.draft_stopped": _("Cycle draft stopped"),
    "aid.cycle.drafted": _("Cycle drafted"),
    "aid.cycle.returned": _("Cycle sent back"),
    "aid.cycle.submitted": _("Cycle submitted for approval"),
    "aid.enrolment.added": _("Household enrolled"),
    "aid.enrolment.ended": _("Enrolment ended"),
    "aid.enrolment.reviewed": _("Enrolments reviewed"),
    "aid.payment.paid": _("Card payment made"),
    "aid.payment.voided": _("Card payment voided"),
    "aid.program.created": _("Program created"),
    "aid.program.rule_changed": _("Eligibility rule changed"),
    "aid.reconciliation.resolved": _("Reconciliation difference explained"),
    "aid.settlement.issued": _("Settlement statements issued"),
    "aid.settlement.paid": _("Settlement paid"),
    "aid.settlement.reconciled": _("Settlement confirmed by the bank"),
    "core.export.downloaded": _("Export downloaded"),
    "fund.application.approved": _("Loan application approved"),
    "fund.application.assessed": _("Loan application assessed"),
    "fund.application.rejected": _("Loan application rejected"),
    "fund.application.submitted": _("Loan application submitted"),
    "fund.bank_statement.imported": _("Bank statement imported"),
    "fund.capital.added": _("Capital added to the fund"),
    "fund.change.approved": _("Loan change approved"),
    "fund.change.proposed": _("Loan change proposed"),
    "fund.change.rejected": _("Loan change rejected"),
    "fund.disaster.declared": _("Disaster declared"),
    "fund.fund.created": _("Fund created"),
    "fund.loan.disbursed": _("Loan disbursed"),
    "fund.loan.settled": _("Loan settled early"),
    "fund.product.created": _("Loan product created"),
    "fund.repayment.recorded": _("Repayment recorded"),
    "fund.repayment.reversed": _("Repayment reversed"),
    "outlets.day.closed": _("Cashier's day closed"),
    "outlets.item.created": _("Item created"),
    "outlets.item.price_set": _("Item price changed"),
    "outlets.sale.completed": _("Sale completed"),
    "outlets.sale.voided": _("Sale voided"),
    "outlets.stock.receive": _("Stock received"),
    "outlets.stock.adjust": _("Stock adjusted"),
    "outlets.stock.sale": _("Stock sold"),
    "outlets.stock.void": _("Stock returned by a void"),
    "regions.reference.loaded": _("Regions loaded"),
    "registry.cooperative.staff_assigned": _("Staff assigned to a cooperative"),
    "registry.households.exported": _("Households exported"),
    "registry.import.rejects_exported": _("Rejected rows downloaded"),
    "registry.import.uploaded": _("Import uploaded"),
    "registry.person.distinct": _("Marked as different people"),
    "registry.person.merged": _("Duplicate merged"),
    "registry.person.nik_viewed": _("Full NIK viewed"),
    "registry.households.created": _("Person and household created"),
    "registry.households.updated": _("Person and household changed"),
    "registry.cooperatives.created": _("Cooperative created"),
    "registry.cooperatives.updated": _("Cooperative changed"),
    "registry.enterprises.created": _("UMKM created"),
    "registry.enterprises.updated": _("UMKM changed"),
    "registry.bumdes.created": _("BUMDes created"),
    "registry.bumdes.updated": _("BUMDes changed"),
    "registry.members.created": _("Cooperative member added"),
    "registry.members.updated": _("Cooperative member changed"),
    "registry.outlets.created": _("Outlet created"),
    "registry.outlets.updated": _("Outlet changed"),
}

# Events renamed to `app.object.verb` (the fund's, issue 25): stored rows keep the name they were
# written with (the audit trail is never rewritten), so each old name reads and filters as its new one.
RENAMED = {
    "fund.application_approved": "fund.application.approved",
    "fund.application_assessed": "fund.application.assessed",
    "fund.application_rejected": "fund.application.rejected",
    "fund.application_submitted": "fund.application.submitted",
    "fund.bank_statement_imported": "fund.bank_statement.imported",
    "fund.capital_added": "fund.capital.added",
    "fund.change_approved": "fund.change.approved",
    "fund.change_proposed": "fund.change.proposed",
    "fund.change_rejected": "fund.change.rejected",
    "fund.created": "fund.fund.created",
    "fund.disaster_declared": "fund.disaster.declared",
    "fund.loan_disbursed": "fund.loan.disbursed",
    "fund.loan_settled": "fund.loan.settled",
    "fund.product_created": "fund.product.created",
    "fund.repayment_recorded": "fund.repayment.recorded",
    "fund.repayment_reversed": "fund.repayment.reversed",
}
EVENTS.update({old: EVENTS[new] for old, new in RENAMED.items()})

FIELDS = {
    "annual_rate": _("Annual interest rate (%)"),
    "arrears": _("Arrears"),
    "capitalised": _("Interest capitalised"),
    "credited": _("Interest credited"),
    "district": _("Districts"),
    "grace": _("Grace months"),
    "interest": _("Interest"),
    "interest_arrears": _("Interest in arrears"),
    "interest_prepaid": _("Interest paid in advance"),
    "method": _("Schedule method"),
    "months": _("Months"),
    "on": _("On"),
    "overpaid": _("Overpaid"),
    "payoff": _("Amount to settle"),
    "penalty": _("Penalty"),
    "penalty_carried": _("Penalty carried over"),
    "principal": _("Principal"),
    "province": _("Provinces"),
    "rebate": _("Interest rebate"),
    "regency": _("Regencies and cities"),
    "running_interest": _("Interest of the running period"),
    "village": _("Villages"),
    "waive_penalty": _("Penalty waived"),
    "created": _("created"),
    "updated": _("updated"),
    "retired": _("retired"),
    "unchanged": _("unchanged"),
    "address": _("Address"),
    "admin_fee": _("Administration fee"),
    "amount": _("Amount"),
    "approvals": _("Approvals"),
    "bank_account_name": _("Account name"),
    "bank_account_number": _("Account number"),
    "bank_name": _("Bank"),
    "bank_reference": _("Bank reference"),
    "batch": _("Batch"),
    "birth_date": _("Birth date"),
    "business_units": _("Business units"),
    "capital": _("Business capital"),
    "annual_turnover": _("Annual turnover"),
    "card": _("By card"),
    "cards": _("Cards"),
    "cash": _("In cash"),
    "category": _("Category"),
    "checklist": _("Checklist"),
    "code": _("Code"),
    "counts": _("Counts"),
    "distinct_from": _("Different from"),
    "effective_on": _("Effective on"),
    "eligibility": _("Eligibility"),
    "email": _("Email"),
    "entries": _("Entries"),
    "expired": _("Expired at close"),
    "file": _("File"),
    "filters": _("Filters"),
    "first_name": _("First name"),
    "founded_date": _("Founding date"),
    "from_cooperative": _("From cooperative"),
    "full_identifiers": _("Full identifiers"),
    "household.address": _("Household address"),
    "household.kk_number": _("KK number"),
    "household.latest_decile": _("Decile"),
    "household.region_code": _("Household village"),
    "household_id": _("Household"),
    "households": _("Households"),
    "is_active": _("Active"),
    "is_joint": _("Joint BUMDes"),
    "item": _("Item"),
    "joined": _("Joined"),
    "kbli": "KBLI",
    "kind": _("Kind"),
    "last_name": _("Last name"),
    "left": _("Left"),
    "legal_number": _("Legal entity number"),
    "loan": _("Loan"),
    "member.joined_date": _("Joining date"),
    "member.role": _("Member's role"),
    "member.term_end": _("End of term"),
    "member_village_codes": _("Member villages"),
    "memberships_moved": _("Memberships moved"),
    "merged_into": _("Merged into"),
    "name": _("Name"),
    "name_key": _("Name for matching"),
    "needed": _("Needed"),
    "nib": "NIB",
    "note": _("Note"),
    "number": _("Number"),
    "outcomes": _("Outcomes"),
    "owner_name": _("Owner"),
    "owner_nik": _("Owner's NIK"),
    "payments": _("Payments"),
    "phone": _("Phone"),
    "posted_now": _("Posted now"),
    "price": _("Price"),
    "product": _("Product"),
    "quantity": _("Quantity"),
    "reason": _("Reason"),
    "receipt": _("Receipt"),
    "reference": _("Reference"),
    "region_code": _("Village code"),
    "relation": _("Family relation"),
    "replaced_by": _("Replaced by"),
    "returned": _("Returned"),
    "role": _("Role"),
    "scale": _("Scale"),
    "scope_region_code": _("Area"),
    "score": _("Similarity"),
    "sex": _("Sex"),
    "sha256": _("File fingerprint"),
    "skipped": _("Skipped"),
    "status": _("Status"),
    "total": _("Total"),
    "up_to": _("Up to"),
    "user": _("User"),
    "username": _("User name"),
}

# Amounts of money: shown as rupiah.
MONEY = {
    "admin_fee", "amount", "annual_turnover", "capital", "capitalised", "card", "cash", "credited", "expired",
    "interest", "interest_arrears", "interest_prepaid", "overpaid", "payoff", "penalty", "penalty_carried", "price",
    "principal", "rebate", "running_interest", "total",
}  # fmt: skip


def event_names_alike(prefix: str) -> list[str]:
    """The other names of the events a filter by `prefix` means: the old names of renamed events whose
    new name starts with it, and the new names of those whose old name does."""
    return sorted(
        {old for old, new in RENAMED.items() if new.startswith(prefix)}
        | {new for old, new in RENAMED.items() if old.startswith(prefix)}
    )


def event_label(event: str) -> str:
    """The event in words; an event this table does not know yet shows as its code, in the page's
    code style (a test keeps the table complete for every event the code writes)."""
    return str(EVENTS.get(event, event))


# Objects whose models have no translated name of their own.
OBJECTS = {
    "core.exportfile": _("export file"),
    "registry.cooperativemember": _("cooperative member"),
    "registry.duplicatecandidate": _("possible duplicate"),
    "registry.importrow": _("import row"),
    "aid.anomaly": _("anomaly"),
    "aid.reconciliation": _("reconciliation"),
    "aid.reconciliationexception": _("reconciliation difference"),
    "aid.entitlement": _("entitlement"),
    "fund.product": _("loan product"),
    "fund.application": _("loan application"),
    "fund.loan": _("loan"),
    "fund.instalment": _("instalment"),
    "fund.repayment": _("repayment"),
    "fund.loanchange": _("loan change"),
    "fund.disaster": _("disaster"),
    "outlets.saleline": _("sale line"),
    # Models gone since their rows moved to ledger.BankStatement (same ids), named in stored events.
    "aid.bankstatement": _("bank statement"),
    "fund.fundbankstatement": _("bank statement"),
}


def object_label(object_type: str) -> str:
    """`registry.person` → "orang" (the model's own verbose name), or "" when none."""
    if not object_type:
        return ""
    if object_type in OBJECTS:
        return str(OBJECTS[object_type])
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


_CHOICES: dict[str, Any] = {}
_CODED = {"kind", "status", "role", "relation", "sex", "scale", "outcome", "category"}  # lower-case codes too
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _locale() -> str:
    return "id_ID" if (translation.get_language() or "id").startswith("id") else "en_GB"


def _choice_label(code: str) -> Any:
    """The label of a status, kind or role code (`WRITE_OFF` → "hapus buku"), from the models' own
    choices; None when no model has it."""
    if not _CHOICES:
        for model in apps.get_models():
            for field in model._meta.get_fields():
                for value, label in getattr(field, "choices", None) or ():
                    if isinstance(value, str):
                        _CHOICES.setdefault(value, label)
    return _CHOICES.get(code)


def _value(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, str) and (value.isupper() or key in _CODED) and (label := _choice_label(value)) is not None:
        return str(label)
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return format_date(date.fromisoformat(value), format="d MMMM y", locale=_locale())
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if key in MONEY and (isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit())):
        return format_rupiah(int(value))
    if isinstance(value, dict):
        return "; ".join(f"{FIELDS.get(k, k)}: {_value(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_value(key, v) for v in value)
    return str(value)


def change_lines(changes: dict[str, Any] | None) -> list[tuple[str, str, str | None]]:
    """Each change as (label, before, after); `after` is None for a fact that is no change (a count)."""
    lines = []
    for key, value in (changes or {}).items():
        label = str(FIELDS.get(key, key))
        if isinstance(value, list | tuple) and len(value) == 2:
            lines.append((label, _value(key, value[0]), _value(key, value[1])))
        else:
            lines.append((label, _value(key, value), None))
    return lines
