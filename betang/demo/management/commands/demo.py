"""`betang demo`: build the Kalimantan Tengah demo (safe to repeat), print the logins, then serve."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from betang.core import clock
from betang.demo import services
from betang.demo.registry_data import build_members, build_registry, messy_household_sample


class Command(BaseCommand):
    help = "Build the demo province of Kalimantan Tengah and serve it (--no-serve: build only)."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="build the demo and exit")
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument(
            "--households", type=int, default=50_000, help="households to generate (default %(default)s)"
        )

    def handle(self, *args, no_serve, bind, households, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("The demo is not built on production settings.")
        console = Console(file=self.stdout, highlight=False)
        now = clock.now()
        console.print("[1/4] Database schema…")
        call_command("migrate", interactive=False, verbosity=0)
        console.print("[2/4] Regions of Indonesia (idn-area-data)…")
        result = services.demo_regions(occurred_at=now)
        villages = result.counts["village"]
        console.print(
            f"      villages: {villages.created} new, {villages.unchanged} unchanged, {villages.updated} updated"
        )
        console.print("[3/4] Demo users…")
        logins = services.demo_users(occurred_at=now, passwords_file=settings.VAR_DIR / "demo-logins.json")
        table = Table("user name", "password", "role", "area", title="Demo logins (also in var/demo-logins.json)")
        for login in logins:
            table.add_row(login.username, login.password, str(login.role_label), login.scope)
        console.print(table)
        console.print("[4/4] Registry: cooperatives, UMKM, BUMDes, households…")
        registry = build_registry(occurred_at=now, households=households)
        state = "already present" if registry.skipped else "created"
        console.print(
            f"      {state}: {registry.cooperatives} cooperatives ({registry.outlets} outlets), "
            f"{registry.enterprises} UMKM, {registry.bumdes} BUMDes, {registry.households} households, {registry.persons} persons"
        )
        members = build_members(occurred_at=now)
        console.print(f"      cooperative members: {members} new")
        for username, cooperative in services.demo_staff(occurred_at=now):
            console.print(f"      {username} works for {cooperative}")
        sample = settings.VAR_DIR / "contoh-impor-rumah-tangga.xlsx"
        sample.write_bytes(messy_household_sample())
        console.print(f"      a messy sample to try the import with: {sample}")
        if no_serve:
            console.print("Demo built.")
            return
        call_command("serve", bind=bind)
