"""Loan applications: submitted for a cooperative, assessed by a fund officer against the checklist,
approved or rejected by another user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.core.audit import audit_record
from betang.core.errors import PermissionDenied
from betang.core.money import format_rupiah
from betang.fund.models import Application, Product
from betang.fund.services.funds import FundError
from betang.regions.scope import RegionScope

# What the assessment looks at (DOMAIN §6.1: legal standing, governance, books, a plan, no arrears).
CHECKLIST = {
    "legal_entity": gettext_lazy("Legal entity registered (AHU)"),
    "annual_meeting": gettext_lazy("Annual members' meeting (RAT) held this year"),
    "financial_report": gettext_lazy("Financial report of the last year"),
    "business_plan": gettext_lazy("Business plan for the loan"),
    "board_guarantee": gettext_lazy("Personal guarantee of the board and supervisors"),
    "no_arrears": gettext_lazy("No arrears on an earlier loan of the fund"),
}


class SameUser(PermissionDenied):
    code = "fund.same_user"
    message = gettext_lazy("An application is decided by another user than the one who assessed it.")


def application_state(application: Application, *allowed: str) -> None:
    """Refuse what cannot be done to an application in its present status."""
    if application.status not in allowed:
        raise FundError(
            _("This application is %(status)s; that cannot be done now.") % {"status": application.get_status_display()}
        )


def application_submit(
    *,
    product: Product,
    cooperative: Any,
    amount: int,
    purpose: str,
    actor: Any,
    occurred_at: datetime,
    business_plan: Any = None,
) -> Application:
    """A cooperative applies (its operator, or a fund officer for it): one inside the fund's area and
    the applicant's."""
    if not product.is_active:
        raise FundError(_("This product is closed for applications."))
    if not RegionScope(product.fund.region_code).contains(cooperative.region_code):
        raise FundError(_("The fund does not lend in this cooperative's area."))
    scope = getattr(actor, "region_scope", None)
    if scope is not None and not scope.contains(cooperative.region_code):
        raise FundError(_("No such cooperative in your area."))
    if type(amount) is not int or not product.min_amount <= amount <= product.max_amount:
        raise FundError(
            _("A loan of this product is between %(low)s and %(high)s.")
            % {"low": format_rupiah(product.min_amount), "high": format_rupiah(product.max_amount)}
        )
    if not purpose.strip():
        raise FundError(_("Say what the loan is for."))
    with transaction.atomic():
        application = Application.objects.create(
            product=product,
            cooperative=cooperative,
            region_code=cooperative.region_code,
            amount=amount,
            purpose=purpose.strip()[:500],
            business_plan=business_plan or "",
            submitted_by=actor if getattr(actor, "pk", None) else None,
            submitted_at=occurred_at,
        )
        audit_record(
            actor=actor, event="fund.application.submitted", occurred_at=occurred_at, obj=application,
            changes={"amount": amount, "product": product.code},
        )  # fmt: skip
    return application


def application_assess(
    *, application: Application, checklist: dict[str, bool], score: int, note: str, actor: Any, occurred_at: datetime
) -> Application:
    """The fund officer's assessment: every checklist item answered, a score of 0–100, a note."""
    if set(checklist) != set(CHECKLIST):
        raise FundError(_("Answer every item of the checklist."))
    if type(score) is not int or not 0 <= score <= 100:
        raise FundError(_("The score is a whole number from 0 to 100."))
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        application_state(application, Application.Status.SUBMITTED, Application.Status.ASSESSED)
        application.checklist = {key: bool(checklist[key]) for key in CHECKLIST}
        application.score, application.assessment_note = score, note.strip()[:1000]
        application.assessed_by, application.assessed_at = actor, occurred_at
        application.status = Application.Status.ASSESSED
        application.save(
            update_fields=["checklist", "score", "assessment_note", "assessed_by", "assessed_at", "status"]
        )
        audit_record(
            actor=actor, event="fund.application.assessed", occurred_at=occurred_at, obj=application,
            changes={"score": score, "checklist": application.checklist},
        )  # fmt: skip
    return application


def _decide(application: Application, actor: Any, occurred_at: datetime) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    application_state(application, Application.Status.ASSESSED)
    if getattr(actor, "pk", None) in (application.assessed_by_id, None):
        raise SameUser()
    application.decided_by, application.decided_at = actor, occurred_at
    return application


def application_approve(*, application: Application, actor: Any, occurred_at: datetime) -> Application:
    """Approval by another user than the assessor."""
    with transaction.atomic():
        application = _decide(application, actor, occurred_at)
        application.status = Application.Status.APPROVED
        application.save(update_fields=["decided_by", "decided_at", "status"])
        audit_record(actor=actor, event="fund.application.approved", occurred_at=occurred_at, obj=application)
    return application


def application_reject(*, application: Application, reason: str, actor: Any, occurred_at: datetime) -> Application:
    """Rejection with its reason, by another user than the assessor."""
    if not reason.strip():
        raise FundError(_("Say why the application is rejected."))
    with transaction.atomic():
        application = _decide(application, actor, occurred_at)
        application.status, application.rejection_reason = Application.Status.REJECTED, reason.strip()[:500]
        application.save(update_fields=["decided_by", "decided_at", "status", "rejection_reason"])
        audit_record(
            actor=actor, event="fund.application.rejected", occurred_at=occurred_at, obj=application,
            changes={"reason": application.rejection_reason},
        )  # fmt: skip
    return application
