"""The revolving fund (dana bergulir): a pool lent to cooperatives, repaid and lent again.

A `Fund` holds its pool in the ledger: `pool_account` is the fund's money at the bank, an asset that
may not go below zero (so a loan is disbursed only up to what the pool holds), capital arrives from a
funding source (`funding_account`: the APBD's investment, penyertaan modal), interest, fees and
penalties are the fund's income (`income_account`: Lain-lain PAD yang sah). Each `Loan` has its own
receivable. Products fix the terms a loan is made on; the loan copies them at disbursement, so a
product changed later does not change a loan.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from betang.core.ids import new_id
from betang.fund.schedules import GraceInterest, Method

METHOD_NAMES = {
    Method.FLAT.value: _("flat"),
    Method.ANNUITY.value: _("annuity"),
    Method.DECLINING.value: _("declining principal"),
}


class Fund(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    region_code = models.CharField(_("region"), max_length=13)  # the province (or regency) it lends in
    source = models.CharField(_("source of funds"), max_length=200, blank=True)  # APBD, UPTD-BLUD, LPDB
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)  # Pergub, Perda
    pool_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    funding_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    income_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    # The quality classes its loans are put in (fund.quality.RULE_SETS).
    quality_rules = models.CharField(_("quality classes"), max_length=20, default="bank")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("revolving fund")
        verbose_name_plural = _("revolving funds")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """The terms a fund lends on."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="products")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    min_amount = models.BigIntegerField(_("smallest loan"))
    max_amount = models.BigIntegerField(_("largest loan"))
    annual_rate = models.DecimalField(_("annual rate (%)"), max_digits=6, decimal_places=3)
    method = models.CharField(_("repayment method"), max_length=10, choices=[(m.value, m.value) for m in Method])
    months = models.PositiveSmallIntegerField(_("tenor (months)"))
    grace = models.PositiveSmallIntegerField(_("grace period (months)"), default=0)
    grace_interest = models.CharField(
        _("interest in the grace period"),
        max_length=10,
        choices=[(g.value, g.value) for g in GraceInterest],
        default=GraceInterest.PAY.value,
    )
    admin_fee_rate = models.DecimalField(_("admin fee (% of the loan)"), max_digits=5, decimal_places=3, default=0)
    # Late penalty: this percentage of the overdue amount for each day past due beyond the days of grace.
    penalty_rate_per_day = models.DecimalField(_("late penalty (% a day)"), max_digits=6, decimal_places=4, default=0)
    penalty_grace_days = models.PositiveSmallIntegerField(_("days before a penalty"), default=0)
    # What a repayment pays first: comma-separated PENALTY, INTEREST, PRINCIPAL.
    allocation_order = models.CharField(_("repayment order"), max_length=40, default="PENALTY,INTEREST,PRINCIPAL")
    is_active = models.BooleanField(_("open for applications"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fund", "code"], name="fund_product_code_once"),
            models.CheckConstraint(
                condition=Q(min_amount__gt=0) & Q(max_amount__gte=models.F("min_amount")), name="fund_product_range"
            ),
            models.CheckConstraint(condition=Q(grace__lt=models.F("months")), name="fund_product_grace_within"),
        ]

    def __str__(self) -> str:
        return self.name


class Application(models.Model):
    """A cooperative asks for a loan; the fund officer assesses it; another user decides."""

    class Status(models.TextChoices):
        SUBMITTED = "SUBMITTED", _("submitted")
        ASSESSED = "ASSESSED", _("assessed")
        APPROVED = "APPROVED", _("approved")
        REJECTED = "REJECTED", _("rejected")
        DISBURSED = "DISBURSED", _("disbursed")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="applications")
    cooperative = models.ForeignKey("registry.Cooperative", on_delete=models.PROTECT, related_name="fund_applications")
    region_code = models.CharField(max_length=13)  # the cooperative's village, for scoping
    amount = models.BigIntegerField(_("amount asked"))
    purpose = models.CharField(_("purpose"), max_length=500)
    business_plan = models.FileField(_("business plan"), upload_to="fund/plans/%Y/%m/", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))
    checklist = models.JSONField(_("assessment checklist"), default=dict, blank=True)  # item → bool
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)  # 0–100
    assessment_note = models.CharField(_("assessment"), max_length=1000, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(_("reason for rejection"), max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "region_code"], name="fund_application_status")]

    def __str__(self) -> str:
        return f"{self.cooperative_id}: {self.amount}"


