"""Importing households and members: outcomes per row, idempotence, duplicates, rejects round trip."""

import io
import threading

import pytest
from openpyxl import load_workbook

from betang.registry.imports.tabular import TableError
from betang.registry.models import DtsenSnapshot, DuplicateCandidate, Household, HouseholdKk, ImportBatch, Person
from betang.registry.services.exports import rejected_rows_xlsx
from tests.registry.conftest import FAMILY, HEADERS, TYPO, csv_bytes, outcomes, reasons, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_a_family_is_created_with_one_household_and_its_members(run_import):
    batch, counts = run_import(csv_bytes(FAMILY))
    assert counts == {"CREATED": 3, "UPDATED": 0, "UNCHANGED": 0, "REJECTED": 0, "HELD": 0}
    household = Household.objects.get(kk_number="6203010101200001")
    assert household.region_code == "62.03.01.1006"
    assert household.latest_decile == 2
    assert sorted(household.members.values_list("relation", flat=True)) == ["CHILD", "HEAD", "SPOUSE"]
    budi = Person.objects.get(nik="6203011203800003")
    assert budi.phone == "+6281234567890"
    assert budi.sex == "M"
    assert HouseholdKk.objects.get(household=household).valid_to is None
    assert DtsenSnapshot.objects.filter(household=household, decile=2).count() == 1
    assert batch.status == ImportBatch.Status.DONE


def test_reimporting_the_same_file_changes_nothing(run_import):
    run_import(csv_bytes(FAMILY))
    before = list(Person.objects.order_by("nik").values())
    _, counts = run_import(csv_bytes(FAMILY))
    assert counts["UNCHANGED"] == 3
    assert counts["CREATED"] == counts["UPDATED"] == 0
    assert list(Person.objects.order_by("nik").values()) == before
    assert Household.objects.count() == 1


def test_xlsx_with_number_cells_and_dates_is_read(run_import):
    from datetime import datetime

    rows = [
        [
            6203011203800003,
            "Budi Santoso",
            datetime(1980, 3, 12),
            "L",
            "6203010101200001",
            "Kepala Keluarga",
            "62.03.01.1006",
            "",
            81234567890,
            2,
        ]
    ]
    batch, counts = run_import(xlsx_bytes(rows), name="data.xlsx")
    assert counts["CREATED"] == 1, reasons(batch)
    assert Person.objects.get(nik="6203011203800003").phone == "+6281234567890"


def test_headers_are_matched_in_any_case_and_language(run_import):
    headers = ["nik", "NAME", "Date of Birth", "sex", "KK Number", "relation", "Village Code"]
    _, counts = run_import(csv_bytes([r[:7] for r in FAMILY], headers=headers, delimiter=","))
    assert counts["CREATED"] == 3


def test_bad_rows_are_rejected_with_line_and_reason_and_good_rows_kept(run_import):
    rows = [
        *FAMILY,
        ["6.20301E+15", "Anak Rusak", "2010-01-01", "L", "6203010101200001", "Anak", "62.03.01.1006", "", "", ""],
        ["6203011203800004", "", "12/03/1980", "L", "6203010101200001", "Anak", "62.03.01.1006", "", "", ""],
        ["6203011203800005", "Tanpa Desa", "12/03/1980", "L", "6203010101200001", "Anak", "62.03.01.9999", "", "", ""],
        [
            "6203011203800006",
            "Desil Salah",
            "12/03/1980",
            "L",
            "6203010101200001",
            "Anak",
            "62.03.01.1006",
            "",
            "",
            "11",
        ],
    ]
    batch, counts = run_import(csv_bytes(rows))
    assert counts["CREATED"] == 3
    assert counts["REJECTED"] == 4
    assert reasons(batch) == {5: "nik.scientific", 6: "name.missing", 7: "village.unknown", 8: "decile.range"}


def test_a_warning_keeps_the_row_and_flags_it(run_import):
    rows = [
        [
            "6203011203800003",
            "Budi Santoso",
            "13/03/1980",
            "L",
            "6203010101200001",
            "Kepala Keluarga",
            "62.03.01.1006",
            "",
            "",
            "",
        ]
    ]
    batch, counts = run_import(csv_bytes(rows))
    assert counts["CREATED"] == 1
    person = Person.objects.get()
    assert person.review == Person.Review.WARNING
    assert [w["code"] for w in person.warnings] == ["nik.birth_date_mismatch"]
    assert reasons(batch) == {2: "nik.birth_date_mismatch"}


def test_probable_duplicate_with_a_mistyped_nik_is_held_for_review(run_import):
    run_import(csv_bytes(FAMILY))
    typo = TYPO
    _batch, counts = run_import(csv_bytes(typo))
    assert counts["HELD"] == 1
    pair = DuplicateCandidate.objects.get()
    assert pair.existing.nik == "6203011203800003"
    assert pair.candidate.nik == "6203011203800009"
    assert pair.candidate.review == Person.Review.POSSIBLE_DUPLICATE
    assert pair.score >= 88


