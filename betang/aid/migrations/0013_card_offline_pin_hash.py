"""Cards get an offline PIN verifier (docs/adr/0007): the PBKDF2 hashes kept so far are exactly that,
so they move over; the online verifier is made anew at each card's next right PIN."""

from django.db import migrations, models
from django.db.models import F


def offline_from_earlier(apps, schema_editor):
    Card = apps.get_model("aid", "Card")
    Card.objects.filter(pin_hash__startswith="pbkdf2_sha256_pepper$").update(pin_offline_hash=F("pin_hash"))


class Migration(migrations.Migration):
    dependencies = [
        ("aid", "0012_redemption_card_time"),
    ]

    operations = [
        migrations.AddField(
            model_name="card",
            name="pin_offline_hash",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(offline_from_earlier, migrations.RunPython.noop, elidable=True),
    ]
