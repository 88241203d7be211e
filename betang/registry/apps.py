"""App config for betang.registry."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "betang.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from betang.registry import selectors
        from betang.web import worklist
        from betang.web.navigation import MenuEntry, register

        register(MenuEntry(_("Registry"), "registry:home", "registry.view", order=100))
        worklist.register(
            work=selectors.work_for, figures=selectors.figures_for, area=selectors.area_figures, order=100
        )
