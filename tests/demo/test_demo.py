"""`betang demo --no-serve`: builds the whole demo, twice safely, and every demo user can sign in."""

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from betang.accounts.models import User
from betang.demo.services import DEMO_USERS
from betang.regions.models import Village
from betang.regions.services import regions_load
from tests.conftest import NOW


@pytest.fixture(scope="module")
def demo_var(django_db_setup, django_db_blocker, tmp_path_factory, region_subset_dir):
    """The demo, built once for the module and committed (a build takes seconds); each test runs in
    its own transaction on top of it, rolled back. When done, the module leaves the database as every
    test database starts: emptied, with the two test provinces loaded (tests/conftest.py)."""
    var = tmp_path_factory.mktemp("demo-var")
    with django_db_blocker.unblock(), override_settings(VAR_DIR=var):
        call_command("demo", no_serve=True, households=300)
        try:
            yield var
        finally:
            call_command("flush", interactive=False, verbosity=0)
            ContentType.objects.clear_cache()
            regions_load(occurred_at=NOW, source_dir=region_subset_dir)


@pytest.fixture
def demo_built(demo_var, db, settings):
    settings.VAR_DIR = demo_var
    return json.loads((demo_var / "demo-logins.json").read_text())


def test_demo_builds_all_regions_and_a_user_per_role(demo_built):
    assert Village.objects.count() == 83762
    roles = set(User.objects.filter(username__in=[d.username for d in DEMO_USERS]).values_list("role", flat=True))
    assert roles == {d.role for d in DEMO_USERS}
    assert User.objects.get(username="kab.kapuas").scope_region_code == "62.03"
    assert User.objects.get(username="kasir.kapuas").scope_region_code.startswith("62.03.")


def test_every_demo_user_signs_in_and_sees_their_menu(client, demo_built):
    for username, password in demo_built.items():
        client.post(reverse("accounts:logout"))
        response = client.post(reverse("accounts:login"), {"username": username, "password": password})
        assert response.status_code == 302, username
        home = client.get(reverse("accounts:home")).content.decode()
        assert 'data-testid="menu"' in home
        assert "Wilayah" in home


def test_building_again_is_safe_and_keeps_passwords(client, demo_built, capsys):
    users_before = User.objects.count()
    call_command("demo", no_serve=True, households=300)
    out = capsys.readouterr().out
    assert "83762 unchanged" in out
    assert User.objects.count() == users_before
    again = json.loads((settings.VAR_DIR / "demo-logins.json").read_text())
    assert again == demo_built
    assert User.objects.get(username="admin").check_password(demo_built["admin"])


def test_demo_registry_has_a_cooperative_in_every_village(demo_built):
    from betang.registry.models import Bumdes, Cooperative, Enterprise, Household, Outlet, Person

    assert Cooperative.objects.filter(region_code__startswith="62.").count() == 1571
    assert Cooperative.objects.values("region_code").distinct().count() == 1571
    assert Outlet.objects.exists()
    assert Enterprise.objects.count() > 300
    assert Bumdes.objects.count() > 150
    assert Household.objects.count() == 300
    heads = Person.objects.filter(relation="HEAD").count()
    assert heads == 300
    from datetime import date

    from betang.registry.imports import validation as v

    regions = v.RegionIndex.load()
    for person in Person.objects.all()[:200]:  # generated NIKs pass the same rules as imported ones
        checked = v.check_nik(
            person.nik, regions, today=date(2026, 11, 21), birth_date=person.birth_date, sex=person.sex
        )
        assert checked.ok, (person.nik, checked.issues)
        assert checked.issues == []


def test_demo_cooperatives_have_members_and_staff(demo_built):
    from betang.registry.models import CooperativeMember, Person
    from betang.registry.selectors import cooperative_of_staff

    adults = Person.objects.filter(relation__in=["HEAD", "SPOUSE"]).count()
    assert CooperativeMember.objects.count() == adults
    assert CooperativeMember.objects.filter(role="CHAIR").exists()
    for username in ("kasir.kapuas", "pengurus.kapuas"):
        user = User.objects.get(username=username)
        assert cooperative_of_staff(user).region_code == user.scope_region_code
    assert cooperative_of_staff(User.objects.get(username="kab.kapuas")) is None


