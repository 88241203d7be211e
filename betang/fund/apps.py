"""App config for betang.fund: the revolving fund (dana bergulir) lent to cooperatives."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundConfig(AppConfig):
    name = "betang.fund"
    label = "fund"
    verbose_name = _("Revolving fund")

    def ready(self) -> None:
        from betang.fund import selectors
        from betang.web import worklist
        from betang.web.navigation import MenuEntry, register

        register(
            MenuEntry(_("Revolving fund"), "fund:home", "fund.view", order=130),
            MenuEntry(_("Our loans"), "fund:cooperative", "fund.apply", order=131),
        )
        worklist.register(work=selectors.work_for, figures=selectors.figures_for, order=130)
