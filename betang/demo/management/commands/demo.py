"""`betang demo`: build the Kalimantan Tengah demo (safe to repeat), print the logins, then serve."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from betang.core import clock
from betang.core.money import format_rupiah
from betang.demo import services
from betang.demo.aid_data import build_aid
from betang.demo.fund_data import build_fund
from betang.demo.outlet_data import build_outlets, distribution_and_reconciliation, settle
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
        console.print("[1/5] Database schema…")
        call_command("migrate", interactive=False, verbosity=0)
        console.print("[2/5] Regions of Indonesia (idn-area-data)…")
        result = services.demo_regions(occurred_at=now)
        villages = result.counts["village"]
        console.print(
            f"      villages: {villages.created} new, {villages.unchanged} unchanged, {villages.updated} updated"
        )
        console.print("[3/5] Demo users…")
        logins = services.demo_users(occurred_at=now, passwords_file=settings.VAR_DIR / "demo-logins.json")
        table = Table("user name", "password", "role", "area", title="Demo logins (also in var/demo-logins.json)")
        for login in logins:
            table.add_row(login.username, login.password, str(login.role_label), login.scope)
        console.print(table)
        console.print("[4/5] Registry: cooperatives, UMKM, BUMDes, households…")
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
        console.print("[5/5] Aid: the Huma Betang Sejahtera card…")
        cashier = next(login for login in logins if login.username == "kasir.kapuas")
        aid = build_aid(occurred_at=now, var_dir=settings.VAR_DIR, cashier_village=cashier.scope)
        state = "already present" if aid.skipped else "created"
        console.print(
            f"      {state}: {aid.enrolled} households enrolled, {aid.cycles} cycles credited "
            f"({format_rupiah(aid.credited_total)}), {aid.cards} cards"
        )
        if aid.sample:
            cards = Table("card number", "PIN", "village", title="Demo cards at kasir.kapuas's cooperative")
            for number, pin, village in aid.sample:
                cards.add_row(number, pin, village)
            console.print(cards)
            console.print(
                f"      every demo card and PIN: {settings.VAR_DIR / 'demo-cards.csv'}; "
                f"printable cards and PIN mailers of that village: {settings.VAR_DIR / 'demo-kartu.pdf'}"
            )
        console.print("      outlets: items, stock and past sales…")
        shops = build_outlets(occurred_at=now, var_dir=settings.VAR_DIR, sales=max(50, households // 50))
        if shops.skipped:
            console.print(f"      already present: {shops.items} items in {shops.outlets} outlets")
        else:
            console.print(
                f"      {shops.outlets} outlets stocked ({shops.items} items); {shops.sales} past sales at "
                f"{shops.selling} outlets (kasir.kapuas: {shops.cashier_outlet}), {shops.card_sales} of them by card"
            )
        issued, paid = settle(occurred_at=now)
        if issued:
            console.print(f"      {issued} settlement statements up to yesterday, {paid} of them paid by transfer")
        nodes, differences, anomalies = distribution_and_reconciliation(now=now)
        console.print(
            f"      distribution tallies: {nodes} areas and cooperatives; reconciliation: {differences} differences "
            f"to explain; {anomalies} payment anomalies to look at"
        )
        console.print("      revolving fund: loans to cooperatives, repayments…")
        fund = build_fund(occurred_at=now, var_dir=settings.VAR_DIR)
        if fund.skipped:
            console.print(f"      already present: {fund.loans} loans")
        else:
            console.print(
                f"      {fund.loans} loans, {fund.repayments} repayments; {fund.in_arrears} in arrears; "
                f"{fund.revolved_cooperatives} cooperatives financed from repaid money; a bank statement to try the "
                f"import with: {settings.VAR_DIR / 'contoh-rekening-koran-dana-bergulir.csv'}"
            )
        if no_serve:
            console.print("Demo built.")
            return
        call_command("serve", bind=bind)