def test_demo_runs_the_huma_betang_sejahtera_card(demo_built, capsys):
    from betang.aid.models import Card, Cycle, Enrolment, Program
    from betang.aid.pins import pin_matches
    from betang.ledger.verify import ledger_verify

    program = Program.objects.get(code="khbs")
    assert sum(p.amount_per_household for p in program.pockets.all()) == 200_000
    cycles = list(Cycle.objects.filter(program=program).order_by("number"))
    assert [c.status for c in cycles] == ["CLOSED", "CREDITED", "CREDITED"]
    # Three consecutive months, the last one current; each credited on its first day, before the
    # outlets' past sales spend it.
    today = timezone.localdate()
    assert cycles[2].period_start <= today <= cycles[2].period_end
    assert [c.period_end + timedelta(days=1) for c in cycles[:2]] == [c.period_start for c in cycles[1:]]
    assert cycles[0].created_by.username == "dinas.kalteng"
    assert [a.approver.username for a in cycles[0].approvals.all()] == ["admin"]
    enrolled = Enrolment.objects.filter(program=program, status="ACTIVE").count()
    assert enrolled > 0
    assert cycles[2].total == enrolled * 200_000
    assert Card.objects.filter(status="ACTIVE").count() == enrolled
    rows = (settings.VAR_DIR / "demo-cards.csv").read_text().splitlines()[1:]
    number, pin, _village = rows[0].split(",")
    assert pin_matches(pin, Card.objects.get(number=number).pin_hash)
    assert all(c.ok for c in ledger_verify())
    call_command("demo", no_serve=True, households=300)  # a second build adds nothing
    assert Cycle.objects.filter(program=program).count() == 3
    assert "already present" in capsys.readouterr().out


def test_the_cashier_sells_at_a_stocked_outlet_with_past_sales(client, demo_built):
    from betang.ledger.verify import ledger_verify
    from betang.outlets.models import Sale, Stock
    from betang.registry.models import Outlet

    cashier = User.objects.get(username="kasir.kapuas")
    outlet = Outlet.objects.get(cooperative__staff__user=cashier)
    assert Stock.objects.filter(outlet=outlet, quantity__gt=0).count() == 12
    sales = Sale.objects.filter(outlet=outlet)
    assert sales.count() >= 40
    assert sales.filter(card_amount__gt=0).exists()
    assert sales.filter(card_amount=0).exists()
    assert all(c.ok for c in ledger_verify())
    client.post(reverse("accounts:login"), {"username": "kasir.kapuas", "password": demo_built["kasir.kapuas"]})
    page = client.get(reverse("outlets:sale", args=[outlet.pk])).content.decode()
    assert "Beras Medium 5 kg" in page
    assert "Rp72.000" in page


def test_the_demo_has_settlement_statements_paid_and_to_pay(demo_built):
    from betang.aid.models import Settlement

    assert Settlement.objects.filter(status="PAID").exists()
    assert Settlement.objects.filter(status="ISSUED").exists()


