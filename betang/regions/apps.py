"""App config for betang.regions."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "betang.regions"
    label = "regions"
    verbose_name = _("Regions")

    def ready(self) -> None:
        from betang.web.navigation import MenuEntry, register

        register(MenuEntry(_("Regions"), "regions:browser", "regions.view", order=800))
