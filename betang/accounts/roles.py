"""The roles a user may hold (the access decisions per role are in accounts.access)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVINCIAL_OFFICER = "PROVINCIAL_OFFICER", _("Provincial officer")
    REGENCY_OFFICER = "REGENCY_OFFICER", _("Regency/city officer")
    COOPERATIVE_OPERATOR = "COOPERATIVE_OPERATOR", _("Cooperative operator")
    CASHIER = "CASHIER", _("Cashier")
    FUND_OFFICER = "FUND_OFFICER", _("Revolving fund officer")
    PROCUREMENT_BUYER = "PROCUREMENT_BUYER", _("Procurement buyer")
    AUDITOR = "AUDITOR", _("Auditor")
    ADMINISTRATOR = "ADMINISTRATOR", _("Administrator")