def test_the_demo_fund_has_loans_of_every_age_some_in_arrears_and_money_re_lent(client, demo_built):
    from betang.fund.models import Application, Fund, Loan, LoanChange, LoanHealth
    from betang.fund.selectors import relending
    from betang.ledger.verify import ledger_verify

    fund = Fund.objects.get(code="khbs-bergulir")
    loans = Loan.objects.filter(fund=fund)
    assert loans.count() >= 50
    ages = {loan.disbursed_on.strftime("%Y-%m") for loan in loans}
    assert len(ages) >= 12  # disbursed over many months
    assert LoanHealth.objects.filter(fund=fund, days_past_due__gt=90).exists()  # a few stopped paying
    assert LoanHealth.objects.filter(fund=fund, days_past_due=0).count() > loans.count() // 2
    assert loans.filter(status=Loan.Status.REPAID).exists()
    # Changes: settled early with a rebate, restructured (approved by another user), a write-off waiting.
    changes = LoanChange.objects.filter(loan__fund=fund)
    assert changes.filter(kind="SETTLEMENT", status="APPROVED", standing__rebate__gt=0).exists()
    restructured = changes.get(kind="RESTRUCTURE", status="APPROVED")
    assert restructured.decided_by_id != restructured.proposed_by_id
    assert restructured.loan.schedule_version == 2
    assert changes.filter(kind="WRITE_OFF", status="PROPOSED").count() == 1
    assert relending(fund).revolved_cooperatives > 0
    assert {Application.Status.SUBMITTED, Application.Status.ASSESSED, Application.Status.APPROVED,
            Application.Status.REJECTED} <= set(Application.objects.values_list("status", flat=True))  # fmt: skip
    assert (settings.VAR_DIR / "contoh-rekening-koran-dana-bergulir.csv").exists()
    assert all(c.ok for c in ledger_verify())

    client.post(reverse("accounts:login"), {"username": "pengurus.kapuas", "password": demo_built["pengurus.kapuas"]})
    page = client.get("/dana-bergulir/koperasi/").content.decode()
    assert 'data-testid="cooperative-loan"' in page


_SIXTEEN = re.compile(r"(?<!\d)\d{16}(?!\d)")
_HREF = re.compile(r'href="(/[^"#]*)"')
_SKIP = ("/keluar/", "/admin/", "/bahasa/", "/static/", "/api/v1/docs", "/media/")
_SAME_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+")


def _numbers_in(response) -> list[str]:
    """Sixteen-digit numbers a response shows: in its HTML or JSON, or in the cells of an XLSX file."""
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind:
        import io

        from openpyxl import load_workbook

        book = load_workbook(
            io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
        )
        return [
            n
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
            for c in row
            for n in _SIXTEEN.findall(str(c or ""))
        ]
    if kind.startswith(("text/html", "application/json", "text/csv")):
        return _SIXTEEN.findall(response.content.decode())
    return []


def test_every_demo_role_crawls_its_pages_and_exports_without_a_500_or_an_unmasked_number(client, demo_built):
    """Each demo user follows every link it is shown (a few of each shape of URL), exports included:
    no page fails, and a role without registry.full_nik never sees a whole NIK, KK or card number."""
    from betang.accounts.access import user_has_capability

    for username, password in demo_built.items():
        client.post(reverse("accounts:logout"))
        client.post(reverse("accounts:login"), {"username": username, "password": password})
        user = User.objects.get(username=username)
        full = user_has_capability(user, "registry.full_nik") or user_has_capability(user, "aid.manage")
        queue, seen, shapes = [reverse("accounts:home")], set(), {}
        while queue and len(seen) < 120:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            assert response.status_code < 500, (username, url)
            if response.status_code != 200:
                continue
            if not full:
                assert _numbers_in(response) == [], (username, url)
            if "text/html" not in response.get("Content-Type", ""):
                continue
            for link in _HREF.findall(response.content.decode()):
                link = link.replace("&amp;", "&")
                shape = _SAME_SHAPE.sub("#", link.split("?")[0]) + (
                    "?" + link.split("?")[1][:12] if "?" in link else ""
                )
                if link.startswith(_SKIP) or shapes.get(shape, 0) >= 2:
                    continue
                shapes[shape] = shapes.get(shape, 0) + 1
                queue.append(link)


def test_every_demo_card_payment_is_reconciled_with_exactly_one_cycle(demo_built):
    """The demo's past sales fall in the current cycle's window; summed over the cycles, the
    reconciliations redeem exactly what the cards paid (before: Rp0 beside millions redeemed)."""
    from django.db.models import Sum

    from betang.aid.models import Cycle, Reconciliation, Redemption
    from betang.aid.services.reconciliation import reconcile

    for cycle in Cycle.objects.filter(status=Cycle.Status.CREDITED):
        reconcile(cycle, now=timezone.now())
    paid = Redemption.objects.filter(status=Redemption.Status.PAID).aggregate(s=Sum("amount"))["s"]
    assert paid > 0
    assert Reconciliation.objects.aggregate(s=Sum("redeemed"))["s"] == paid
    current = Cycle.objects.order_by("-number").first()
    assert Reconciliation.objects.filter(cycle=current).aggregate(s=Sum("redeemed"))["s"] > 0


