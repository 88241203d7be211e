"""Registry rows: cooperatives and outlets, UMKM, BUMDes, households (with KK history), persons,
DTSEN snapshots, import batches with every row's outcome, and duplicate candidates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from betang.core.ids import new_id


class RegistryRow(models.Model):
    """Common columns: a UUID born where the row is born, and the village code used for scoping."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    region_code = models.CharField(_("village code"), max_length=13, db_index=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        abstract = True


class Cooperative(RegistryRow):
    class Kind(models.TextChoices):
        KDMP = "KDMP", _("Koperasi Desa Merah Putih")
        KKMP = "KKMP", _("Koperasi Kelurahan Merah Putih")
        OTHER = "OTHER", _("Other cooperative")

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("active")
        INACTIVE = "INACTIVE", _("inactive")
        DISSOLVED = "DISSOLVED", _("dissolved")

    name = models.CharField(_("name"), max_length=200)
    name_key = models.CharField(max_length=200, db_index=True)  # normalised, for matching re-imports
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    legal_number = models.CharField(_("legal entity number (AHU)"), max_length=60, blank=True)
    nib = models.CharField("NIB", max_length=13, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    founded_date = models.DateField(_("founded on"), null=True, blank=True)
    business_units = models.JSONField(_("business units"), default=list, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account_number = models.CharField(_("bank account number"), max_length=30, blank=True)
    bank_account_name = models.CharField(_("bank account name"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")
        constraints = [
            models.UniqueConstraint(
                fields=["legal_number"], condition=~Q(legal_number=""), name="coop_legal_number_unique"
            ),
            models.UniqueConstraint(fields=["region_code", "name_key"], name="coop_village_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


# The standard units of a Merah Putih cooperative, by the code an outlet's kind is kept as (a
# cooperative may name its own kind: shown as it is).
OUTLET_KIND_LABELS = {
    "SEMBAKO": _("groceries (sembako)"),
    "APOTEK": _("village pharmacy"),
    "KLINIK": _("village clinic"),
    "SIMPAN_PINJAM": _("savings and loans"),
    "KANTOR": _("cooperative office"),
    "GUDANG": _("warehouse and cold storage"),
    "LOGISTIK": _("logistics"),
    "LAINNYA": _("other"),
}


class Outlet(RegistryRow):
    """A cooperative's business unit that sells (gerai)."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="outlets")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, default="SEMBAKO")
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")

    def __str__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        """The kind in words (`SEMBAKO` → "sembako"); a kind of the cooperative's own as it is."""
        return str(OUTLET_KIND_LABELS.get(self.kind, self.kind))


class Enterprise(RegistryRow):
    """An UMKM; its scale is derived from capital and turnover by PP 7/2021, never typed in."""

    class Scale(models.TextChoices):
        MICRO = "MICRO", _("micro")
        SMALL = "SMALL", _("small")
        MEDIUM = "MEDIUM", _("medium")
        LARGE = "LARGE", _("large")
        UNKNOWN = "UNKNOWN", _("unknown")

    name = models.CharField(_("name"), max_length=200)
    name_key = models.CharField(max_length=200, db_index=True)
    nib = models.CharField("NIB", max_length=13, blank=True)
    owner_name = models.CharField(_("owner"), max_length=150, blank=True)
    owner_nik = models.CharField(_("owner NIK"), max_length=16, blank=True)
    kbli = models.CharField("KBLI", max_length=5, blank=True)
    capital = models.BigIntegerField(_("business capital (Rp)"), null=True, blank=True)
    annual_turnover = models.BigIntegerField(_("annual turnover (Rp)"), null=True, blank=True)
    scale = models.CharField(_("scale"), max_length=10, choices=Scale.choices, default=Scale.UNKNOWN, editable=False)
    phone = models.CharField(_("phone"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("enterprise (UMKM)")
        verbose_name_plural = _("enterprises (UMKM)")
        constraints = [
            models.UniqueConstraint(fields=["nib"], condition=~Q(nib=""), name="enterprise_nib_unique"),
        ]
        indexes = [models.Index(fields=["region_code", "name_key"])]

    def __str__(self) -> str:
        return self.name


class Bumdes(RegistryRow):
    name = models.CharField(_("name"), max_length=200)
    name_key = models.CharField(max_length=200, db_index=True)
    is_joint = models.BooleanField(_("joint (BUM Desa bersama)"), default=False)
    member_village_codes = models.JSONField(_("member villages"), default=list, blank=True)
    legal_number = models.CharField(_("legal entity certificate number"), max_length=60, blank=True)
    business_units = models.JSONField(_("business units"), default=list, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("BUMDes")
        verbose_name_plural = _("BUMDes")
        constraints = [models.UniqueConstraint(fields=["region_code", "name_key"], name="bumdes_village_name_unique")]

    def __str__(self) -> str:
        return self.name


class Household(RegistryRow):
    """A family with its own id: the KK number is a versioned attribute (HouseholdKk), never the key."""

    kk_number = models.CharField(_("KK number"), max_length=16)  # the current one
    address = models.CharField(_("address"), max_length=300, blank=True)
    latest_decile = models.PositiveSmallIntegerField(_("DTSEN decile"), null=True, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        # Exact lookups only: a plain index, without the pattern-ops twin PostgreSQL gets for db_index.
        indexes = [models.Index(fields=["kk_number"], name="household_kk_number")]

    def __str__(self) -> str:
        return self.kk_number


class HouseholdKk(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="kk_history")
    kk_number = models.CharField(_("KK number"), max_length=16)
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-valid_from"]
        indexes = [models.Index(fields=["kk_number"], name="household_kk_history_number")]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(valid_to__isnull=True), name="one_current_kk")
        ]

    def __str__(self) -> str:
        return self.kk_number


class DtsenSnapshot(models.Model):
    """A household's DTSEN welfare decile as one source said on one date."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="dtsen_snapshots")
    decile = models.PositiveSmallIntegerField(_("decile"))
    source = models.CharField(_("source"), max_length=100)
    as_of_date = models.DateField(_("as of"))

    class Meta:
        ordering = ["-as_of_date"]
        constraints = [
            models.UniqueConstraint(fields=["household", "source", "as_of_date"], name="dtsen_once_per_source_date"),
            models.CheckConstraint(condition=Q(decile__gte=1, decile__lte=10), name="dtsen_decile_1_10"),
        ]

    def __str__(self) -> str:
        return f"{self.decile} ({self.source}, {self.as_of_date})"


class Person(RegistryRow):
    class Sex(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    class Relation(models.TextChoices):
        HEAD = "HEAD", _("head of family")
        SPOUSE = "SPOUSE", _("spouse")
        CHILD = "CHILD", _("child")
        CHILD_IN_LAW = "CHILD_IN_LAW", _("child-in-law")
        GRANDCHILD = "GRANDCHILD", _("grandchild")
        PARENT = "PARENT", _("parent")
        PARENT_IN_LAW = "PARENT_IN_LAW", _("parent-in-law")
        OTHER_FAMILY = "OTHER_FAMILY", _("other family")
        HELPER = "HELPER", _("household helper")
        OTHER = "OTHER", _("other")

    class Review(models.TextChoices):
        NONE = "", _("none")
        WARNING = "WARNING", _("check the warnings")
        POSSIBLE_DUPLICATE = "POSSIBLE_DUPLICATE", _("possible duplicate")

    # Persons are only ever filtered by village prefix (scope), never sorted by it: one pattern index.
    region_code = models.CharField(_("village code"), max_length=13)
    nik = models.CharField("NIK", max_length=16)
    name = models.CharField(_("name"), max_length=150)
    name_key = models.CharField(max_length=150)  # normalised for matching
    block_key = models.CharField(max_length=20)  # district|birth date: the dedup block (exact lookups only)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    relation = models.CharField(_("relation"), max_length=15, choices=Relation.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    review = models.CharField(_("review"), max_length=20, choices=Review.choices, blank=True, default="")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", db_index=False
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        # Each index costs every imported row its upkeep: only those a query needs, and no wider.
        indexes = [
            models.Index(fields=["block_key"], name="person_block_key"),
            models.Index(fields=["region_code"], name="person_region_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["merged_into"], name="person_merged_into", condition=Q(merged_into__isnull=False)),
        ]
        constraints = [models.UniqueConstraint(fields=["nik"], name="person_nik_unique")]

    def __str__(self) -> str:
        return self.name


class CooperativeMember(models.Model):
    class Role(models.TextChoices):
        MEMBER = "MEMBER", _("member")
        CHAIR = "CHAIR", _("chair")
        SECRETARY = "SECRETARY", _("secretary")
        TREASURER = "TREASURER", _("treasurer")
        SUPERVISOR = "SUPERVISOR", _("supervisor")

    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cooperative_memberships")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    joined_date = models.DateField(_("joined on"), null=True, blank=True)
    term_end = models.DateField(_("term ends"), null=True, blank=True)  # for the board and supervisors

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cooperative", "person"], name="member_once_per_coop")]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.cooperative_id}"


class CooperativeStaff(models.Model):
    """A cooperative operator or cashier works for one cooperative: its payments, outlets and pages are
    the only ones they act on (their region scope is the cooperative's village)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cooperative_post")
    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="staff")
    since = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("cooperative staff")
        verbose_name_plural = _("cooperative staff")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.cooperative_id}"


class DuplicateCandidate(models.Model):
    """Two persons that may be one; an officer merges them or marks them distinct (never proposed again)."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("open")
        MERGED = "MERGED", _("merged")
        DISTINCT = "DISTINCT", _("distinct")

    existing = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("similarity"))
    reason = models.CharField(_("reason"), max_length=200)
    region_code = models.CharField(max_length=13, db_index=True)  # the candidate's village, for scoping
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["existing", "candidate"], name="duplicate_pair_once")]

    def __str__(self) -> str:
        return f"{self.existing_id} ~ {self.candidate_id} ({self.score})"


class ImportBatch(models.Model):
    class Kind(models.TextChoices):
        HOUSEHOLDS = "households", _("households and members")
        COOPERATIVES = "cooperatives", _("cooperatives")
        ENTERPRISES = "enterprises", _("enterprises (UMKM)")
        BUMDES = "bumdes", _("BUMDes")
        MEMBERS = "members", _("cooperative members")
        OUTLETS = "outlets", _("cooperative outlets")

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("queued")
        RUNNING = "RUNNING", _("running")
        DONE = "DONE", _("done")
        FAILED = "FAILED", _("could not be read")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(_("error"), blank=True)
    error_code = models.CharField(max_length=40, blank=True)  # the refusal's stable code (import.too_many_rows, …)
    scope_region_code = models.CharField(max_length=13, blank=True)  # the uploader's area at upload time
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    task_id = models.CharField(max_length=64, blank=True)
    headers = models.JSONField(default=list, blank=True)  # the file's header row, in its order
    total_rows = models.PositiveIntegerField(default=0)
    # Every line up to here is written (later ones may be too): a rerun resumes after it.
    last_line = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name}"


class ImportRow(models.Model):
    class Outcome(models.TextChoices):
        CREATED = "CREATED", _("created")
        UPDATED = "UPDATED", _("updated")
        UNCHANGED = "UNCHANGED", _("unchanged")
        REJECTED = "REJECTED", _("rejected")
        HELD = "HELD", _("held as possible duplicate")

    # No index of its own: the unique (batch, line) below serves every lookup by batch. No database
    # constraint either: its check at COMMIT cost a million-row import seconds, for rows that only the
    # import writes, under the batch it has just made (deleting a batch still deletes its rows: the
    # ORM's cascade, and the import's tests).
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="rows", db_index=False, db_constraint=False
    )
    line = models.PositiveIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    codes = models.CharField(max_length=200, blank=True)  # stable codes, comma-separated
    message = models.TextField(blank=True)
    data = models.JSONField(default=list)  # the row's cells as uploaded, in the order of batch.headers
    object_id = models.UUIDField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["batch", "line"]
        constraints = [models.UniqueConstraint(fields=["batch", "line"], name="import_row_once")]

    def __str__(self) -> str:
        return f"{self.line}: {self.outcome}"
