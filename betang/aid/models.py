"""Aid programs: pockets and eligibility, enrolments, cycles with maker-checker, cards, redemptions.

Money never lives here: wallets, budgets and what cooperatives are owed are ledger accounts, and
every rupiah moves by a ledger entry (aid.posting builds them, ledger.services posts them).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from betang.core.ids import new_id


def never_from_aid() -> list[str]:
    """Goods no pocket pays for, not even a general one, unless a program says otherwise: tobacco."""
    return ["ROKOK"]


class Program(models.Model):
    class Basis(models.TextChoices):
        HOUSEHOLD = "HOUSEHOLD", _("fixed per household")
        MEMBER = "MEMBER", _("per member, with a cap")

    class Unspent(models.TextChoices):
        CARRY_OVER = "CARRY_OVER", _("carried over to the next cycle")
        EXPIRE = "EXPIRE", _("returned to the budget when the next cycle is credited")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    region_code = models.CharField(_("region"), max_length=13, blank=True)  # "62": a provincial program
    cycle_months = models.PositiveSmallIntegerField(_("cycle length (months)"), default=1)
    unspent = models.CharField(_("unspent funds"), max_length=10, choices=Unspent.choices, default=Unspent.CARRY_OVER)
    # Eligibility is data: {"max_decile": 4, "regencies": ["62.03"], "exclude": ["PKH", "SEMBAKO"],
    # "decree": "SK Gubernur ..."}; every change is kept as a RuleChange (services.programs.rule_change).
    eligibility = models.JSONField(_("eligibility rule"), default=dict, blank=True)
    # Goods categories no pocket of the program pays for (a general pocket admits all the others).
    excluded_categories = models.JSONField(_("never paid for"), default=never_from_aid, blank=True)
    approvals_required = models.PositiveSmallIntegerField(_("approvals required"), default=1)
    # Above this cycle total, one more approval is needed (0: never).
    extra_approval_above = models.BigIntegerField(_("extra approval above"), default=0)
    budget_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    bank_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("aid program")
        verbose_name_plural = _("aid programs")

    def __str__(self) -> str:
        return self.name


class Pocket(models.Model):
    """Part of each household's entitlement, spendable only on its categories (none listed: any)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="pockets")
    code = models.SlugField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    categories = models.JSONField(_("goods categories"), default=list, blank=True)
    amount_per_household = models.BigIntegerField(_("per household"), default=0)
    amount_per_member = models.BigIntegerField(_("per member"), default=0)
    member_cap = models.PositiveSmallIntegerField(_("members counted at most"), default=0)

    class Meta:
        verbose_name = _("pocket")
        verbose_name_plural = _("pockets")
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="pocket_code_once")]

    def __str__(self) -> str:
        return self.name

    def entitlement(self, members: int) -> int:
        counted = min(members, self.member_cap) if self.member_cap else members
        return self.amount_per_household + self.amount_per_member * counted


class NationalAid(models.Model):
    """A household's membership of a national program (PKH, Sembako/BPNT, BLT Dana Desa), as reported."""

    class Kind(models.TextChoices):
        PKH = "PKH", "PKH"
        SEMBAKO = "SEMBAKO", _("Sembako/BPNT")
        BLT_DD = "BLT_DD", _("BLT Dana Desa")

    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="national_aid")
    kind = models.CharField(_("program"), max_length=10, choices=Kind.choices)
    as_of_date = models.DateField(_("as of"))
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["household", "kind"], name="national_aid_once")]

    def __str__(self) -> str:
        return self.kind


