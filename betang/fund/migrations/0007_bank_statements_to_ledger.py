"""Every stored bank statement of a fund copied into ledger.BankStatement (owner "fund.fund"):
the same id (links to it still work), file, uploader, line outcomes and counts. Reversible: the
rows go back and leave the ledger's table."""

from django.db import migrations

OWNER = "fund.fund"  # the owner kind the app registers with ledger.statements (its models.BANK_STATEMENT_OWNER)


def to_ledger(apps, schema_editor):
    old, new = apps.get_model("fund", "FundBankStatement"), apps.get_model("ledger", "BankStatement")
    new.objects.bulk_create(
        (
            new(
                id=row.id,
                owner_kind=OWNER,
                owner_id=row.fund_id,
                file=row.file.name,
                original_name=row.original_name,
                uploaded_by_id=row.uploaded_by_id,
                uploaded_at=row.uploaded_at,
                outcomes=row.outcomes,
                counts=row.counts,
            )
            for row in old.objects.order_by("uploaded_at", "id").iterator()
        ),
        batch_size=500,
    )


def from_ledger(apps, schema_editor):
    old, new = apps.get_model("fund", "FundBankStatement"), apps.get_model("ledger", "BankStatement")
    rows = new.objects.filter(owner_kind=OWNER)
    old.objects.bulk_create(
        (
            old(
                id=row.id,
                fund_id=row.owner_id,
                file=row.file.name,
                original_name=row.original_name,
                uploaded_by_id=row.uploaded_by_id,
                uploaded_at=row.uploaded_at,
                outcomes=row.outcomes,
                counts=row.counts,
            )
            for row in rows.order_by("uploaded_at", "id").iterator()
        ),
        batch_size=500,
    )
    rows.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fund", "0006_instalment_to_capitalise"),
        ("ledger", "0008_bank_statement"),
    ]

    operations = [migrations.RunPython(to_ledger, from_ledger)]