class Loan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("active")
        REPAID = "REPAID", _("repaid")
        WRITTEN_OFF = "WRITTEN_OFF", _("written off")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    number = models.CharField(_("loan number"), max_length=30, unique=True)  # DB-2026-0001
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="loan")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="loans")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="loans")
    cooperative = models.ForeignKey("registry.Cooperative", on_delete=models.PROTECT, related_name="fund_loans")
    region_code = models.CharField(max_length=13)
    amount = models.BigIntegerField(_("principal lent"))
    admin_fee = models.BigIntegerField(_("admin fee"), default=0)  # kept from the disbursement
    # The terms, copied from the product at disbursement.
    annual_rate = models.DecimalField(_("annual rate (%)"), max_digits=6, decimal_places=3)
    method = models.CharField(_("repayment method"), max_length=10)
    months = models.PositiveSmallIntegerField(_("tenor (months)"))
    grace = models.PositiveSmallIntegerField(_("grace period (months)"))
    grace_interest = models.CharField(max_length=10)
    disbursed_on = models.DateField(_("disbursed on"))
    bank_reference = models.CharField(_("transfer reference"), max_length=100)
    receivable_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    entry_id = models.UUIDField()  # the disbursement's ledger entry
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    schedule_version = models.PositiveSmallIntegerField(default=1)  # a restructuring adds a version
    # The day the current version took over (a restructuring, an early settlement; None for the
    # schedule made at disbursement): the repayments it counts are those recorded against it.
    schedule_from = models.DateField(_("schedule from"), null=True, blank=True)
    disbursed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    def __str__(self) -> str:
        return self.number


