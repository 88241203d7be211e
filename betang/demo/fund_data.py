"""Demo of the revolving fund: the province's KHBS stimulus fund lent to 56 cooperatives of every
regency over the last 22 months, through the fund's own services (apply, assess, approve by another
user, disburse, repay). Most cooperatives pay on time; some pay late, a few stopped paying (one of
them restructured, one proposed for write-off), two settled early; a flood is declared in one regency. Loans of the later months are lent from repaid money
(the capital is used up), so the re-lending figure shows. Applications wait at each step, and a
bank statement of this month's repayments is left to upload."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from betang.accounts.models import User
from betang.core.months import add_months
from betang.core.spreadsheet import csv_write
from betang.fund.models import Disaster, Fund, Loan, LoanChange
from betang.fund.schedules import GraceInterest, Method
from betang.fund.selectors import relending
from betang.fund.services import applications as application_services
from betang.fund.services import changes as change_services
from betang.fund.services import funds as fund_services
from betang.fund.services import loans as loan_services
from betang.fund.services.portfolio import portfolio_run
from betang.registry.models import Cooperative, CooperativeStaff

FUND_CODE = "khbs-bergulir"
LOANS = 56


@dataclass(frozen=True)
class FundDemoResult:
    loans: int
    repayments: int
    in_arrears: int
    revolved_cooperatives: int
    skipped: bool


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _cooperatives(rng: random.Random, treasurer_coop: Cooperative | None) -> list[Cooperative]:
    """Cooperatives of every regency, the demo treasurer's first."""
    by_regency: dict[str, list[Cooperative]] = {}
    for coop in Cooperative.objects.filter(region_code__startswith="62.", kind=Cooperative.Kind.KDMP).order_by("id"):
        by_regency.setdefault(coop.region_code[:5], []).append(coop)
    chosen = [treasurer_coop] if treasurer_coop else []
    while len(chosen) < LOANS and any(by_regency.values()):
        for regency in sorted(by_regency):
            if by_regency[regency] and len(chosen) < LOANS:
                coop = by_regency[regency].pop(rng.randrange(len(by_regency[regency])))
                if coop not in chosen:
                    chosen.append(coop)
    return chosen


