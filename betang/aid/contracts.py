"""What other apps (outlets, outposts) may use of aid: goods categories and the payment basket."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class GoodsCategory(models.TextChoices):
    BERAS = "BERAS", _("rice")
    TELUR = "TELUR", _("eggs")
    MINYAK_GORENG = "MINYAK_GORENG", _("cooking oil")
    GULA = "GULA", _("sugar")
    LAUK_PAUK = "LAUK_PAUK", _("meat and fish")
    SAYUR = "SAYUR", _("vegetables")
    BUAH = "BUAH", _("fruit")
    PROTEIN_NABATI = "PROTEIN_NABATI", _("tofu, tempeh and legumes")
    PANGAN_LAIN = "PANGAN_LAIN", _("other food")
    NON_PANGAN = "NON_PANGAN", _("non-food")
    ROKOK = "ROKOK", _("tobacco")


@dataclass(frozen=True)
class BasketLine:
    category: str  # a GoodsCategory value
    amount: int  # whole rupiah for the line (quantity × price)
    description: str = ""