class RuleChange(models.Model):
    """One version of a program's eligibility rule: what it said, from when, on whose decision."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="rule_changes")
    rule = models.JSONField(_("eligibility rule"))
    note = models.CharField(_("reason"), max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("eligibility rule change")
        verbose_name_plural = _("eligibility rule changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.program_id} @ {self.changed_at}"


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("active")
        ENDED = "ENDED", _("ended")

    class Basis(models.TextChoices):
        RULE = "RULE", _("by the eligibility rule")
        MANUAL = "MANUAL", _("by an officer")  # kept as the officer left it by every later review

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrolments")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="enrolments")
    cooperative = models.ForeignKey("registry.Cooperative", on_delete=models.PROTECT, related_name="enrolments")
    region_code = models.CharField(_("village code"), max_length=13)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    basis = models.CharField(_("decided"), max_length=6, choices=Basis.choices, default=Basis.RULE)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["program", "household"], name="enrolment_once")]
        indexes = [models.Index(fields=["program", "status"], name="enrolment_program_status")]

    def __str__(self) -> str:
        return f"{self.program_id}/{self.household_id}"


class Cycle(models.Model):
    class Status(models.TextChoices):
        DRAFTING = "DRAFTING", _("being drafted")
        DRAFT = "DRAFT", _("draft")
        SUBMITTED = "SUBMITTED", _("submitted")
        APPROVED = "APPROVED", _("approved")
        CREDITING = "CREDITING", _("being credited")
        CREDITED = "CREDITED", _("credited")
        CLOSED = "CLOSED", _("closed")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="cycles")
    number = models.PositiveIntegerField(_("number"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    households = models.PositiveIntegerField(_("households"), default=0)
    total = models.BigIntegerField(_("total"), default=0)
    # Who joined and who left since the previous cycle, and why: {"joined": [...], "left": [...]}.
    eligibility_changes = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    credited_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Where the cycle's reconciliation window ends, fixed when it closes: card payments from then on
    # belong to the next cycle's (see aid.services.reconciliation.cycle_window).
    window_end_at = models.DateTimeField(null=True, blank=True)
    # The background draft while DRAFTING, then the credit's (APPROVED, CREDITING): for its progress.
    task_id = models.CharField(max_length=64, blank=True)
    close_task_id = models.CharField(max_length=64, blank=True)  # the background close (expiring funds)
    task_error = models.CharField(max_length=300, blank=True)  # why the last draft or credit task stopped
    expired_total = models.BigIntegerField(_("expired at close"), default=0)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        constraints = [models.UniqueConstraint(fields=["program", "number"], name="cycle_number_once")]

    def __str__(self) -> str:
        return f"{self.program.code} #{self.number}"


class CycleApproval(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cycle", "approver"], name="approval_once_per_user")]

    def __str__(self) -> str:
        return f"{self.cycle_id}: {self.approver_id}"


class Entitlement(models.Model):
    """What one household gets in one pocket in one cycle (written when the cycle is drafted)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="entitlements")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="entitlements")
    pocket = models.ForeignKey(Pocket, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(_("amount"))
    # The household's wallet for this pocket, opened when the cycle is drafted: the credit then reads
    # every leg from this table alone (see services.cycles.cycle_credit).
    wallet = models.ForeignKey("ledger.Account", null=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    # The credit posts one ledger entry per batch of households, keyed by the cycle and this number;
    # fixed when the cycle is drafted, so that a rerun of a credit finds the same entries.
    batch = models.PositiveIntegerField(_("credit batch"), default=0)

    class Meta:
        indexes = [models.Index(fields=["cycle", "batch"], name="entitlement_batch")]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "enrolment", "pocket"], name="entitlement_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="entitlement_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.pocket_id}: {self.amount}"


class Card(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("active")
        LOCKED = "LOCKED", _("locked: wrong PIN")
        BLOCKED = "BLOCKED", _("blocked")
        REPLACED = "REPLACED", _("replaced")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    number = models.CharField(_("card number"), max_length=16, unique=True)  # random, Luhn check digit
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="cards")
    region_code = models.CharField(_("village code"), max_length=13)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    pin_hash = models.CharField(max_length=200, blank=True)  # never the PIN: its online verifier (aid.pins)
    pin_offline_hash = models.CharField(max_length=200, blank=True)  # what an outpost's roster will carry
    failed_pin_attempts = models.PositiveSmallIntegerField(default=0)
    batch = models.CharField(_("issue batch"), max_length=40, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(status__in=["ACTIVE", "LOCKED"]),
                name="one_usable_card_per_household",
            )
        ]

    def __str__(self) -> str:
        return f"•••• {self.number[-4:]}"


class TallyState(models.IntegerChoices):
    """A payment's place in the distribution tallies: waiting to be counted, counted, its void
    waiting to be taken off, done (counted and taken off, or voided before it was counted)."""

    NEW = 0, _("not yet counted")
    COUNTED = 1, _("counted")
    VOID_PENDING = 2, _("void not yet counted")
    DONE = 3, _("done")