def _application(product, coop, amount, day, *, officer, approver, purpose, decide=True):
    application = application_services.application_submit(
        product=product, cooperative=coop, amount=amount, purpose=purpose, actor=officer, occurred_at=_at(day)
    )
    if decide:
        application_services.application_assess(
            application=application, checklist=dict.fromkeys(application_services.CHECKLIST, True), score=70 + (amount // 10_000_000) % 25,
            note="Layak dibiayai: RAT terlaksana, laporan keuangan lengkap.", actor=officer, occurred_at=_at(day),
        )  # fmt: skip
        application_services.application_approve(
            application=application, actor=approver, occurred_at=_at(day + timedelta(days=3))
        )
    return application


def build_fund(*, occurred_at: datetime, var_dir: Path, treasurer: str = "pengurus.kapuas") -> FundDemoResult:
    if Fund.objects.filter(code=FUND_CODE).exists():
        fund = Fund.objects.get(code=FUND_CODE)
        return FundDemoResult(fund.loans.count(), 0, 0, 0, skipped=True)
    rng = random.Random(6262)  # noqa: S311 - demo data, not security
    today = timezone.localdate(occurred_at)
    officer = User.objects.get(username="dana.bergulir")
    approver = User.objects.get(username="dinas.kalteng")
    start = add_months(today.replace(day=5), -22)
    fund = fund_services.fund_create(
        code=FUND_CODE, name="Stimulus Bergulir Huma Betang Sejahtera", region_code="62",
        source="APBD Provinsi Kalimantan Tengah — investasi jangka panjang non permanen (UPTD-BLUD)",
        legal_basis="Pergub Kalimantan Tengah tentang Dana Bergulir (contoh demo)", occurred_at=_at(start), actor=officer,
    )  # fmt: skip
    fund_services.fund_capital_add(fund=fund, amount=10_000_000_000, reference="SP2D-DB-0001", occurred_at=_at(start),
                              recorded_at=occurred_at, actor=officer)  # fmt: skip
    stimulus = fund_services.product_create(
        fund=fund, code="stimulus-kdmp", name="Stimulus KDMP", min_amount=200_000_000, max_amount=300_000_000,
        annual_rate=Decimal("6"), method=Method.ANNUITY, months=36, grace=6, grace_interest=GraceInterest.PAY,
        admin_fee_rate=Decimal("0.5"), penalty_rate_per_day=Decimal("0.05"), penalty_grace_days=7,
        occurred_at=_at(start), actor=officer,
    )  # fmt: skip
    working = fund_services.product_create(
        fund=fund, code="modal-kerja", name="Modal kerja gerai", min_amount=100_000_000, max_amount=200_000_000,
        annual_rate=Decimal("3"), method=Method.FLAT, months=24, admin_fee_rate=Decimal("0.25"),
        penalty_rate_per_day=Decimal("0.03"), penalty_grace_days=7, occurred_at=_at(start), actor=officer,
    )  # fmt: skip
    staff = CooperativeStaff.objects.filter(user__username=treasurer).select_related("cooperative").first()
    coops = _cooperatives(rng, staff.cooperative if staff else None)
    purposes = ["Modal gerai sembako", "Mesin penggiling padi", "Gudang dan timbangan hasil karet",
                "Modal simpan pinjam anggota", "Perahu angkut hasil sungai", "Cold storage ikan"]  # fmt: skip

    # Loans over 22 months, each cooperative repaying as it goes (recorded in time order, so the pool
    # holds what comes back before the next loans): a second capital tranche halfway, and the last
    # loans lent from repaid money once the capital is used up.
    plans = []
    for i, coop in enumerate(coops):
        months_ago = 8 if i == 0 else 21 - (i * 21) // len(coops)
        day = add_months(today.replace(day=1), -months_ago) + timedelta(days=rng.randrange(3, 25))
        product = stimulus if i % 5 else working
        step = 10_000_000
        amount = rng.randrange(product.min_amount // step, product.max_amount // step + 1) * step
        behaviour = "good" if i == 0 else rng.choices(["good", "late", "stopped", "early"], weights=[70, 15, 10, 5])[0]
        plans.append((min(day, today - timedelta(days=20)), i, coop, product, amount, behaviour))
    plans.sort(key=lambda plan: (plan[0], plan[1]))
    paying: list[dict] = []
    repayments = 0

    def catch_up(until: date) -> None:
        nonlocal repayments
        for state in paying:
            loan, lines = state["loan"], state["lines"]
            while state["n"] < len(lines) and loan.status == Loan.Status.ACTIVE:
                n, line = state["n"], lines[state["n"]]
                if state["stop_after"] is not None and n >= state["stop_after"]:
                    break
                paid_on = max(line.due_on + timedelta(days=state["delays"][n]), state["last"])
                if paid_on > until or paid_on >= today:
                    break
                reference = f"BRI-{loan.number}-{n + 1:02d}"
                if state["behaviour"] == "early" and n == len(lines) // 3:  # settled early, later interest rebated
                    change_services.loan_settle(
                        loan=loan, paid_on=paid_on, amount=change_services.loan_standing(loan, on=paid_on).payoff,
                        bank_reference=reference, actor=officer, occurred_at=_at(paid_on), recorded_at=occurred_at,
                    )  # fmt: skip
                else:
                    loan_services.repayment_record(
                        loan=loan, amount=line.total, paid_on=paid_on, bank_reference=reference, actor=officer,
                        occurred_at=_at(paid_on), recorded_at=occurred_at,
                    )  # fmt: skip
                repayments += 1
                state["n"], state["last"] = n + 1, paid_on
                loan.refresh_from_db()

    loans: list[tuple[Loan, str]] = []
    for k, (day, _i, coop, product, amount, behaviour) in enumerate(plans):
        catch_up(day)
        if k == len(plans) // 2:
            fund_services.fund_capital_add(fund=fund, amount=2_500_000_000, reference="SP2D-DB-0002", occurred_at=_at(day),
                                      recorded_at=occurred_at, actor=officer)  # fmt: skip
        application = _application(
            product, coop, amount, day - timedelta(days=21), officer=officer, approver=approver,
            purpose=rng.choice(purposes),
        )  # fmt: skip
        loan = loan_services.loan_disburse(
            application=application, disbursed_on=day, bank_reference=f"SP2D-DB-{day:%y%m}-{k + 1:03d}",
            actor=officer, occurred_at=_at(day), recorded_at=occurred_at,
        )  # fmt: skip
        lines = list(loan.instalments.order_by("number"))
        spread = {"good": (-3, 3), "late": (5, 45)}.get(behaviour, (-5, 1))
        paying.append({
            "loan": loan, "lines": lines, "n": 0, "behaviour": behaviour, "last": day,
            "stop_after": rng.randrange(2, 6) if behaviour == "stopped" else None,
            "delays": [rng.randrange(*spread) for _ in lines],
        })  # fmt: skip
        loans.append((loan, behaviour))
    catch_up(today - timedelta(days=1))

    # A flood in Katingan two months ago: its cooperatives' loans do not grow delinquent meanwhile.
    flood = add_months(today.replace(day=1), -2)
    Disaster.objects.create(region_code="62.06", starts_on=flood, ends_on=flood + timedelta(days=30),
                            basis="SK Bupati Katingan tentang Status Tanggap Darurat Banjir (contoh demo)",
                            declared_by=approver, created_at=occurred_at)  # fmt: skip

    # Of the cooperatives that stopped paying: one restructured after a poor harvest (proposed by the fund
    # officer, approved by the provincial officer), one proposed for write-off, waiting for a decision.
    stopped = [loan for loan, behaviour in loans if behaviour == "stopped"]
    if len(stopped) >= 2:
        on = today - timedelta(days=10)
        proposal = change_services.change_propose(
            loan=stopped[0], kind=LoanChange.Kind.RESTRUCTURE, effective_on=on, actor=officer,
            terms=change_services.Restructuring(24, Decimal("3"), Method.ANNUITY, grace=2, arrears=change_services.CARRY),
            reason="Gagal panen dua musim; koperasi mengajukan penjadwalan ulang (contoh demo)", occurred_at=_at(on),
        )  # fmt: skip
        change_services.change_approve(change=proposal, actor=approver, occurred_at=_at(on), recorded_at=occurred_at)
        change_services.change_propose(
            loan=stopped[1], kind=LoanChange.Kind.WRITE_OFF, effective_on=today, actor=officer, occurred_at=occurred_at,
            reason="Usaha koperasi berhenti, pengurus tidak dapat dihubungi; diusulkan diserahkan ke PUPN (contoh demo)",
        )  # fmt: skip

    # Applications waiting at each step.
    waiting = list(Cooperative.objects.filter(region_code__startswith="62.").exclude(
        pk__in=[c.pk for c in coops]).order_by("id")[:4])  # fmt: skip
    if len(waiting) == 4:
        _application(stimulus, waiting[0], 250_000_000, today - timedelta(days=2), officer=officer, approver=approver,
                     purpose="Gerai pupuk dan sarana produksi", decide=False)  # fmt: skip
        assessed = application_services.application_submit(product=stimulus, cooperative=waiting[1], amount=300_000_000,
                                                purpose="Pabrik es balok untuk nelayan", actor=officer,
                                                occurred_at=_at(today - timedelta(days=9)))  # fmt: skip
        application_services.application_assess(application=assessed, checklist=dict.fromkeys(application_services.CHECKLIST, True) | {
            "financial_report": False}, score=64, note="Laporan keuangan belum diaudit.", actor=officer,
            occurred_at=_at(today - timedelta(days=5)))  # fmt: skip
        _application(working, waiting[2], 150_000_000, today - timedelta(days=6), officer=officer, approver=approver,
                     purpose="Modal kerja gerai sembako")  # fmt: skip
        rejected = application_services.application_submit(product=stimulus, cooperative=waiting[3], amount=200_000_000,
                                                purpose="Pembelian kendaraan pengurus", actor=officer,
                                                occurred_at=_at(today - timedelta(days=30)))  # fmt: skip
        application_services.application_assess(application=rejected, checklist=dict.fromkeys(application_services.CHECKLIST, False),
                                    score=30, note="RAT belum dilaksanakan.", actor=officer,
                                    occurred_at=_at(today - timedelta(days=25)))  # fmt: skip
        application_services.application_reject(application=rejected, reason="Tujuan pinjaman bukan kegiatan usaha koperasi.",
                                    actor=approver, occurred_at=_at(today - timedelta(days=20)))  # fmt: skip

    _bank_statement(loans, var_dir, today)
    portfolio_run(fund=fund, as_of=today, actor=None, occurred_at=occurred_at)  # as the nightly run
    in_arrears = fund.loans.filter(health__days_past_due__gt=0).count()
    return FundDemoResult(len(loans), repayments, in_arrears, relending(fund).revolved_cooperatives, skipped=False)


def _bank_statement(loans: list[tuple[Loan, str]], var_dir: Path, today: date) -> None:
    """This month's instalments not yet recorded, as the fund account's bank statement shows them, with
    a bank charge and a transfer that names no loan: for trying the import."""
    rows = [["Tanggal", "Keterangan", "Debet", "Kredit", "No Referensi"]]
    for loan, behaviour in loans:
        if behaviour != "good" or loan.status != Loan.Status.ACTIVE:
            continue
        position = loan_services.loan_position(loan, as_of=today)
        nxt = position.next_due
        if nxt is not None and nxt.due_on <= today + timedelta(days=10) and len(rows) < 12:
            amount = nxt.unpaid + nxt.penalty_owed
            rows.append([f"{today:%d/%m/%Y}", f"TRF ANGSURAN {loan.number} {loan.cooperative.name[:30]}", "",
                         f"{amount:,}".replace(",", ".") + ",00", f"BRI{today:%y%m%d}{len(rows):04d}"])  # fmt: skip
    rows.append([f"{today:%d/%m/%Y}", "BIAYA ADM BANK", "15.000,00", "", f"BRI{today:%y%m%d}9998"])
    rows.append([f"{today:%d/%m/%Y}", "SETORAN TUNAI KOPERASI", "", "5.000.000,00", f"BRI{today:%y%m%d}9999"])
    # Through the one CSV writer, so a cooperative's name can never come out as a formula.
    with open(var_dir / "contoh-rekening-koran-dana-bergulir.csv", "w", newline="", encoding="utf-8") as fh:
        csv_write(fh, rows, delimiter=";")
