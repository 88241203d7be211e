"""On PostgreSQL, a trigram index so that searching villages by part of their name needs no full scan."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS regions_village_name_upper_trgm "
    "ON regions_village USING gin (UPPER(name::text) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS regions_village_name_upper_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite scans 83,762 short names in a few milliseconds; no index helps a %infix%
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