def test_different_people_with_the_same_birth_date_are_not_held(run_import):
    other = [
        [
            "6203011203800011",
            "Yohanes Dandan",
            "12/03/1980",
            "L",
            "6203010101200099",
            "Kepala Keluarga",
            "62.03.01.1006",
            "",
            "",
            "",
        ]
    ]
    run_import(csv_bytes(FAMILY))
    _, counts = run_import(csv_bytes(other))
    assert counts["CREATED"] == 1
    assert not DuplicateCandidate.objects.exists()


def test_same_nik_under_another_name_is_refused(run_import):
    run_import(csv_bytes(FAMILY))
    clash = [
        [
            "6203011203800003",
            "Maria Ulfa",
            "12/03/1980",
            "L",
            "6203010101200001",
            "Kepala Keluarga",
            "62.03.01.1006",
            "",
            "",
            "",
        ]
    ]
    batch, counts = run_import(csv_bytes(clash))
    assert counts["REJECTED"] == 1
    assert reasons(batch) == {2: "nik.conflict"}
    assert Person.objects.get(nik="6203011203800003").name == "Budi Santoso"


def test_a_new_kk_for_the_head_versions_the_same_household(run_import):
    run_import(csv_bytes(FAMILY))
    household = Household.objects.get()
    moved = [[r[0], r[1], r[2], r[3], "6203010202220007", *r[5:]] for r in FAMILY]
    _, counts = run_import(csv_bytes(moved))
    assert counts["UPDATED"] == 1
    assert counts["UNCHANGED"] == 2
    household.refresh_from_db()
    assert Household.objects.count() == 1
    assert household.kk_number == "6203010202220007"
    assert list(household.kk_history.order_by("valid_from", "id").values_list("kk_number", "valid_to")) == [
        ("6203010101200001", household.kk_history.get(kk_number="6203010101200001").valid_to),
        ("6203010202220007", None),
    ]
    assert household.kk_history.get(kk_number="6203010101200001").valid_to is not None


def test_a_changed_name_is_an_update_with_its_history(run_import):
    run_import(csv_bytes(FAMILY))
    fixed = [["6203011203800003", "Budi Santoso Putra", *FAMILY[0][2:]]]
    batch, counts = run_import(csv_bytes(fixed))
    assert counts["UPDATED"] == 1
    assert batch.rows.get().changes["name"] == ["Budi Santoso", "Budi Santoso Putra"]


def test_rows_outside_the_uploaders_area_are_rejected(run_import, palangkaraya_officer):
    batch, counts = run_import(csv_bytes(FAMILY), actor=palangkaraya_officer)
    assert counts["REJECTED"] == 3
    assert set(reasons(batch).values()) == {"village.out_of_scope"}
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "kosong.csv", "Berkas kosong"),
        (b"%PDF-1.4\x00\x00binary", "laporan.csv", "data biner"),
        (b"just some words\nwithout columns\n", "catatan.csv", "tidak memiliki pemisah kolom"),
        (b"PK\x03\x04not really a zip", "data.xlsx", "tidak dapat dibuka"),
        (b"alpha;beta;gamma\n1;2;3\n", "lain.csv", "Tidak ada kolom berkas yang dikenali"),
        (b"NIK;Nama Lengkap\n6203011203800003;Budi\n", "kurang.csv", "Kolom wajib tidak ada"),
    ],
)
def test_a_file_that_is_not_a_table_gets_one_clear_error(run_import, content, name, message):
    with pytest.raises(TableError, match=message):
        run_import(content, name=name)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    assert message.split()[0] in batch.error
    assert batch.file.read() == content  # the upload itself is kept


def test_rejected_rows_download_fix_and_reupload(run_import):
    rows = [
        *FAMILY,
        ["6203015203900015", "Rina Wati", "31/02/1990", "P", "6203010101200001", "Anak", "62.03.01.1006", "", "", ""],
    ]
    batch, counts = run_import(csv_bytes(rows))
    assert counts == {"CREATED": 3, "UPDATED": 0, "UNCHANGED": 0, "REJECTED": 1, "HELD": 0}

    sheet = load_workbook(io.BytesIO(rejected_rows_xlsx(batch, full=True))).active
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[0][: len(HEADERS)] == HEADERS
    assert table[1][0] == "6203015203900015"
    assert sheet["A2"].number_format == "@"
    assert table[1][len(HEADERS) + 1] == "birth_date.format"
    table[1][2] = "12/03/1990"  # the officer fixes the date in Excel
    from openpyxl import Workbook

    fixed = Workbook()
    for r in table:
        fixed.active.append(r)
    out = io.BytesIO()
    fixed.save(out)

    _, counts = run_import(out.getvalue(), name="perbaikan.xlsx")
    assert counts["CREATED"] == 1
    assert counts["REJECTED"] == 0
    assert Person.objects.count() == 4


