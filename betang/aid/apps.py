"""App config for betang.aid."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AidConfig(AppConfig):
    name = "betang.aid"
    label = "aid"
    verbose_name = _("Aid programs")

    def ready(self) -> None:
        from betang.aid import selectors
        from betang.aid.models import BANK_STATEMENT_OWNER
        from betang.aid.services.settlements import settlements_match
        from betang.ledger.statements import Matcher, matcher_register
        from betang.web import worklist
        from betang.web.navigation import MenuEntry, register

        register(MenuEntry(_("Aid"), "aid:programs", "aid.view", order=110))
        worklist.register(
            work=selectors.work_for, figures=selectors.figures_for, area=selectors.area_figures, order=110
        )
        # A program's bank statement: money out (the debit column), confirming paid settlements.
        matcher_register(
            BANK_STATEMENT_OWNER,
            Matcher(direction="out", match=settlements_match, event="aid.bank_statement.matched"),
        )
