"""FundBankStatement goes: its rows live on in ledger.BankStatement (0007_bank_statements_to_ledger)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("fund", "0007_bank_statements_to_ledger")]

    operations = [migrations.DeleteModel(name="FundBankStatement")]
