"""The audit trail in words: every event the code records has a name, amounts read as rupiah."""

import re
from pathlib import Path

import pytest

from betang.accounts.audit_display import EVENTS, RENAMED, change_lines, event_label, object_label
from betang.accounts.selectors import audit_event_list
from betang.core.audit import audit_record

ROOT = Path(__file__).resolve().parents[2] / "betang"


def _events_in_code() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'event="([a-z_]+\.[a-z_.]+)"', text))
        found |= set(re.findall(r'_requeue\([^)]*?"(?!betang\.)([a-z_]+\.[a-z_.]+)"', text, flags=re.S))
    found |= {f"outlets.stock.{kind}" for kind in ("receive", "adjust", "sale", "void")}
    kinds = ("households", "cooperatives", "enterprises", "bumdes", "members", "outlets")
    found |= {f"registry.{kind}.{what}" for kind in kinds for what in ("created", "updated")}
    return found


def test_every_event_the_code_records_has_a_name():
    assert _events_in_code() - set(EVENTS) == set()


def test_changes_read_as_words_and_rupiah():
    assert change_lines({"total": [None, 222000], "card": [None, 100000], "households": 12}) == [
        ("Total", "—", "Rp222.000"),
        ("Dengan kartu", "—", "Rp100.000"),
        ("Rumah tangga", "12", None),
    ]
    assert event_label("outlets.sale.completed") == "Penjualan selesai"
    assert object_label("registry.person") == "orang"


@pytest.mark.django_db
def test_the_audit_page_shows_no_raw_event_code(client, kapuas_officer, now):
    audit_record(
        actor=kapuas_officer,
        event="outlets.sale.completed",
        occurred_at=now,
        region_code="62.03.01.1006",
        changes={"total": [None, 222000], "card": [None, 100000], "cash": [None, 122000]},
    )
    client.force_login(kapuas_officer)
    page = client.get("/audit/").content.decode()
    assert "Penjualan selesai" in page
    assert "Total: — → Rp222.000" in page
    assert ">outlets.sale.completed<" not in page
    assert "None" not in page


def test_status_and_kind_codes_in_changes_read_as_their_labels():
    lines = change_lines({"status": ["ISSUED", "PAID"], "role": [None, "REGENCY_OFFICER"]})
    assert lines == [("Status", "diterbitkan", "dibayar"), ("Peran", "—", "Petugas kabupaten/kota")]


def test_import_kinds_and_days_in_changes_read_in_words():
    lines = change_lines({"kind": [None, "households"], "up_to": [None, "2026-12-07"]})
    assert lines == [("Jenis", "—", "rumah tangga dan anggotanya"), ("Sampai", "—", "7 Desember 2026")]


def test_a_renamed_event_stored_under_its_old_name_reads_as_the_new_one():
    assert RENAMED["fund.loan_disbursed"] == "fund.loan.disbursed"
    assert all(event_label(old) == event_label(new) for old, new in RENAMED.items())
    assert event_label("fund.loan_disbursed") == event_label("fund.loan.disbursed") != "fund.loan.disbursed"
    assert object_label("fund.fundbankstatement") == object_label("ledger.bankstatement")


@pytest.mark.django_db
def test_a_filter_by_the_new_name_finds_the_events_stored_under_the_old_one_and_back(national_admin, now):
    for event in ("fund.loan_disbursed", "fund.loan.disbursed", "fund.loan.settled", "fund.repayment_recorded"):
        audit_record(actor=None, event=event, occurred_at=now, region_code="62")

    def found(prefix: str) -> list[str]:
        return sorted(audit_event_list(user=national_admin, event_prefix=prefix).values_list("event", flat=True))

    assert found("fund.loan.disbursed") == ["fund.loan.disbursed", "fund.loan_disbursed"]
    assert found("fund.loan_disbursed") == ["fund.loan.disbursed", "fund.loan_disbursed"]
    assert found("fund.loan.") == ["fund.loan.disbursed", "fund.loan.settled", "fund.loan_disbursed"]
    assert found("fund.repayment") == ["fund.repayment_recorded"]
