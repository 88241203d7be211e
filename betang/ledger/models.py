"""Double-entry ledger: accounts, entries and their postings. Only `ledger.services` writes here.

Signs follow accounting: a posting's amount is positive for a debit and negative for a credit, and
an entry's postings sum to zero. An account's balance is shown on its normal side: a debit-normal
account (a bank account, a loan receivable) has the sum of its postings as balance, a credit-normal
one (a program budget, a household wallet, what a cooperative is owed) the negated sum, so that for
every account "more money here" is a larger balance.

Running balances are kept only where a limit is checked (`allow_negative=False`): those accounts are
locked for each posting. The others (funding sources, cooperatives' payables: the hot accounts that
thousands of payments credit) only get postings appended, and their balance is the sum of them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from betang.core.ids import new_id


class LedgerQuerySet(models.QuerySet):
    """Entries and postings are never changed or removed: mistakes are reversed by a new entry."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model._meta.label} rows are immutable; post a reversal instead")

    def delete(self):
        raise TypeError(f"{self.model._meta.label} rows are immutable; post a reversal instead")


class Immutable(models.Model):
    """Rows that, once written, are never saved again nor deleted (the database refuses it too)."""

    objects = LedgerQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{self._meta.label} rows are immutable; post a reversal instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{self._meta.label} rows are immutable; post a reversal instead")


class Account(models.Model):
    class Kind(models.TextChoices):
        BANK = "BANK", _("bank account")
        FUNDING = "FUNDING", _("funding source")
        PROGRAM_BUDGET = "PROGRAM_BUDGET", _("program budget")
        HOUSEHOLD_WALLET = "HOUSEHOLD_WALLET", _("household wallet")
        COOPERATIVE_PAYABLE = "COOPERATIVE_PAYABLE", _("owed to cooperative")
        OUTPOST_ESCROW = "OUTPOST_ESCROW", _("outpost escrow")
        FUND_POOL = "FUND_POOL", _("revolving fund pool")
        LOAN_RECEIVABLE = "LOAN_RECEIVABLE", _("loan receivable")
        WRITE_OFF = "WRITE_OFF", _("receivables written off")
        INCOME = "INCOME", _("income")
        SUSPENSE = "SUSPENSE", _("suspense")

    class Side(models.TextChoices):
        DEBIT = "DEBIT", _("debit")
        CREDIT = "CREDIT", _("credit")

    key = models.CharField(max_length=200, unique=True)  # e.g. "wallet:<household>:<program>:FOOD"
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    normal_side = models.CharField(_("normal side"), max_length=6, choices=Side.choices)
    allow_negative = models.BooleanField(_("may go below zero"), default=False)
    # Kept (on the normal side) only when allow_negative is False; NULL otherwise: sum the postings.
    balance = models.BigIntegerField(_("balance"), null=True, blank=True)
    version = models.PositiveBigIntegerField(default=0)
    region_code = models.CharField(_("village code"), max_length=13, blank=True)
    owner_ref = models.CharField(max_length=100, blank=True)  # e.g. "registry.household:<id>", for lookups
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        indexes = [models.Index(fields=["owner_ref"], name="ledger_account_owner")]
        constraints = [
            models.CheckConstraint(
                condition=Q(allow_negative=True, balance__isnull=True)
                | Q(allow_negative=False, balance__isnull=False, balance__gte=0),
                name="ledger_account_balance_kept_iff_limited",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sign(self) -> int:
        """+1 for debit-normal accounts, −1 for credit-normal ones: balance = sign × Σ postings."""
        return 1 if self.normal_side == self.Side.DEBIT else -1


class Entry(Immutable):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    # Unique by a constraint (not unique=True, which on PostgreSQL adds a second, LIKE index that
    # every post would maintain and nothing reads).
    idempotency_key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)  # of kind, legs, memo, reversal: a replay must match
    kind = models.CharField(_("kind"), max_length=60)  # dotted: "aid.cycle.credit", "aid.card.payment"
    occurred_at = models.DateTimeField(_("occurred at"))  # business time
    recorded_at = models.DateTimeField(_("recorded at"))  # when the ledger wrote it
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    # sha256 of the postings as written (see services.rules.postings_digest): `ledger verify` recomputes it, so a
    # posting changed or removed behind the ledger's back is found.
    postings_digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["kind", "occurred_at"], name="ledger_entry_kind_time")]
        constraints = [models.UniqueConstraint(fields=["idempotency_key"], name="ledger_entry_key_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"


class Posting(Immutable):
    # No foreign key constraints in the database: checking them one row at a time cost more than
    # writing the postings (a cycle credit writes millions). The ledger's one writer puts postings
    # only on accounts it has checked, beside the entry it writes in the same transaction; entries
    # and accounts can never be deleted (triggers; see migrations), and `ledger verify` names any
    # posting whose entry or account is missing.
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="postings", db_constraint=False)
    # Indexed with the id below: (account, id) serves lookups by account and running sums in order.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="postings", db_index=False, db_constraint=False
    )
    amount = models.BigIntegerField(_("amount"))  # rupiah; debit > 0, credit < 0

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        indexes = [models.Index(fields=["account", "id"], name="ledger_posting_account")]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_posting_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"


class BankStatement(models.Model):
    """A bank's statement of one owner's account (an aid program's, a revolving fund's), uploaded to
    match its lines: the file is kept as it came, with what the owner's matcher made of each line and
    the counts. The owner is a kind and an id, not a foreign key: the ledger sits below the apps that
    own the accounts, and each reads its statements only through its own owner, once its scope check
    let the user see that owner (`ledger.statements`)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    owner_kind = models.CharField(max_length=40)  # the matcher's registered kind: "aid.program", "fund.fund"
    owner_id = models.UUIDField()
    file = models.FileField(upload_to="bank-statements/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))
    # Per line, in the file's order: {"line", "outcome", "reason"} and what the owner's matcher adds
    # (the settlement's number; the loan's number, the amount and the repayment).
    outcomes = models.JSONField(default=list)
    counts = models.JSONField(default=dict)  # outcome → lines

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        indexes = [models.Index(fields=["owner_kind", "owner_id", "uploaded_at"], name="ledger_statement_owner")]
        constraints = [models.CheckConstraint(condition=~Q(owner_kind=""), name="ledger_statement_has_owner")]

    def __str__(self) -> str:
        return self.original_name
