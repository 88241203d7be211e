"""Demo registry of Kalimantan Tengah: a cooperative in every village, UMKM, BUMDes, ~50,000 households.

Rows are generated deterministically (seeded) and written with bulk inserts, so the whole registry is
built in well under a minute; a second build finds it present and adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from faker import Faker

from betang.core.spreadsheet import xlsx
from betang.demo.samples import SAMPLE_HEADERS
from betang.regions.models import Village
from betang.registry.models import (
    Bumdes,
    Cooperative,
    CooperativeMember,
    DtsenSnapshot,
    Enterprise,
    Household,
    HouseholdKk,
    Outlet,
    Person,
)
from betang.registry.services.matching import block_key, name_key
from betang.registry.services.organisations import enterprise_scale

SEED = 6200
HOUSEHOLDS = 50_000
UNITS = [
    "Gerai Sembako",
    "Apotek Desa",
    "Klinik Desa",
    "Unit Simpan Pinjam",
    "Cold Storage",
    "Logistik",
    "Kantor Koperasi",
]
KBLI = ["10710", "10792", "47111", "56101", "01130", "03111", "13134", "16291", "47721", "96021"]
BUSINESS = ["Warung", "Kedai", "Toko", "Usaha", "Dapur", "Kerajinan", "Tenun", "Ikan Asin", "Kopi", "Madu Kelulut"]


@dataclass(frozen=True)
class RegistryDemoResult:
    cooperatives: int
    outlets: int
    enterprises: int
    bumdes: int
    households: int
    persons: int
    skipped: bool


def _nik(rng: random.Random, district: str, born: date, sex: str, used: set[str]) -> str:
    day = born.day + (40 if sex == "F" else 0)
    stem = district.replace(".", "") + f"{day:02d}{born.month:02d}{born.year % 100:02d}"
    while True:
        nik = stem + f"{rng.randint(1, 9999):04d}"
        if nik not in used:
            used.add(nik)
            return nik


def build_registry(*, occurred_at: datetime, province: str = "62", households: int = HOUSEHOLDS) -> RegistryDemoResult:
    if Cooperative.objects.filter(region_code__startswith=province + ".").exists():
        return RegistryDemoResult(
            Cooperative.objects.filter(region_code__startswith=province + ".").count(),
            Outlet.objects.filter(region_code__startswith=province + ".").count(),
            Enterprise.objects.filter(region_code__startswith=province + ".").count(),
            Bumdes.objects.filter(region_code__startswith=province + ".").count(),
            Household.objects.filter(region_code__startswith=province + ".").count(),
            Person.objects.filter(region_code__startswith=province + ".").count(),
            skipped=True,
        )
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not secrets
    fake = Faker("id_ID")
    fake.seed_instance(SEED)
    villages = list(
        Village.objects.filter(code__startswith=province + ".", is_active=True)
        .select_related("district")
        .order_by("code")
    )
    now = occurred_at
    coops, outlets, enterprises, bumdes = [], [], [], []
    for i, village in enumerate(villages):
        kind = Cooperative.Kind.KKMP if village.kind == Village.Kind.KELURAHAN else Cooperative.Kind.KDMP
        label = "Kelurahan" if kind == Cooperative.Kind.KKMP else "Desa"
        name = f"Koperasi {label} Merah Putih {village.name}"
        coop = Cooperative(
            region_code=village.code,
            name=name,
            name_key=name_key(name),
            kind=kind,
            legal_number=f"AHU-{rng.randint(1000, 9999)}.AH.01.29.TAHUN 2025-{i:05d}",
            founded_date=date(2025, 7, 12) + timedelta(days=rng.randint(0, 90)),
            business_units=rng.sample(UNITS, rng.randint(2, 7)),
            phone=f"+628{rng.randint(1100000000, 9999999999)}",
            bank_name=rng.choice(["BRI", "BNI", "Mandiri", "Bank Kalteng"]),
            bank_account_number=str(rng.randint(10**11, 10**12 - 1)),
            bank_account_name=name[:150],
            created_at=now,
            updated_at=now,
        )
        coops.append(coop)
        if i % 8 == 0:
            outlets.append(
                Outlet(
                    cooperative=coop,
                    region_code=village.code,
                    name=f"Gerai Sembako {village.name}",
                    kind="SEMBAKO",
                    address=f"Jl. {fake.street_name()}",
                    created_at=now,
                    updated_at=now,
                )
            )
        if village.kind == Village.Kind.DESA and i % 7 == 0:
            name = f"BUMDes {rng.choice(['Maju Bersama', 'Sejahtera', 'Harapan Jaya', 'Karya Mandiri', 'Betang'])} {village.name}"
            bumdes.append(
                Bumdes(
                    region_code=village.code,
                    name=name,
                    name_key=name_key(name),
                    legal_number=f"BH-{rng.randint(100000, 999999)}",
                    business_units=rng.sample(UNITS, 2),
                    created_at=now,
                    updated_at=now,
                )
            )
        if i % 5 == 0:
            owner = fake.name()
            name = f"{rng.choice(BUSINESS)} {owner.split()[0]}"
            capital = rng.choice([5, 25, 50, 150, 400, 900, 1500, 6000]) * 1_000_000
            turnover = capital * rng.randint(1, 4)
            enterprises.append(
                Enterprise(
                    region_code=village.code,
                    name=name,
                    name_key=name_key(name),
                    nib=f"9{rng.randint(10**11, 10**12 - 1)}",
                    owner_name=owner,
                    kbli=rng.choice(KBLI),
                    capital=capital,
                    annual_turnover=turnover,
                    scale=enterprise_scale(capital=capital, annual_turnover=turnover),
                    created_at=now,
                    updated_at=now,
                )
            )
    persons, homes, kk_rows, snapshots = [], [], [], []
    used_nik: set[str] = set()
    today = occurred_at.date()
    for h in range(households):
        village = villages[rng.randrange(len(villages))]
        district = village.district_id
        kk = (
            district.replace(".", "")
            + f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(5, 25):02d}{h % 10000:04d}"
        )
        decile = rng.choices(range(1, 11), weights=[14, 13, 12, 11, 10, 10, 9, 8, 7, 6])[0]
        home = Household(
            region_code=village.code,
            kk_number=kk,
            address=f"Jl. {fake.street_name()} No. {rng.randint(1, 120)}",
            latest_decile=decile,
            created_at=now,
            updated_at=now,
        )
        homes.append(home)
        kk_rows.append(HouseholdKk(household=home, kk_number=kk, valid_from=now))
        snapshots.append(
            DtsenSnapshot(
                household=home, decile=decile, source="DTSEN 2026 triwulan III (demo)", as_of_date=date(2026, 7, 1)
            )
        )
        surname = fake.last_name()
        head_sex = "M" if rng.random() < 0.85 else "F"
        head_born = today - timedelta(days=rng.randint(25 * 365, 70 * 365))
        members = [("HEAD", head_sex, head_born)]
        if rng.random() < 0.8:
            members.append(
                ("SPOUSE", "F" if head_sex == "M" else "M", head_born + timedelta(days=rng.randint(-2000, 2000)))
            )
        for _ in range(rng.choices([0, 1, 2, 3, 4], weights=[10, 25, 35, 20, 10])[0]):
            members.append(("CHILD", rng.choice("MF"), head_born + timedelta(days=rng.randint(18 * 365, 40 * 365))))
        for relation, sex, born in members:
            born = min(born, today - timedelta(days=30))
            first = fake.first_name_male() if sex == "M" else fake.first_name_female()
            name = f"{first} {surname}"
            persons.append(
                Person(
                    nik=_nik(rng, district, born, sex, used_nik),
                    name=name,
                    name_key=name_key(name),
                    block_key=block_key(village.code, born),
                    birth_date=born,
                    sex=sex,
                    household=home,
                    relation=relation,
                    region_code=village.code,
                    created_at=now,
                    updated_at=now,
                )
            )
    with transaction.atomic():
        Cooperative.objects.bulk_create(coops, batch_size=2000)
        Outlet.objects.bulk_create(outlets, batch_size=2000)
        Enterprise.objects.bulk_create(enterprises, batch_size=2000)
        Bumdes.objects.bulk_create(bumdes, batch_size=2000)
        Household.objects.bulk_create(homes, batch_size=5000)
        HouseholdKk.objects.bulk_create(kk_rows, batch_size=5000)
        DtsenSnapshot.objects.bulk_create(snapshots, batch_size=5000)
        Person.objects.bulk_create(persons, batch_size=5000)
    return RegistryDemoResult(
        len(coops), len(outlets), len(enterprises), len(bumdes), len(homes), len(persons), skipped=False
    )


BOARD = [
    CooperativeMember.Role.CHAIR,
    CooperativeMember.Role.SECRETARY,
    CooperativeMember.Role.TREASURER,
    CooperativeMember.Role.SUPERVISOR,
]


def build_members(*, occurred_at: datetime, province: str = "62") -> int:
    """Heads of household and their spouses join their village's cooperative; the first four adults
    of each village form its board (chair, secretary, treasurer) and a supervisor, for a five-year term.
    Only once per province (a second build adds nothing); returns the members made."""
    if CooperativeMember.objects.filter(cooperative__region_code__startswith=province + ".").exists():
        return 0
    rng = random.Random(SEED + 1)  # noqa: S311 - reproducible demo data
    coops = dict(Cooperative.objects.filter(region_code__startswith=province + ".").values_list("region_code", "id"))
    adults = (
        Person.objects.filter(
            region_code__startswith=province + ".",
            relation__in=[Person.Relation.HEAD, Person.Relation.SPOUSE],
            merged_into__isnull=True,
        )
        .order_by("region_code", "nik")
        .values_list("id", "region_code")
    )
    seen: dict[str, int] = {}
    members = []
    term_end = date(occurred_at.year + 5, 6, 30)
    for person_id, village in adults.iterator(chunk_size=5000):
        coop_id = coops.get(village)
        if coop_id is None:
            continue
        place = seen.get(village, 0)
        seen[village] = place + 1
        board = place < len(BOARD)
        members.append(
            CooperativeMember(
                cooperative_id=coop_id,
                person_id=person_id,
                role=BOARD[place] if board else CooperativeMember.Role.MEMBER,
                joined_date=date(2025, 7, 12) + timedelta(days=rng.randint(0, 400)),
                term_end=term_end if board else None,
            )
        )
    with transaction.atomic():
        CooperativeMember.objects.bulk_create(members, batch_size=5000)
    return len(members)


def messy_household_sample() -> bytes:
    """A small XLSX as offices really send them: mixed date formats, a NIK Excel turned into 6.2E+15,
    a missing name, an unknown village, spaces in numbers, and a likely duplicate of an earlier row."""
    rows = [
        SAMPLE_HEADERS,
        [
            "6203011203800003",
            "Budi Santoso",
            "12/03/1980",
            "L",
            "6203010101200001",
            "Kepala Keluarga",
            "62.03.01.1006",
            "Jl. Sudirman 1",
            "0812-3456-7890",
            2,
        ],
        [
            "6203 0155 0582 0002",
            "Siti Aminah",
            "15 Mei 1982",
            "P",
            "6203010101200001",
            "Istri",
            "6203011006",
            "Jl. Sudirman 1",
            "",
            2,
        ],
        [6.20301e15, "Andi Santoso", "2010-01-01", "L", "6203010101200001", "Anak", "62.03.01.1006", "", "", ""],
        ["6203014507120001", "", "05-07-2012", "P", "6203010101200001", "Anak", "62.03.01.1006", "", "", ""],
        [
            "6203011508750004",
            "Yohanes Dandan",
            "15/08/1975",
            "L",
            "6203010202200002",
            "Kepala Keluarga",
            "62.03.01.9999",
            "",
            "",
            3,
        ],
        [
            "6203011203800009",
            "Budi Santosa",
            "12/03/1980",
            "L",
            "6203010101200001",
            "Famili Lain",
            "62.03.01.1006",
            "",
            "",
            "",
        ],
        [
            "6203015109900005",
            "Maria Ulfa",
            "11 September 1990",
            "P",
            "6203010303210003",
            "Kepala Keluarga",
            "62.03.01.1006",
            "Gg. Kenanga",
            "+62 813 5555 1212",
            1,
        ],
    ]
    # Through the one writer of every workbook, so its text is neutralised too: `+62 813…` is written as
    # `'+62 813…`, which the import reads as the phone number. No column is text-formatted on purpose:
    # the NIK Excel turned into a number must stay a number.
    return xlsx(rows[0], rows[1:], text_columns=set(), title="Sheet")