def test_an_interrupted_run_resumes_after_the_last_written_line(run_import, now):
    from betang.registry.imports.run import import_run

    batch, _ = run_import(csv_bytes(FAMILY))
    batch.rows.filter(line__gt=2).delete()
    Person.objects.exclude(nik=FAMILY[0][0]).delete()
    batch.last_line = 2
    batch.save()
    counts = import_run(batch, occurred_at=now)
    assert counts["CREATED"] == 3  # line 2 kept its first outcome; lines 3-4 were written now
    assert batch.rows.count() == 3


@pytest.mark.parametrize("parallel", [False, True])
def test_the_second_process_reader_gives_the_same_outcomes(run_import, parallel):
    rows = [
        *FAMILY,
        *TYPO,
        ["6.20301E+15", "Anak Rusak", "2010-01-01", "L", "6203010101200001", "Anak", "62.03.01.1006", "", "", ""],
    ]
    batch, counts = run_import(csv_bytes(rows), parallel=parallel)
    assert counts == {"CREATED": 3, "UPDATED": 0, "UNCHANGED": 0, "REJECTED": 1, "HELD": 1}
    assert reasons(batch) == {5: "duplicate.probable", 6: "nik.scientific"}


@pytest.mark.parametrize("parallel", [False, True])
def test_a_broken_line_deep_in_the_file_fails_the_batch_and_keeps_what_came_before(new_batch, now, parallel):
    from betang.registry.imports.run import import_run

    filler = [
        [
            f"62030112038{i:05d}"[:16],
            f"Warga {i}",
            "12/03/1980",
            "L",
            f"62030101012{i:05d}"[:16],
            "Kepala Keluarga",
            "62.03.01.1006",
            "x" * 40,
            "",
            "",
        ]
        for i in range(1, 3000)
    ]
    content = csv_bytes(filler) + b"6203011203800001;" + b"x" * 200_000 + b";12/03/1980;L\n"  # over csv's field limit
    batch = new_batch(content)
    with pytest.raises(TableError, match="3001"):
        import_run(batch, occurred_at=now, parallel=parallel)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.rows.count() >= 2000  # the chunks before the broken line were written


def _same_person_again(row, phone):
    again = list(row)
    again[8] = phone
    return again


def test_a_nik_repeated_in_one_chunk_is_matched_against_its_first_row(run_import):
    head = FAMILY[0]
    again = _same_person_again(head, "081299990000")
    rows = [*FAMILY, again, again, _same_person_again(head, "081277770000")]
    batch, counts = run_import(csv_bytes(rows))
    assert outcomes(batch) == {2: "CREATED", 3: "CREATED", 4: "CREATED", 5: "UPDATED", 6: "UNCHANGED", 7: "UPDATED"}
    assert counts["CREATED"] == 3
    assert Person.objects.get(nik=head[0]).phone == "+6281277770000"  # the last line wins, in file order
    assert batch.last_line == 7


def test_a_crash_while_rows_wait_for_the_next_chunk_loses_none_and_writes_none_twice(new_batch, now, monkeypatch):
    from betang.registry.imports import run as importing

    head = FAMILY[0]
    # Chunks of 3: lines 2-4 and the repeat on line 5 waits; the crash comes with the second chunk.
    rows = [*FAMILY, _same_person_again(head, "081299990000"), TYPO[0], FAMILY[1]]
    batch = new_batch(csv_bytes(rows))
    monkeypatch.setattr(importing, "CHUNK", 3)
    real_flush, calls = importing._match_households, []

    def crash_on_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real_flush(*args, **kwargs)

    monkeypatch.setattr(importing, "_match_households", crash_on_second_chunk)
    with pytest.raises(RuntimeError):
        importing.import_run(batch, occurred_at=now, parallel=False)
    batch.refresh_from_db()
    assert sorted(batch.rows.values_list("line", flat=True)) == [2, 3, 4]
    assert batch.last_line == 4

    monkeypatch.setattr(importing, "_match_households", real_flush)
    counts = importing.import_run(batch, occurred_at=now, parallel=False)
    assert outcomes(batch) == {2: "CREATED", 3: "CREATED", 4: "CREATED", 5: "UPDATED", 6: "HELD", 7: "UNCHANGED"}
    assert sum(counts.values()) == 6