class Instalment(models.Model):
    """One line of a loan's schedule, as generated at disbursement (or at a restructuring: a new
    version; the earlier ones stay as history)."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="instalments")
    version = models.PositiveSmallIntegerField(default=1)
    number = models.PositiveSmallIntegerField(_("number"))
    due_on = models.DateField(_("due"))
    principal = models.BigIntegerField(_("principal"))
    interest = models.BigIntegerField(_("interest"))
    total = models.BigIntegerField(_("total"))
    outstanding = models.BigIntegerField(_("principal outstanding after"))
    grace = models.BooleanField(default=False)
    capitalised = models.BigIntegerField(default=0)
    # The ledger entry that added `capitalised` to the receivable, once its due date has come.
    capitalised_entry_id = models.UUIDField(null=True, blank=True)
    # Penalty owed under the earlier version, carried onto this instalment by a restructuring or an
    # early settlement (owed from the start, like an accrued penalty).
    penalty_carried = models.BigIntegerField(default=0)
    # What the repayments so far paid of it, and its late penalty accrued up to `penalty_accrued_to`
    # (exact; rounded when owed): written back by every repayment and reversal from the loan's
    # replay (fund.allocation), so that the nightly portfolio run reads the state set-based.
    principal_paid = models.BigIntegerField(default=0)
    interest_paid = models.BigIntegerField(default=0)
    penalty_paid = models.BigIntegerField(default=0)
    penalty_accrued = models.DecimalField(max_digits=24, decimal_places=6, default=0)
    penalty_accrued_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["loan", "version", "number"]
        constraints = [models.UniqueConstraint(fields=["loan", "version", "number"], name="fund_instalment_once")]
        indexes = [  # the few lines whose capitalised interest is still to post (the nightly run asks)
            models.Index(
                fields=["due_on"],
                condition=Q(capitalised__gt=0, capitalised_entry_id__isnull=True),
                name="fund_instalment_to_capitalise",
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} #{self.number}"


class Repayment(models.Model):
    """Money a cooperative paid towards its loan, allocated when recorded (see fund.allocation); a
    wrong one is reversed by a reversing entry, never changed."""

    class Status(models.TextChoices):
        POSTED = "POSTED", _("posted")
        REVERSED = "REVERSED", _("reversed")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    amount = models.BigIntegerField(_("amount"))
    paid_on = models.DateField(_("paid on"))
    bank_reference = models.CharField(_("bank reference"), max_length=100)
    allocation = models.JSONField(_("allocation"))  # fund.allocation.Allocation.as_dict()
    schedule_version = models.PositiveSmallIntegerField(default=1)  # the schedule it was allocated on
    entry_id = models.UUIDField()
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.POSTED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))
    reversal_entry_id = models.UUIDField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversal_reason = models.CharField(_("why reversed"), max_length=300, blank=True)

    class Meta:
        ordering = ["loan", "paid_on", "recorded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["loan", "bank_reference"], name="fund_repayment_reference_once")]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.amount} ({self.bank_reference})"


class LoanChange(models.Model):
    """A change to a loan beyond a repayment: a restructuring (a new schedule version, the earlier one
    kept), a write-off, each proposed by a fund officer and decided by another user; or an early
    settlement (recorded at once: its interest rebate is the fund's rule, not a decision)."""

    class Kind(models.TextChoices):
        RESTRUCTURE = "RESTRUCTURE", _("restructuring")
        WRITE_OFF = "WRITE_OFF", _("write-off")
        SETTLEMENT = "SETTLEMENT", _("early settlement")

    class Status(models.TextChoices):
        PROPOSED = "PROPOSED", _("proposed")
        APPROVED = "APPROVED", _("approved")
        REJECTED = "REJECTED", _("rejected")
        REVERSED = "REVERSED", _("reversed")  # an early settlement whose payment was reversed

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    effective_on = models.DateField(_("effective on"))
    terms = models.JSONField(_("new terms"), default=dict, blank=True)  # a restructuring's (fund.services.changes)
    reason = models.CharField(_("reason"), max_length=1000)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(_("reason for rejection"), max_length=500, blank=True)
    # Once carried out: where the loan stood that day (fund.allocation.Standing), the schedule
    # version it made, and its ledger entry (if it moved money).
    standing = models.JSONField(default=dict, blank=True)
    version = models.PositiveSmallIntegerField(null=True, blank=True)
    entry_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["loan", "proposed_at"]
        constraints = [
            models.UniqueConstraint(fields=["loan"], condition=Q(status="PROPOSED"), name="fund_change_one_open")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.kind} {self.status}"


class Disaster(models.Model):
    """A declared disaster (banjir, kebakaran lahan) in an area and period: loans of cooperatives there
    do not grow delinquent while it lasts."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    region_code = models.CharField(_("area"), max_length=13)  # a region code prefix: province … village
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    basis = models.CharField(_("declared by"), max_length=300)  # the decree (SK Gubernur/Bupati)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="fund_disaster_period")
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.starts_on}–{self.ends_on}"


class LoanHealth(models.Model):
    """Where each loan stood at the last portfolio run (the nightly task): one row per loan."""

    loan = models.OneToOneField(Loan, on_delete=models.CASCADE, related_name="health", primary_key=True)
    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=13)
    as_of = models.DateField(_("as of"))
    principal_outstanding = models.BigIntegerField(_("principal outstanding"))
    arrears = models.BigIntegerField(_("arrears"))  # principal and interest due and unpaid
    penalty_owed = models.BigIntegerField(_("penalty owed"))
    days_past_due = models.PositiveIntegerField(_("days past due"))
    quality = models.CharField(_("quality"), max_length=4)
    problem = models.BooleanField(_("problem loan"), default=False)

    class Meta:
        indexes = [models.Index(fields=["fund", "region_code"], name="fund_health_region")]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.quality}"


# The owner kind of a fund's bank statements (ledger.BankStatement), matched by
# fund.services.bank_statements.repayments_match.
BANK_STATEMENT_OWNER = "fund.fund"
