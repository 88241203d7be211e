"""A cycle's reconciliation window end, kept at its close; cycles closed before this get theirs now."""

from datetime import datetime, time

from django.db import migrations, models
from django.utils import timezone


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def closed_windows(apps, schema_editor):
    """A closed cycle's window ends where the next cycle's period begins, or at its close if sooner."""
    cycle_model = apps.get_model("aid", "Cycle")
    for cycle in cycle_model.objects.filter(status="CLOSED", window_end_at__isnull=True):
        following = (
            cycle_model.objects.filter(program_id=cycle.program_id, number__gt=cycle.number).order_by("number").first()
        )
        ends = [cycle.closed_at or _day_start(cycle.period_end)]
        if following is not None:
            ends.append(_day_start(following.period_start))
        cycle.window_end_at = min(ends)
        cycle.save(update_fields=["window_end_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("aid", "0013_card_offline_pin_hash"),
    ]

    operations = [
        migrations.AddField(
            model_name="cycle",
            name="window_end_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(closed_windows, migrations.RunPython.noop),
    ]
