"""App config for betang.accounts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "betang.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from betang.accounts import access
        from betang.web.navigation import MenuEntry, register

        register(
            MenuEntry(_("Home"), "accounts:home", None, order=0),
            MenuEntry(_("Audit trail"), "accounts:audit", access.VIEW_AUDIT, order=900),
            MenuEntry(_("Administration"), "admin:index", access.USE_ADMIN, order=990),
        )
