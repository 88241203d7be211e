"""App config for betang.fund: the revolving fund (dana bergulir) lent to cooperatives."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundConfig(AppConfig):
    name = "betang.fund"
    label = "fund"
    verbose_name = _("Revolving fund")