def _worklist(client, username, password) -> tuple[list[str], list[str], str]:
    client.post(reverse("accounts:logout"))
    client.post(reverse("accounts:login"), {"username": username, "password": password})
    page = client.get(reverse("accounts:home")).content.decode()
    work = re.findall(r'<li(?: class="urgent")?><a href="([^"]+)" data-count="\d+">([^<]+)</a></li>', page)
    figures = re.findall(r'<strong>([^<]+)</strong><br><span class="small">([^<]+)</span>', page)
    return [text for _url, text in work], [f"{label}: {value}" for value, label in figures], page


def test_each_role_finds_its_work_for_today_on_the_home_page(client, demo_built, django_assert_max_num_queries):
    """Beranda is a worklist: each item a count and a link the role may open, the area's figures."""
    work, figures, _page = _worklist(client, "dinas.kalteng", demo_built["dinas.kalteng"])
    assert any("pernyataan" in w.lower() or "rekap" in w.lower() or "dibayar" in w.lower() for w in work), work
    assert any("berakhir" in w for w in work), work  # last month's cycle: reconcile and close it
    assert any("persetujuan" in w for w in work), work  # an assessed loan application to approve
    assert any("Rp" in f for f in figures), figures
    _work, figures, page = _worklist(client, "pengadaan.kalteng", demo_built["pengadaan.kalteng"])
    assert 'data-testid="worklist-empty"' in page  # a buyer has nothing here yet, and is told so
    assert not any("rumah tangga" in f for f in figures)  # no households for a buyer, not even counted
    for username in ("admin", "kab.kapuas", "pengurus.kapuas", "dana.bergulir", "auditor.kalteng"):
        client.post(reverse("accounts:logout"))
        client.post(reverse("accounts:login"), {"username": username, "password": demo_built[username]})
        with django_assert_max_num_queries(60):  # a handful per app: counts and kept tallies, no scans per row
            page = client.get(reverse("accounts:home")).content.decode()
        for url in re.findall(r'<a href="([^"]+)" data-count=', page):
            url = url.replace("&amp;", "&")
            assert client.get(url, follow=True).status_code == 200, (username, url)  # only pages it may open


def test_the_demos_audit_trail_reads_in_words(demo_built):
    """Every event and every changed field the demo recorded has a name (no raw code on the page)."""
    from betang.accounts.audit_display import EVENTS, FIELDS
    from betang.core.models import AuditEvent

    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert events - set(EVENTS) == set()
    keys = {key for changes in AuditEvent.objects.values_list("changes", flat=True) for key in (changes or {})}
    assert keys - set(FIELDS) == set()


def test_the_provincial_auditor_reads_the_cycles_and_the_funds_events(demo_built):
    """Events of a province's program and fund carry the program's or the loan's area, so an auditor of
    the province finds them (before, they had none and only national users saw them)."""
    from betang.accounts.selectors import audit_event_list

    auditor = User.objects.get(username="auditor.kalteng")
    events = set(audit_event_list(user=auditor).values_list("event", flat=True))
    assert {"aid.cycle.credited", "aid.cycle.approved", "aid.cycle.closed"} <= events
    assert {"fund.loan.disbursed", "fund.repayment.recorded"} <= events


def test_a_worklist_count_is_what_its_link_lists(client, demo_built):
    client.post(reverse("accounts:login"), {"username": "dana.bergulir", "password": demo_built["dana.bergulir"]})
    page = client.get(reverse("accounts:home")).content.decode()
    url, count = re.search(r'<a href="([^"]+)" data-count="(\d+)">\d+ pinjaman menunggak', page).groups()
    listed = client.get(url.replace("&amp;", "&")).content.decode()
    rows = listed.split('data-testid="loans"', 1)[1].split("</table>", 1)[0].count('<a href="/dana-bergulir/pinjaman/')
    assert rows == int(count) > 0
