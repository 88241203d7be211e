"""`betang worker`: runs background tasks (imports, region loads, cycle credits) from the database queue."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run queued background tasks; --batch runs what is queued now and exits."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="process the queue, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")

    def handle(self, *args, batch, interval, **options):
        call_command(
            "db_worker",
            queue_name="*",
            batch=batch,
            interval=interval,
            reload=False,
            startup_delay=not batch,
            verbosity=options["verbosity"],
        )
