"""App config for betang.registry."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "betang.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from betang.web.navigation import MenuEntry, register

        register(MenuEntry(_("Registry"), "registry:home", "registry.view", order=100))
