"""App config for betang.fund: the revolving fund (dana bergulir) lent to cooperatives."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundConfig(AppConfig):
    name = "betang.fund"
    label = "fund"
    verbose_name = _("Revolving fund")

    def ready(self) -> None:
        from betang.fund import selectors
        from betang.fund.models import BANK_STATEMENT_OWNER
        from betang.fund.services.bank_statements import repayments_match
        from betang.ledger.statements import Matcher, matcher_register
        from betang.web import worklist
        from betang.web.navigation import MenuEntry, register

        register(
            MenuEntry(_("Revolving fund"), "fund:home", "fund.view", order=130),
            MenuEntry(_("Our loans"), "fund:cooperative", "fund.apply", order=131),
        )
        worklist.register(work=selectors.work_for, figures=selectors.figures_for, order=130)
        # The fund account's bank statement: money in (the credit column), recorded as repayments.
        matcher_register(
            BANK_STATEMENT_OWNER,
            Matcher(direction="in", match=repayments_match, event="fund.bank_statement.imported"),
        )