def test_a_rerun_skips_lines_written_after_a_waiting_row(run_import, now, monkeypatch):
    from betang.registry.imports import run as importing

    head = FAMILY[0]
    monkeypatch.setattr(importing, "CHUNK", 3)
    rows = [*FAMILY, _same_person_again(head, "081299990000"), TYPO[0], FAMILY[2]]
    batch, _ = run_import(csv_bytes(rows))
    # Rewind the marker as if the run had stopped with line 5 still waiting after line 6 was written.
    batch.rows.filter(line__in=[5, 7]).delete()
    ImportBatch.objects.filter(pk=batch.pk).update(last_line=4)
    batch.refresh_from_db()
    importing.import_run(batch, occurred_at=now, parallel=False)
    assert sorted(batch.rows.values_list("line", flat=True)) == [2, 3, 4, 5, 6, 7]
    assert DuplicateCandidate.objects.count() == 1  # line 6 was not matched a second time


def _registry_state():
    people = {
        p.nik: (p.household.kk_number, p.relation, p.phone, p.review)
        for p in Person.objects.select_related("household")
    }
    history = sorted(
        (h.household.kk_number, h.kk_number, h.valid_to is None)
        for h in HouseholdKk.objects.select_related("household")
    )
    return (
        people,
        history,
        Household.objects.count(),
        DtsenSnapshot.objects.count(),
        sorted(DuplicateCandidate.objects.values_list("existing__nik", "candidate__nik")),
    )


@pytest.mark.django_db(transaction=True)
def test_a_pipelined_import_sees_what_earlier_chunks_wrote_before_they_commit(
    committed_regions, new_batch, now, monkeypatch
):
    """Chunks of two rows, each leaning on the ones before: a duplicate, a KK change, members moving
    with it, an update, a repeat. PostgreSQL writes each chunk in a second connection while the next
    is matched: outcomes and registry must be exactly those of one chunk after the other."""
    from django.db import connection

    from betang.registry.imports import run as importing

    budi, siti, andi = FAMILY
    new_kk = "6203010101200002"
    rows = [
        budi,
        siti,
        andi,
        TYPO[0],  # probably budi, written one chunk ago
        [*budi[:4], new_kk, *budi[5:]],  # the family's new card
        [*siti[:4], new_kk, *siti[5:]],  # siti, found by the new number: already in that household
        _same_person_again(andi, "081311112222"),  # andi, still under the old card: a household of his own
        ["6203014107150001", "Rina", "01/07/2015", "P", new_kk, "Anak", "62.03.01.1006", "", "", "2"],
        [*siti[:4], new_kk, *siti[5:]],  # siti again, as she was two rows ago
        ["6203010505900001", "Dodi", "05/05/1990", "L", budi[4], "Kepala Keluarga", "62.03.01.1006", "", "", ""],
    ]
    monkeypatch.setattr(importing, "CHUNK", 2)
    threads = set()
    real_write = importing._write_households

    def recording(writes):
        threads.add(threading.get_ident())
        return real_write(writes)

    monkeypatch.setattr(importing, "_write_households", recording)

    def run(pipelined):
        batch = new_batch(csv_bytes(rows))
        importing.import_run(batch, occurred_at=now, parallel=False, pipelined=pipelined)
        return outcomes(batch), _registry_state()

    pipelined = run(None)
    if connection.vendor == "postgresql":
        assert threading.get_ident() not in threads  # written by the writer thread
    DuplicateCandidate.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    threads.clear()
    sequential = run(False)
    assert threads == {threading.get_ident()}
    assert pipelined == sequential
    lines, (people, history, households, snapshots, duplicates) = sequential
    assert lines == {
        2: "CREATED",
        3: "CREATED",
        4: "CREATED",
        5: "HELD",
        6: "UPDATED",
        7: "UNCHANGED",
        8: "UPDATED",
        9: "CREATED",
        10: "UNCHANGED",
        11: "CREATED",
    }
    assert people[budi[0]][0] == people[siti[0]][0] == people["6203014107150001"][0] == new_kk
    assert people[andi[0]][0] == people["6203010505900001"][0] == budi[4]  # the old number, a new household
    assert people[andi[0]][2] == "+6281311112222"
    assert history == [(budi[4], budi[4], True), (new_kk, budi[4], False), (new_kk, new_kk, True)]
    assert households == 2
    assert snapshots == 1  # one household with a decile, one date: the repeats add none
    assert duplicates == [(budi[0], TYPO[0][0])]


@pytest.mark.parametrize(
    "cells", [["6203011203800003", "Budi", "", ""], [""], [], ["a\x1fb", "c"], ["\x1e[1]", "x"], ["tab\there", "é"]]
)
def test_a_rows_cells_cross_to_the_writer_exactly(cells):
    from betang.registry.imports.households import _pack, _unpack

    assert _unpack(_pack(cells)) == cells


def test_an_import_leaves_the_garbage_collector_as_it_found_it(run_import):
    import gc

    before = gc.get_threshold()
    _, counts = run_import(csv_bytes(FAMILY))
    assert counts["CREATED"] == 3
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
