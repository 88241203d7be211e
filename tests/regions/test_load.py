"""Loading the reference geography: counts, idempotence, updates, retirements and refusals."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from betang.core.models import AuditEvent
from betang.regions.models import District, Province, Regency, Village
from betang.regions.services import RegionFileError, regions_load
from tests.conftest import write_region_subset


def snapshot():
    return (
        list(Province.objects.values_list("code", "name", "is_active")),
        list(Regency.objects.values_list("code", "name", "is_active")),
        list(District.objects.values_list("code", "name", "is_active")),
        list(Village.objects.values_list("code", "name", "is_active", "kind")),
    )


def test_subset_is_loaded_with_kinds(db):
    assert Province.objects.get(code="62").name == "Kalimantan Tengah"
    assert Village.objects.filter(code__startswith="62.").count() == 1571
    assert Regency.objects.get(code="62.71").kind == Regency.Kind.KOTA
    assert Regency.objects.get(code="62.03").kind == Regency.Kind.KABUPATEN
    assert Village.objects.filter(code__startswith="62.71.", kind=Village.Kind.KELURAHAN).exists()


def test_second_run_changes_nothing_and_says_so(db, region_subset_dir, now):
    before = snapshot()
    audits = AuditEvent.objects.count()
    result = regions_load(occurred_at=now, source_dir=region_subset_dir)
    assert not result.changed
    assert result.counts["village"].unchanged == Village.objects.count()
    assert snapshot() == before
    assert AuditEvent.objects.count() == audits


def test_renamed_and_removed_rows_are_updated_and_retired(db, tmp_path, now):
    source = write_region_subset(tmp_path / "src")
    villages = (source / "villages.csv").read_text().splitlines()
    victim = villages[1].split(",")[0]
    renamed_code = villages[2].split(",")[0]
    kept = [villages[0], villages[2].rsplit(",", 1)[0] + ",Nama Baru", *villages[3:]]
    (source / "villages.csv").write_text("\n".join(kept) + "\n")

    result = regions_load(occurred_at=now, source_dir=source)

    assert result.counts["village"].updated == 1
    assert result.counts["village"].retired == 1
    assert Village.objects.get(code=renamed_code).name == "Nama Baru"
    assert Village.objects.get(code=victim).is_active is False  # kept for old NIKs and reports
    event = AuditEvent.objects.filter(event="regions.reference.loaded").latest("id")
    assert event.changes["village"]["retired"] == 1


def corrupt(source: Path, stem: str, line_no: int, new_line: str | None) -> None:
    path = source / f"{stem}.csv"
    lines = path.read_text().splitlines()
    if new_line is None:
        del lines[line_no - 1]
    else:
        lines[line_no - 1] = new_line
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("stem", "line", "content", "problem"),
    [
        ("villages", 5, "62.01.01.20X1,62.01.01,Desa Rusak", "is not a village code"),
        ("villages", 5, "62.01.01.2099,62.01.02,Salah Induk", "does not match code"),
        ("villages", 5, "62.99.01.2001,62.99.01,Tanpa Kecamatan", "does not exist"),
        ("villages", 5, "62.01.01.2001,62.01.01,", "has no name"),
        ("villages", 5, "62.01.01.2001,62.01.01", "expected 3 columns"),
        ("villages", 1, "kode,kecamatan,nama", "header must be"),
        ("regencies", 3, "62.02,62,Kotawaringin Timur", "starts with neither Kabupaten nor Kota"),
        ("districts", 4, "62.01.01,62.01,Duplikat", "appears twice"),
        ("villages", 6, "62.01.01.5001,62.01.01,Jenis Aneh", "unknown kind digit"),
    ],
)
def test_malformed_file_is_refused_naming_file_line_and_problem(db, tmp_path, now, stem, line, content, problem):
    source = write_region_subset(tmp_path / "src")
    corrupt(source, stem, line, content)
    before = snapshot()

    with pytest.raises(RegionFileError) as caught:
        regions_load(occurred_at=now, source_dir=source)

    assert caught.value.file == f"{stem}.csv"
    assert caught.value.line == line
    assert problem in caught.value.problem
    assert snapshot() == before


def test_unreadable_files_are_refused(db, tmp_path, now):
    source = write_region_subset(tmp_path / "src")
    (source / "villages.csv").write_bytes(b"code,district_code,name\n62.01.01.2001,62.01.01,Desa \xff\xfe\n")
    with pytest.raises(RegionFileError, match="not UTF-8"):
        regions_load(occurred_at=now, source_dir=source)
    (source / "villages.csv").unlink()
    (source / "villages.csv.gz").write_bytes(b"this is not gzip")
    with pytest.raises(RegionFileError, match=r"villages\.csv\.gz: cannot be read"):
        regions_load(occurred_at=now, source_dir=source)


def test_command_reports_no_change_on_second_run(db, region_subset_dir, capsys):
    call_command("regions", "load", source=region_subset_dir)
    out = capsys.readouterr().out
    assert "no change" in out


def test_command_refuses_a_corrupted_csv_cleanly(db, tmp_path):
    source = write_region_subset(tmp_path / "src")
    corrupt(source, "villages", 7, "62.01.01.2007;62.01.01;Titik Koma")
    before = snapshot()
    with pytest.raises(CommandError) as caught:
        call_command("regions", "load", source=source)
    assert str(caught.value) == (
        "Region data refused, nothing was changed: villages.csv line 7: expected 3 columns, found 1"
    )
    assert snapshot() == before


def test_full_reference_loads_every_region(db, now):
    """The vendored files as shipped: 38 provinces, 514 regencies, 7,285 districts, 83,762 villages."""
    result = regions_load(occurred_at=now)
    assert Province.objects.filter(is_active=True).count() == 38
    assert Regency.objects.filter(is_active=True).count() == 514
    assert District.objects.filter(is_active=True).count() == 7285
    assert Village.objects.filter(is_active=True).count() == 83762
    assert result.counts["village"].created == 83762 - 1571 - Village.objects.filter(code__startswith="63.").count()
    assert not regions_load(occurred_at=now).changed


def test_gzipped_source_is_read(db, tmp_path, now, region_subset_dir):
    source = tmp_path / "gz"
    source.mkdir()
    for f in region_subset_dir.iterdir():
        with open(f, "rb") as src, gzip.open(source / (f.name + ".gz"), "wb") as dst:
            shutil.copyfileobj(src, dst)
    assert not regions_load(occurred_at=now, source_dir=source).changed
