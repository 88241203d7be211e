"""A cycle credit posts one ledger entry per batch of households (before: one per household)."""

from django.db import migrations, models

BATCH = 20_000  # households a batch, as services.cycles.CHUNK


def batches_for_uncredited(apps, schema_editor):
    """Cycles not yet credited get their batches; a cycle caught half-credited by the old keys could
    be credited twice under the new ones, so it must be finished by the version that began it."""
    Cycle = apps.get_model("aid", "Cycle")
    Entitlement = apps.get_model("aid", "Entitlement")
    # Being credited, or its credit queued for a worker of the old version: stop the web and task
    # workers, let the credit finish with the old version (or take it off the queue), then migrate.
    if Cycle.objects.filter(status="CREDITING").exists() or Cycle.objects.filter(status="APPROVED").exclude(task_id="").exists():
        raise RuntimeError(
            "A cycle is being credited or queued for crediting: finish that credit with the previous version "
            "of Betang (workers stopped after it), then migrate."
        )
    for cycle in Cycle.objects.filter(status__in=["DRAFT", "SUBMITTED", "APPROVED"]):
        enrolments = list(
            Entitlement.objects.filter(cycle=cycle).order_by("enrolment_id").values_list("enrolment_id", flat=True).distinct()
        )
        for n, start in enumerate(range(0, len(enrolments), BATCH)):
            Entitlement.objects.filter(cycle=cycle, enrolment_id__in=enrolments[start : start + BATCH]).update(batch=n)


class Migration(migrations.Migration):
    dependencies = [
        ("aid", "0009_reconciliation"),
        ("ledger", "0005_account_room_for_balance_updates"),
    ]

    operations = [
        migrations.AddField(
            model_name="entitlement",
            name="batch",
            field=models.PositiveIntegerField(default=0, verbose_name="credit batch"),
        ),
        migrations.AddIndex(
            model_name="entitlement",
            index=models.Index(fields=["cycle", "batch"], name="entitlement_batch"),
        ),
        migrations.RunPython(batches_for_uncredited, migrations.RunPython.noop),
    ]
