"""The point of sale: a cooperative's items, stock per outlet (kept, with every move), sales and their lines.

Quantities are whole units of the item's unit (a 5 kg sack, a litre bottle, an egg); amounts are whole
rupiah. Stock moves are appended, never edited; a stock row keeps their running sum.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from betang.aid.contracts import GoodsCategory
from betang.core.ids import new_id


class Item(models.Model):
    """Something a cooperative sells, at one price in all its outlets."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    cooperative = models.ForeignKey("registry.Cooperative", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, db_index=True)  # the cooperative's village, for scoping
    code = models.CharField(_("code or barcode"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    unit = models.CharField(_("unit"), max_length=20)
    category = models.CharField(_("goods category"), max_length=20, choices=GoodsCategory.choices)
    price = models.BigIntegerField(_("price (Rp)"))
    is_active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "code"], name="item_code_once_per_coop"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="item_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Stock(models.Model):
    """How many of an item an outlet holds: the running sum of its moves, never below zero."""

    outlet = models.ForeignKey("registry.Outlet", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="stock")
    quantity = models.BigIntegerField(_("quantity"), default=0)
    low_at = models.BigIntegerField(_("warn at or below"), default=0)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.UniqueConstraint(fields=["outlet", "item"], name="stock_once_per_outlet_item"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stock_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} @ {self.outlet_id}: {self.quantity}"


class StockMove(models.Model):
    """One change of an outlet's stock of an item, appended: received, adjusted, sold or returned by a void."""

    class Kind(models.TextChoices):
        RECEIVE = "RECEIVE", _("received")
        ADJUST = "ADJUST", _("adjusted")
        SALE = "SALE", _("sold")
        VOID = "VOID", _("returned (void)")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    outlet = models.ForeignKey("registry.Outlet", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="moves")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    quantity = models.BigIntegerField(_("quantity"))  # signed: in is positive
    after = models.BigIntegerField(_("stock after"))
    reference = models.CharField(_("reference"), max_length=200, blank=True)  # delivery note, reason
    sale = models.ForeignKey("Sale", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        indexes = [models.Index(fields=["outlet", "item", "occurred_at"], name="stockmove_outlet_item_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity}"


class Sale(models.Model):
    """A basket sold at an outlet, paid by aid card and/or cash; voided (same day, by a supervisor),
    never edited."""

    class Status(models.TextChoices):
        PAID = "PAID", _("paid")
        VOIDED = "VOIDED", _("voided")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    idempotency_key = models.CharField(max_length=200, unique=True)
    request_hash = models.CharField(max_length=64)
    number = models.CharField(_("receipt"), max_length=30, unique=True)
    outlet = models.ForeignKey("registry.Outlet", on_delete=models.PROTECT, related_name="+")
    cooperative = models.ForeignKey("registry.Cooperative", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13)  # the cooperative's village
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    total = models.BigIntegerField(_("total"))
    card_amount = models.BigIntegerField(_("paid by card"), default=0)
    cash_amount = models.BigIntegerField(_("paid in cash"), default=0)
    cash_tendered = models.BigIntegerField(_("cash received"), default=0)
    redemption_id = models.UUIDField(null=True, blank=True)  # aid's card payment, when the card paid
    card_last4 = models.CharField(max_length=4, blank=True)  # for the receipt; never the whole number
    pockets = models.JSONField(default=dict)  # pocket code → amount the card took from it
    balances = models.JSONField(default=list)  # the card's pockets after the sale, for the receipt
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.PAID)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.CharField(_("void reason"), max_length=300, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    occurred_at = models.DateTimeField(_("time"))
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        indexes = [models.Index(fields=["outlet", "occurred_at"], name="sale_outlet_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total=models.F("card_amount") + models.F("cash_amount")), name="sale_paid_in_full"
            ),
            models.CheckConstraint(
                condition=models.Q(card_amount__gte=0, cash_amount__gte=0, cash_tendered__gte=models.F("cash_amount")),
                name="sale_amounts_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def change(self) -> int:
        return self.cash_tendered - self.cash_amount


class SaleLine(models.Model):
    """An item of a sale at the price it was sold for (copied: prices change, receipts do not)."""

    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=20)
    category = models.CharField(max_length=20, choices=GoodsCategory.choices)
    quantity = models.BigIntegerField()
    unit_price = models.BigIntegerField()
    amount = models.BigIntegerField()
    card_amount = models.BigIntegerField(default=0)  # how much of the line the card paid

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["sale", "position"], name="sale_line_position_once")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class DayClose(models.Model):
    """A cashier's end of day at an outlet: their sales counted by the system beside the cash they
    counted in the drawer. After it, that cashier sells no more that day there and their sales of
    the day are not voided (a correction is a stock adjustment)."""

    outlet = models.ForeignKey("registry.Outlet", on_delete=models.PROTECT, related_name="+")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField(_("day"))
    sales = models.PositiveIntegerField(_("sales"))
    voided = models.PositiveIntegerField(_("voided"))
    card_total = models.BigIntegerField(_("paid by card"))
    cash_total = models.BigIntegerField(_("cash expected"))
    cash_counted = models.BigIntegerField(_("cash counted"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"))

    class Meta:
        verbose_name = _("day close")
        verbose_name_plural = _("day closes")
        constraints = [
            models.UniqueConstraint(fields=["outlet", "cashier", "business_date"], name="day_close_once"),
        ]

    def __str__(self) -> str:
        return f"{self.cashier_id} @ {self.outlet_id} {self.business_date}"

    @property
    def difference(self) -> int:
        """Cash counted minus cash expected: negative is a shortfall."""
        return self.cash_counted - self.cash_total
