"""Every write path outside the registry's person, organisation and import doors: its URL and body
aimed at Palangkaraya's row, the capabilities that open it, and who of Kapuas (or Kalimantan Selatan)
tries it and what they must meet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.aid.conftest import PIN
from tests.scope.conftest import PALANGKARAYA_VILLAGE, World

PROGRAM = "/bantuan/program/khbs"
FUND = "/dana-bergulir/bergulir"


def _yesterday() -> str:
    return (timezone.localdate() - timedelta(days=1)).isoformat()


def _aid_statement() -> dict:
    text = "Tanggal;Keterangan;Debet;Kredit;No Referensi\n01/12/2026;Pembayaran koperasi;70.000;;BRI-9\n"
    return {"file": SimpleUploadedFile("rekening.csv", text.encode(), content_type="text/csv")}


def _fund_statement(w: World) -> dict:
    day = (timezone.localdate() - timedelta(days=1)).strftime("%d/%m/%Y")
    text = f"Tanggal;Keterangan;Debet;Kredit;No Referensi\n{day};Angsuran {w.loan.number};;3.750.000,00;BRI-1\n"
    return {"file": SimpleUploadedFile("rekening.csv", text.encode(), content_type="text/csv")}


def _sale(w: World) -> dict:
    return {"key": "k-scope", f"qty-{w.palangkaraya.items['BERAS'].pk}": "1", "cash": "70000"}


@dataclass(frozen=True)
class Path:
    """One write: where it goes and with what (functions of the world), and the capabilities that open
    its door (any of them; the table of roles is read from accounts.access)."""

    name: str
    url: Callable[[World], str]
    data: Callable[[World], dict] = lambda w: {}
    needs: tuple[str, ...] = ()
    api: bool = False
    headers: dict[str, str] | None = None
    control: Callable[[World], Any] | None = lambda w: w.users["admin"]  # one whose request the door lets through

    def send(self, client, world: World):
        url, data = self.url(world), self.data(world)
        if self.api:
            return client.post(url, data, content_type="application/json", headers=self.headers or {})
        return client.post(url, data)


def _cycle(action: str, needs: str) -> Path:
    return Path(f"aid.cycle.{action}", lambda w: f"{PROGRAM}/siklus/{w.cycle.number}/{action}/", needs=(needs,))


def _card(action: str) -> Path:
    return Path(
        f"aid.card.{action}",
        lambda w: f"/bantuan/kartu/{w.palangkaraya.card.pk}/{action}/",
        lambda w: {"reason": "hilang"},
        needs=("aid.manage",),
    )


def _stock(action: str, data: Callable[[World], dict]) -> Path:
    return Path(
        f"outlets.stock.{action}",
        lambda w: f"/gerai/{w.palangkaraya.outlet.pk}/stok/{action}/",
        data,
        needs=("outlets.manage",),
    )


def _application(action: str, pick: str, needs: str, data: Callable[[World], dict] = lambda w: {}) -> Path:
    return Path(
        f"fund.application.{action}",
        lambda w: f"/dana-bergulir/pengajuan/{getattr(w, pick).pk}/{action}/",
        data,
        needs=(needs,),
    )


PATHS: dict[str, Path] = {
    p.name: p
    for p in (
        # aid: the program office's pages
        Path(
            "aid.rule",
            lambda w: f"{PROGRAM}/aturan/",
            lambda w: {"max_decile": "9", "regencies": ["62.71"], "note": "semua"},
            needs=("aid.manage",),
        ),
        Path(
            "aid.enrolment.add",
            lambda w: f"{PROGRAM}/peserta/tambah/",
            lambda w: {"kk": w.palangkaraya.household.kk_number, "note": "manual"},
            needs=("aid.manage",),
        ),
        Path(
            "aid.enrolment.end",
            lambda w: f"{PROGRAM}/peserta/{w.enrolment.pk}/akhiri/",
            lambda w: {"note": "pindah"},
            needs=("aid.manage",),
        ),
        Path("aid.cycle.draft", lambda w: f"{PROGRAM}/siklus/baru/", needs=("aid.manage",)),
        _cycle("submit", "aid.manage"),
        _cycle("approve", "aid.approve"),
        _cycle("return", "aid.approve"),
        _cycle("credit", "aid.manage"),
        _cycle("close", "aid.manage"),
        _cycle("redraft", "aid.manage"),
        _cycle("discard", "aid.manage"),
        Path(
            "aid.cards.issue",
            lambda w: f"{PROGRAM}/kartu/terbitkan/",
            lambda w: {"village": PALANGKARAYA_VILLAGE},
            needs=("aid.manage",),
        ),
        Path("aid.reconcile", lambda w: f"{PROGRAM}/siklus/{w.cycle.number}/rekonsiliasi/", needs=("aid.manage",)),
        Path(
            "aid.exception.program",
            lambda w: f"/bantuan/selisih/{w.program_exception.pk}/selesaikan/",
            lambda w: {"note": "sudah"},
            needs=("aid.manage",),
        ),
        Path(
            "aid.exception.cooperative",
            lambda w: f"/bantuan/selisih/{w.cooperative_exception.pk}/selesaikan/",
            lambda w: {"note": "sudah"},
            needs=("outlets.manage",),
            control=lambda w: w.palangkaraya.operator,
        ),
        _card("block"),
        _card("unlock"),
        _card("reset-pin"),
        _card("replace"),
        Path(
            "aid.anomaly.review",
            lambda w: f"/bantuan/anomali/{w.anomaly.pk}/tinjau/",
            lambda w: {"note": "wajar"},
            needs=("aid.manage",),
        ),
        Path(
            "aid.settlements.issue",
            lambda w: f"{PROGRAM}/pembayaran-koperasi/terbitkan/",
            lambda w: {"up_to": _yesterday()},
            needs=("aid.manage",),
        ),
        Path(
            "aid.bank_statement",
            lambda w: f"{PROGRAM}/rekening-koran/",
            lambda w: _aid_statement(),
            needs=("aid.manage",),
        ),
        Path(
            "aid.settlement.paid",
            lambda w: f"/bantuan/pembayaran-koperasi/{w.settlement.pk}/dibayar/",
            lambda w: {"paid_date": _yesterday(), "bank_reference": "TRF-9"},
            needs=("aid.manage",),
        ),
        # aid: the API of a point of sale
        Path(
            "api.aid.pay",
            lambda w: "/api/v1/aid/payments",
            lambda w: {
                "card_number": w.palangkaraya.card.number,
                "pin": PIN,
                "cooperative_id": str(w.palangkaraya.cooperative.pk),
                "outlet_id": str(w.palangkaraya.outlet.pk),
                "basket": [{"category": "BERAS", "amount": 10_000}],
            },
            needs=("aid.pay",),
            api=True,
            headers={"Idempotency-Key": "scope-pay-1"},
        ),
        Path(  # its own cooperative, with Palangkaraya's outlet
            "api.aid.pay.outlet",
            lambda w: "/api/v1/aid/payments",
            lambda w: {
                "card_number": w.kapuas.card.number,
                "pin": PIN,
                "cooperative_id": str(w.kapuas.cooperative.pk),
                "outlet_id": str(w.palangkaraya.outlet.pk),
                "basket": [{"category": "BERAS", "amount": 10_000}],
            },
            needs=("aid.pay",),
            api=True,
            headers={"Idempotency-Key": "scope-pay-2"},
            control=None,  # no one may pay at an outlet of another cooperative; api.aid.pay shows the door
        ),
        Path(
            "api.aid.void",
            lambda w: f"/api/v1/aid/payments/{w.payment.pk}/void",
            lambda w: {"reason": "salah"},
            needs=("aid.void",),
            api=True,
        ),
        # outlets: the point of sale and its stock
        Path("outlets.sale", lambda w: f"/gerai/{w.palangkaraya.outlet.pk}/jual/", _sale, needs=("outlets.sell",)),
        Path(
            "outlets.sale_quote",
            lambda w: f"/gerai/{w.palangkaraya.outlet.pk}/jual/rincian/",
            lambda w: _sale(w) | {"card_number": w.palangkaraya.card.number, "pin": "000000"},
            needs=("outlets.sell",),
        ),
        Path(
            "outlets.day_close",
            lambda w: f"/gerai/{w.palangkaraya.outlet.pk}/tutup-kasir/",
            lambda w: {"cash_counted": "0"},
            needs=("outlets.sell",),
        ),
        Path(
            "outlets.void",
            lambda w: f"/gerai/struk/{w.sale.pk}/batal/",
            lambda w: {"reason": "salah"},
            needs=("outlets.void",),
        ),
        _stock("item", lambda w: {"code": "777", "name": "Gula", "unit": "kg", "category": "GULA", "price": "15000"}),
        _stock(
            "receive", lambda w: {"item": str(w.palangkaraya.items["BERAS"].pk), "quantity": "5", "reference": "SJ"}
        ),
        _stock(
            "adjust", lambda w: {"item": str(w.palangkaraya.items["BERAS"].pk), "quantity": "-5", "reason": "rusak"}
        ),
        _stock("price", lambda w: {"item": str(w.palangkaraya.items["BERAS"].pk), "price": "1"}),
        # fund
        Path("fund.portfolio_run", lambda w: f"{FUND}/portofolio/hitung/", needs=("fund.manage",)),
        Path(
            "fund.application.new",
            lambda w: f"{FUND}/pengajuan/baru/",
            lambda w: {
                "action": "submit",
                "cooperative": str(w.palangkaraya.cooperative.pk),
                "amount": "250000000",
                "purpose": "Modal",
            },
            needs=("fund.apply", "fund.manage"),
        ),
        _application("assess", "submitted", "fund.manage", lambda w: {"score": "90", "checklist": [], "note": "ok"}),
        _application("approve", "assessed", "fund.approve"),
        _application("reject", "assessed", "fund.approve", lambda w: {"reason": "tidak layak"}),
        _application(
            "disburse", "approved", "fund.manage", lambda w: {"disbursed_on": _yesterday(), "bank_reference": "SP2D-X"}
        ),
        Path(
            "fund.repayment",
            lambda w: f"/dana-bergulir/pinjaman/{w.loan.pk}/angsuran/",
            lambda w: {"amount": "1000000", "paid_on": _yesterday(), "bank_reference": "TRF-X"},
            needs=("fund.manage",),
        ),
        Path(
            "fund.repayment.reverse",
            lambda w: f"/dana-bergulir/angsuran/{w.repayment.pk}/batal/",
            lambda w: {"reason": "salah rekening"},
            needs=("fund.manage",),
        ),
        Path(
            "fund.change.propose",
            lambda w: f"/dana-bergulir/pinjaman/{w.loan.pk}/perubahan/",
            lambda w: {
                "kind": "RESTRUCTURE",
                "effective_on": _yesterday(),
                "months": "24",
                "grace": "0",
                "annual_rate": "3",
                "method": "ANNUITY",
                "reason": "banjir",
            },
            needs=("fund.manage",),
        ),
        Path(
            "fund.change.approve", lambda w: f"/dana-bergulir/perubahan/{w.change.pk}/approve/", needs=("fund.approve",)
        ),
        Path(
            "fund.change.reject",
            lambda w: f"/dana-bergulir/perubahan/{w.change.pk}/reject/",
            lambda w: {"reason": "belum"},
            needs=("fund.approve",),
        ),
        Path(
            "fund.settle",
            lambda w: f"/dana-bergulir/pinjaman/{w.loan.pk}/pelunasan/",
            lambda w: {"amount": "300000000", "paid_on": _yesterday(), "bank_reference": "TRF-L"},
            needs=("fund.manage",),
        ),
        Path(
            "fund.disaster",
            lambda w: f"{FUND}/bencana/",
            lambda w: {
                "region_code": "62.71",
                "starts_on": "2026-11-01",
                "ends_on": "2026-11-30",
                "basis": "SK Walikota",
            },
            needs=("fund.manage",),
        ),
        Path(
            "fund.disaster.province",
            lambda w: f"{FUND}/bencana/",
            lambda w: {"region_code": "62", "starts_on": "2026-11-01", "ends_on": "2026-11-30", "basis": "SK Gubernur"},
            needs=("fund.manage",),
        ),
        Path("fund.bank_statement", lambda w: f"{FUND}/rekening-koran/", _fund_statement, needs=("fund.manage",)),
        # registry: duplicates and the audited full NIK
        Path(
            "registry.duplicate.merge",
            lambda w: f"/pendataan/duplikat/{w.duplicate.pk}/",
            lambda w: {"decision": "merge"},
            needs=("registry.review_duplicates",),
        ),
        Path(
            "registry.duplicate.distinct",
            lambda w: f"/pendataan/duplikat/{w.duplicate.pk}/",
            lambda w: {"decision": "distinct"},
            needs=("registry.review_duplicates",),
        ),
        Path("registry.full_nik", lambda w: f"/pendataan/orang/{w.person.pk}/nik/", needs=("registry.full_nik",)),
        # a program Kapuas runs, aimed at Palangkaraya's households
        Path(
            "aid.kapuas.enrolment.add",
            lambda w: "/bantuan/program/kapuas/peserta/tambah/",
            lambda w: {"kk": w.palangkaraya.household.kk_number, "note": "manual"},
            needs=("aid.manage",),
        ),
        Path(
            "aid.kapuas.cards.issue",
            lambda w: "/bantuan/program/kapuas/kartu/terbitkan/",
            lambda w: {"village": PALANGKARAYA_VILLAGE},
            needs=("aid.manage",),
        ),
        Path("regions.load", lambda w: "/wilayah/muat/", needs=("regions.load",)),
    )
}
