"""The loan page's changes: a fund officer proposes a restructuring (another user sees the new
schedule and approves it) or a write-off (rejected with a reason), records an early settlement at
the figure the page shows; declared disasters are listed and recorded on their own page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from betang.fund.models import Disaster, Instalment, LoanChange, Repayment
from betang.fund.services.loans import loan_disburse
from betang.ledger.verify import ledger_verify
from tests.conftest import NOW
from tests.fund.conftest import approved

pytestmark = pytest.mark.django_db


def _loan(world, *, days_ago=250):
    return loan_disburse(
        application=approved(world), disbursed_on=timezone.localdate() - timedelta(days=days_ago),
        bank_reference=f"SP2D-{days_ago}", actor=world.assessor, occurred_at=NOW, recorded_at=NOW,
    )  # fmt: skip


def test_a_restructuring_is_proposed_seen_with_its_new_schedule_and_approved_by_another(client, world):
    loan = _loan(world)  # nothing paid: months of arrears
    url = f"/dana-bergulir/pinjaman/{loan.pk}/"
    client.force_login(world.assessor)
    page = client.get(url).content.decode()
    assert 'data-testid="propose-restructuring"' in page
    today = timezone.localdate().isoformat()
    form = {"kind": "RESTRUCTURE", "effective_on": today, "months": "24", "grace": "3", "annual_rate": "4,5",
            "method": "declining", "arrears": "capitalise", "reason": "Gagal panen"}  # fmt: skip
    response = client.post(url + "perubahan/", form | {"months": "0"}, follow=True)
    assert "1 sampai 240 bulan" in response.content.decode()  # refused, in Indonesian
    assert not LoanChange.objects.exists()
    client.post(url + "perubahan/", form)
    change = LoanChange.objects.get()
    assert (change.status, change.terms["annual_rate"], change.terms["arrears"]) == ("PROPOSED", "4.5", "capitalise")

    page = client.get(url).content.decode()  # the proposer waits for another user
    assert 'data-testid="change-waiting"' in page
    assert 'data-testid="approve-change"' not in page
    assert client.post(f"/dana-bergulir/perubahan/{change.pk}/approve/").status_code == 302
    change.refresh_from_db()
    assert change.status == "PROPOSED"  # refused: the proposer cannot approve

    client.force_login(world.approver)
    waiting = client.get(f"/dana-bergulir/{world.fund.code}/").content.decode()
    assert loan.number in waiting.split('data-testid="waiting-changes"')[1]  # the fund page points to it
    page = client.get(url).content.decode()
    preview = page.split('data-testid="preview-schedule"')[1].split("</table>")[0]
    assert len(re.findall(r"<tr>", preview)) == 24 + 2  # head, 24 instalments, total
    client.post(f"/dana-bergulir/perubahan/{change.pk}/approve/")
    change.refresh_from_db()
    loan.refresh_from_db()
    assert (change.status, loan.schedule_version) == ("APPROVED", 2)
    assert Instalment.objects.filter(loan=loan, version=2).count() == 24
    page = client.get(url).content.decode()
    assert page.count('data-testid="earlier-schedule"') == 1
    assert "versi 2" in page
    assert re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip().startswith(loan.number)
    assert "<" not in re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert all(c.ok for c in ledger_verify())


def test_a_write_off_is_rejected_with_a_reason_and_a_treasurer_cannot_propose(client, world):
    loan = _loan(world)
    url = f"/dana-bergulir/pinjaman/{loan.pk}/"
    client.force_login(world.operator)
    today = timezone.localdate().isoformat()
    assert client.post(url + "perubahan/", {"kind": "WRITE_OFF", "effective_on": today, "reason": "x"}).status_code in (
        403, 404,
    )  # fmt: skip
    client.force_login(world.assessor)
    client.post(url + "perubahan/", {"kind": "WRITE_OFF", "effective_on": today, "reason": "Koperasi bubar"})
    change = LoanChange.objects.get()
    client.force_login(world.approver)
    client.post(f"/dana-bergulir/perubahan/{change.pk}/reject/", {"reason": "Tagih lewat PUPN dulu"})
    change.refresh_from_db()
    loan.refresh_from_db()
    assert (change.status, change.rejection_reason, loan.status) == ("REJECTED", "Tagih lewat PUPN dulu", "ACTIVE")
    assert "Tagih lewat PUPN dulu" in client.get(url).content.decode()


def test_early_settlement_at_the_figure_the_page_shows(client, world):
    loan = _loan(world, days_ago=20)
    url = f"/dana-bergulir/pinjaman/{loan.pk}/"
    client.force_login(world.assessor)
    page = client.get(url).content.decode()
    shown = re.search(r'data-testid="payoff">Rp([\d.]+)<', page).group(1)
    payoff = int(shown.replace(".", ""))
    assert payoff > 250_000_000  # the principal and 20 days of the first month's interest
    today = timezone.localdate().isoformat()
    response = client.post(url + "pelunasan/", {"amount": str(payoff - 1), "paid_on": today, "bank_reference": "L-1"},
                           follow=True)  # fmt: skip
    assert f"Rp{shown}" in response.content.decode()  # refused, saying what it takes
    assert not Repayment.objects.exists()
    client.post(url + "pelunasan/", {"amount": f"Rp{shown}", "paid_on": today, "bank_reference": "L-1"})
    loan.refresh_from_db()
    assert loan.status == "REPAID"
    assert Repayment.objects.get().amount == payoff
    page = client.get(url).content.decode()
    assert 'data-testid="settlement"' not in page  # nothing more to settle
    assert 'data-testid="loan-changes"' in page


def test_disasters_are_listed_and_recorded_by_a_fund_officer_within_their_region(client, world, kapuas_officer):
    url = f"/dana-bergulir/{world.fund.code}/bencana/"
    client.force_login(world.assessor)
    page = client.get(url).content.decode()
    assert 'data-testid="disaster-form"' in page
    assert "62.03" in page  # Kapuas among the areas
    form = {"region_code": "62.03", "starts_on": "2026-10-01", "ends_on": "2026-10-31", "basis": "SK Bupati Kapuas 1"}
    response = client.post(url, form | {"ends_on": "2026-09-01"}, follow=True)
    assert not Disaster.objects.exists()
    assert "berakhir sebelum" in response.content.decode()
    client.post(url, form)
    client.post(url, form)  # twice: one declaration
    disaster = Disaster.objects.get()
    assert (disaster.region_code, disaster.declared_by_id) == ("62.03", world.assessor.pk)
    response = client.post(url, form | {"region_code": "63.01"})  # another province: not in the list
    assert "Pilih wilayah dari daftar" in response.content.decode()
    assert Disaster.objects.count() == 1

    client.force_login(kapuas_officer)  # a regency officer sees, cannot record
    page = client.get(url).content.decode()
    assert "SK Bupati Kapuas 1" in page
    assert 'data-testid="disaster-form"' not in page
    assert client.post(url, form | {"basis": "lain"}).status_code == 403


def test_the_treasurer_sees_what_closes_the_loan_today_but_records_nothing(client, world):
    from betang.registry.models import CooperativeStaff

    CooperativeStaff.objects.create(user=world.operator, cooperative=world.cooperative, since=NOW)
    loan = _loan(world, days_ago=20)
    client.force_login(world.operator)
    page = client.get(f"/dana-bergulir/pinjaman/{loan.pk}/").content.decode()
    assert 'data-testid="payoff"' in page
    assert 'data-testid="settle"' not in page
    assert 'data-testid="propose-restructuring"' not in page
    response = client.post(f"/dana-bergulir/pinjaman/{loan.pk}/pelunasan/",
                           {"amount": "300000000", "paid_on": timezone.localdate().isoformat(), "bank_reference": "X"})  # fmt: skip
    assert response.status_code == 403
    assert not Repayment.objects.exists()