class Redemption(models.Model):
    """A card payment at a cooperative's outlet: the basket, and the ledger entry that paid it."""

    class Status(models.TextChoices):
        PAID = "PAID", _("paid")
        VOIDED = "VOIDED", _("voided")

    class Origin(models.TextChoices):
        ONLINE = "ONLINE", _("online")
        OUTPOST = "OUTPOST", _("outpost")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    idempotency_key = models.CharField(max_length=200, unique=True)
    request_hash = models.CharField(max_length=64)
    # Indexed with occurred_at below: a card's payments in a time window (the anomaly checks).
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="redemptions", db_index=False)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    cooperative = models.ForeignKey("registry.Cooperative", on_delete=models.PROTECT, related_name="+")
    outlet = models.ForeignKey("registry.Outlet", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="redemptions")
    region_code = models.CharField(max_length=13)  # the cooperative's village
    amount = models.BigIntegerField(_("amount"))
    basket = models.JSONField(_("basket"))  # [{"category", "amount", "description"}]
    pockets = models.JSONField(default=dict)  # pocket code → amount taken from it
    balances = models.JSONField(default=list)  # each pocket's balance after the payment, for replays
    receipt_number = models.CharField(_("receipt"), max_length=30, unique=True)
    entry_id = models.UUIDField()  # the ledger entry
    void_entry_id = models.UUIDField(null=True, blank=True)
    settlement = models.ForeignKey(
        "Settlement", null=True, blank=True, on_delete=models.PROTECT, related_name="redemptions"
    )  # the statement that claimed it: each payment is settled once
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.PAID)
    origin = models.CharField(max_length=7, choices=Origin.choices, default=Origin.ONLINE)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    # Where the payment stands in the distribution tallies (aid.services.distribution): written by
    # the fold, never in the payment's own transaction, so that no payment waits on a summary row.
    tally = models.PositiveSmallIntegerField(db_default=0, default=0, choices=TallyState.choices)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        indexes = [
            models.Index(fields=["cooperative", "occurred_at"], name="redemption_coop_time"),
            models.Index(fields=["card", "occurred_at"], name="redemption_card_time"),
            models.Index(fields=["tally"], condition=Q(tally__in=[0, 2]), name="redemption_untallied"),
        ]

    def __str__(self) -> str:
        return self.receipt_number


class Settlement(models.Model):
    """What the program owes one cooperative for its card payments up to a day: a statement (the
    payments it claims, each only once; one synced late from an outpost goes in the next statement),
    then paid by bank transfer (posted: payable → the program's bank), then reconciled when the
    bank's own statement shows the transfer."""

    class Status(models.TextChoices):
        ISSUED = "ISSUED", _("issued")
        PAID = "PAID", _("paid")
        RECONCILED = "RECONCILED", _("reconciled")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    number = models.CharField(_("number"), max_length=40, unique=True)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="settlements")
    cooperative = models.ForeignKey("registry.Cooperative", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, db_index=True)  # the cooperative's village
    period_start_date = models.DateField(_("from"))  # the first payment it claims
    period_end_date = models.DateField(_("to"))  # inclusive: every unsettled payment up to this day
    payments = models.PositiveIntegerField(_("payments"))
    amount = models.BigIntegerField(_("amount"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    paid_date = models.DateField(_("paid on"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry_id = models.UUIDField(null=True, blank=True)  # the ledger entry of the transfer
    bank_line = models.CharField(_("bank statement line"), max_length=300, blank=True)  # what matched it
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        indexes = [models.Index(fields=["program", "period_end_date"], name="settlement_program_period")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="settlement_amount_positive")]

    def __str__(self) -> str:
        return self.number


# The owner kind of a program's bank statements (ledger.BankStatement), matched by
# aid.services.settlements.settlements_match.
BANK_STATEMENT_OWNER = "aid.program"


class Tally(models.Model):
    """Distribution figures of a program at one node of province → regency → district → village →
    cooperative, kept current by aid.services.distribution: payments within seconds (folded from the
    redemptions not yet counted), households, cards and credit whenever they are refreshed. Read by
    the distribution view instead of grouping the payments."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        REGENCY = "regency", _("regency/city")
        DISTRICT = "district", _("district")
        VILLAGE = "village", _("village")
        COOPERATIVE = "cooperative", _("cooperative")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=11, choices=Level.choices)
    code = models.CharField(max_length=40)  # a region code, or a cooperative's id
    parent = models.CharField(max_length=13)  # the region code above it ("" for a province)
    enrolled = models.IntegerField(default=0)  # households enrolled (active) with a home cooperative here
    cards = models.IntegerField(default=0)  # their active cards
    credited = models.BigIntegerField(default=0)  # every credited cycle's entitlements, rupiah
    redeemed_count = models.BigIntegerField(default=0)  # card payments made here, net of voids
    redeemed_amount = models.BigIntegerField(default=0)
    last_payment_at = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)  # when households, cards and credit were last counted

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "level", "code"], name="tally_node")]
        indexes = [models.Index(fields=["program", "parent"], name="tally_children")]

    def __str__(self) -> str:
        return f"{self.level} {self.code}"


class Reconciliation(models.Model):
    """A cycle's four figures at one outlet (the outlet's cooperative when the card paid without one):
    credited to the cooperative's enrolled households, redeemed by card, issued from stock for card
    sales, and settled (in a statement paid). Computed by outlets.services.reconciliation; the differences are
    ReconciliationExceptions."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="reconciliations")
    cooperative = models.ForeignKey("registry.Cooperative", on_delete=models.PROTECT, related_name="+")
    outlet = models.ForeignKey("registry.Outlet", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, db_index=True)  # the cooperative's village
    credited = models.BigIntegerField(_("credited"))
    redeemed = models.BigIntegerField(_("redeemed"))
    issued = models.BigIntegerField(_("issued from stock"))
    settled = models.BigIntegerField(_("settled"))
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "cooperative", "outlet"], name="reconciliation_once"),
            models.UniqueConstraint(
                fields=["cycle", "cooperative"], condition=Q(outlet__isnull=True), name="reconciliation_once_no_outlet"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle} {self.outlet_id or self.cooperative_id}"


