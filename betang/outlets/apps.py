"""App config for betang.outlets."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutletsConfig(AppConfig):
    name = "betang.outlets"
    label = "outlets"
    verbose_name = _("Outlets")

    def ready(self) -> None:
        from betang.aid.services.reconciliation import reconciler_register
        from betang.outlets.services.reconciliation import reconcile_cycle
        from betang.web.navigation import MenuEntry, register

        reconciler_register(reconcile_cycle)

        from betang.outlets import selectors
        from betang.web import worklist

        register(MenuEntry(_("Outlet"), "outlets:home", ("outlets.sell", "outlets.view"), order=105))
        worklist.register(work=selectors.work_for, order=105)
