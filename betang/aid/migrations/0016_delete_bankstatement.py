"""BankStatement goes: its rows live on in ledger.BankStatement (0015_bank_statements_to_ledger)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("aid", "0015_bank_statements_to_ledger")]

    operations = [migrations.DeleteModel(name="BankStatement")]