class ReconciliationException(models.Model):
    """A difference the four-way reconciliation found, with who must answer for it; a cycle cannot be
    closed while one is open."""

    class Kind(models.TextChoices):
        NO_GOODS = "NO_GOODS", _("card payment without goods issued")
        GOODS_NOT_PAID = "GOODS_UNPAID", _("goods issued, card payment voided")
        STOCK_SHORTFALL = "SHORTFALL", _("stock shortfall")
        NOT_IN_STATEMENT = "UNSETTLED", _("card payments in no statement")
        STATEMENT_UNPAID = "UNPAID", _("statement not paid")

    class Owner(models.TextChoices):
        COOPERATIVE = "COOPERATIVE", _("the cooperative")
        PROGRAM = "PROGRAM", _("the program office")

    class Status(models.TextChoices):
        OPEN = "OPEN", _("open")
        RESOLVED = "RESOLVED", _("resolved")  # explained by its owner, with a note
        CLEARED = "CLEARED", _("cleared")  # the difference is gone (settled, voided, corrected)

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="exceptions")
    cooperative = models.ForeignKey("registry.Cooperative", on_delete=models.PROTECT, related_name="+")
    outlet = models.ForeignKey("registry.Outlet", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, db_index=True)
    kind = models.CharField(_("difference"), max_length=12, choices=Kind.choices)
    subject = models.CharField(max_length=80)  # what it is about: a payment, sale, stock move, statement
    amount = models.BigIntegerField(_("amount"))
    detail = models.CharField(_("detail"), max_length=300)
    owner = models.CharField(_("owner"), max_length=11, choices=Owner.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField(_("found at"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("resolution"), max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cycle", "kind", "subject"], name="exception_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject}"


class Anomaly(models.Model):
    """A pattern of card payments worth a look (DOMAIN: anti-fraud checks), found when the payments
    are folded into the distribution tallies; one row per card and pattern and day, kept current as
    more payments of the same pattern come in. An officer reviews it with a note."""

    class Kind(models.TextChoices):
        RAPID = "RAPID", _("many payments on one card within minutes")
        FAR = "FAR", _("paid far from the home cooperative")

    class Status(models.TextChoices):
        OPEN = "OPEN", _("open")
        REVIEWED = "REVIEWED", _("reviewed")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    key = models.CharField(max_length=200, unique=True)  # kind, card, (cooperative,) day: one row per pattern
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="anomalies")
    kind = models.CharField(_("pattern"), max_length=5, choices=Kind.choices)
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="anomalies")
    cooperative = models.ForeignKey("registry.Cooperative", on_delete=models.PROTECT, related_name="+")
    home_cooperative = models.ForeignKey(
        "registry.Cooperative", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(max_length=13)  # the village of the cooperative where it was paid
    payments = models.PositiveIntegerField(_("payments"))
    amount = models.BigIntegerField(_("amount"))
    first_at = models.DateTimeField(_("first payment"))
    last_at = models.DateTimeField(_("last payment"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("review note"), max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["program", "status", "last_at"], name="anomaly_program_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"
