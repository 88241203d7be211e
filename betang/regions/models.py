"""Province, Regency, District and Village keyed by their dotted Kemendagri codes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionBase(models.Model):
    # Dotted Kemendagri code kept as text: leading zeros and dots matter (62.03.01.2001).
    code = models.CharField(_("code"), max_length=13, primary_key=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    # A code missing from a newer reference file is retired, never deleted: old NIKs and reports keep it.
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Province(RegionBase):
    class Meta(RegionBase.Meta):
        verbose_name = _("province")
        verbose_name_plural = _("provinces")


class Regency(RegionBase):
    class Kind(models.TextChoices):
        KABUPATEN = "KABUPATEN", _("regency (kabupaten)")
        KOTA = "KOTA", _("city (kota)")

    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="regencies")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta(RegionBase.Meta):
        verbose_name = _("regency/city")
        verbose_name_plural = _("regencies/cities")


class District(RegionBase):
    regency = models.ForeignKey(Regency, on_delete=models.PROTECT, related_name="districts")

    class Meta(RegionBase.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")


class Village(RegionBase):
    class Kind(models.TextChoices):
        KELURAHAN = "KELURAHAN", _("urban village (kelurahan)")
        DESA = "DESA", _("village (desa)")
        DESA_ADAT = "DESA_ADAT", _("customary village (desa adat)")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="villages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta(RegionBase.Meta):
        verbose_name = _("village")
        verbose_name_plural = _("villages")
