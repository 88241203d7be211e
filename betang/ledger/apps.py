"""App config for betang.ledger."""

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "betang.ledger"
    label = "ledger"
    verbose_name = _("Ledger")

    def ready(self) -> None:
        from betang.ledger.backends.sqlite import register

        connection_created.connect(register, dispatch_uid="betang.ledger.sqlite")
