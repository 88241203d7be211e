"""Importing cooperatives, enterprises and BUMDes: matching by legal number or village + name."""

import pytest

from betang.registry.models import Bumdes, Cooperative
from tests.registry.conftest import csv_bytes, reasons

pytestmark = pytest.mark.django_db

COOP_HEADERS = [
    "Nama Koperasi",
    "Jenis",
    "Kode Desa",
    "Nomor Badan Hukum",
    "NIB",
    "Tanggal Berdiri",
    "Unit Usaha",
    "Telepon",
]
COOPS = [
    [
        "Koperasi Desa Merah Putih Sei Pasah",
        "",
        "62.03.02.1005",
        "AHU-0001.AH.01.29.TAHUN 2025",
        "",
        "12 Juli 2025",
        "Gerai Sembako, Apotek Desa",
        "0536-3221234",
    ],
    ["KDMP Murung Keramat", "KDMP", "6203011006", "", "9120001234567", "2025-07-21", "", ""],
    ["Koperasi Tanpa Desa", "KDMP", "62.03.01.9999", "", "", "", "", ""],
    ["Koperasi Jenis Aneh", "Bank", "62.03.01.1006", "", "", "", "", ""],
]


def test_cooperatives_import_with_kind_inferred_and_units_split(run_import):
    batch, counts = run_import(csv_bytes(COOPS, headers=COOP_HEADERS), kind="cooperatives")
    assert counts["CREATED"] == 2
    assert counts["REJECTED"] == 2
    assert reasons(batch) == {4: "village.unknown", 5: "cooperative.kind"}
    sei_pasah = Cooperative.objects.get(region_code="62.03.02.1005")
    assert sei_pasah.kind == "KKMP"  # 62.03.02.1005 is a kelurahan
    assert sei_pasah.business_units == ["Gerai Sembako", "Apotek Desa"]
    assert sei_pasah.phone == "+625363221234"


def test_cooperatives_reimport_and_update_by_legal_number(run_import):
    run_import(csv_bytes(COOPS[:2], headers=COOP_HEADERS), kind="cooperatives")
    _, counts = run_import(csv_bytes(COOPS[:2], headers=COOP_HEADERS), kind="cooperatives")
    assert counts["UNCHANGED"] == 2
    renamed = [["Koperasi Kelurahan Merah Putih Sei Pasah", *COOPS[0][1:]]]
    batch, counts = run_import(csv_bytes(renamed, headers=COOP_HEADERS), kind="cooperatives")
    assert counts["UPDATED"] == 1
    assert Cooperative.objects.count() == 2
    assert batch.rows.get().changes["name"][1] == "Koperasi Kelurahan Merah Putih Sei Pasah"


def test_empty_cells_never_erase_what_the_registry_knows(run_import):
    run_import(csv_bytes(COOPS[:1], headers=COOP_HEADERS), kind="cooperatives")
    blank_phone = [[*COOPS[0][:7], ""]]
    _, counts = run_import(csv_bytes(blank_phone, headers=COOP_HEADERS), kind="cooperatives")
    assert counts["UNCHANGED"] == 1
    assert Cooperative.objects.get().phone == "+625363221234"


def test_bumdes_import_joint_with_member_villages(run_import):
    headers = ["Nama BUMDes", "Kode Desa", "BUMDes Bersama", "Desa Anggota"]
    rows = [["BUMDes Bersama Kahayan", "62.03.01.2011", "ya", "62.03.01.2011; 62.03.01.2020"]]
    _, counts = run_import(csv_bytes(rows, headers=headers), kind="bumdes")
    assert counts["CREATED"] == 1
    bumdes = Bumdes.objects.get()
    assert bumdes.is_joint
    assert bumdes.member_village_codes == ["62.03.01.2011", "62.03.01.2020"]
