"""An import file's limits: a zip bomb, too many rows or columns end as a failed batch with a stable code."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from betang.registry.imports import tabular
from betang.registry.imports.tabular import TableError
from betang.registry.models import ImportBatch, ImportRow
from tests.registry.conftest import FAMILY, HEADERS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)


def _cell(value: str) -> str:
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def bomb(rows: int, *, dimension: str = "", tail: str = "") -> bytes:
    """A workbook whose sheet holds the header and `rows` rows of one tiny cell: a few hundred KB packed."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?>')
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData><row>" + "".join(_cell(h) for h in HEADERS).encode() + b"</row>")
            piece = b"<row><c><v>1</v></c></row>" * 10_000
            for _ in range(rows // 10_000):
                sheet.write(piece)
            sheet.write(tail.encode() + b"</sheetData></worksheet>")
    return out.getvalue()


def _refused(run_import, content, name, code):
    started = time.monotonic()
    with pytest.raises(TableError) as raised:
        run_import(content, name=name)
    assert raised.value.code == code
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.error == raised.value.message
    assert batch.error_code == code
    assert batch.file.read() == content  # the upload is kept
    assert time.monotonic() - started < 60  # generous: the old code read every row, for minutes
    return batch, raised.value


def test_a_zip_bomb_is_refused_from_its_directory_before_a_row_is_read(run_import):
    content = bomb(2_000_000)  # 54 MB of sheet in a few hundred KB
    assert len(content) < 1_000_000
    _batch, error = _refused(run_import, content, "bom.xlsx", "import.compression_ratio")
    assert "bom zip" in error.message  # Indonesian: "… ditolak karena mungkin bom zip"
    assert not ImportRow.objects.exists()


def test_the_bomb_is_still_stopped_by_the_row_limit_when_the_ratio_is_allowed(run_import, settings):
    settings.IMPORT_MAX_RATIO = 1_000_000
    settings.IMPORT_MAX_ROWS = 1000
    batch, error = _refused(run_import, bomb(2_000_000), "bom.xlsx", "import.too_many_rows")
    assert "1.000 baris" in error.message
    assert batch.rows.count() <= 1000


def test_a_row_numbered_beyond_the_limit_is_refused(run_import, settings):
    settings.IMPORT_MAX_ROWS = 1000
    _refused(run_import, bomb(0, tail='<row r="5800000"><c><v>1</v></c></row>'), "besar.xlsx", "import.too_many_rows")
    assert not ImportRow.objects.exists()


def test_a_sheet_is_read_for_what_it_holds_not_for_the_size_it_declares(run_import):
    family = "".join("<row>" + "".join(_cell(c) for c in row) + "</row>" for row in FAMILY)
    content = bomb(0, dimension="A1:XFD5800000", tail=family)  # openpyxl made 5.8 million empty rows of it
    batch, counts = run_import(content, name="keluarga.xlsx")
    assert counts["CREATED"] == 3
    assert batch.status == ImportBatch.Status.DONE


def test_rows_beyond_the_limit_are_not_unpacked(tmp_path, settings, monkeypatch):
    settings.IMPORT_MAX_RATIO = 1_000_000
    settings.IMPORT_MAX_ROWS = 1000
    path = tmp_path / "bom.xlsx"
    path.write_bytes(bomb(2_000_000))  # no declared size: openpyxl parsed all 54 MB when opening it
    unpacked = []
    count = tabular._CappedZip.count
    monkeypatch.setattr(tabular._CappedZip, "count", lambda self, size: (count(self, size), unpacked.append(size)))
    with pytest.raises(tabular.TooManyRows):
        for _ in tabular.read_rows(path, "bom.xlsx"):
            pass
    assert sum(unpacked) < 1_000_000


def test_a_workbook_unpacking_beyond_the_limit_is_refused(run_import, settings):
    settings.IMPORT_MAX_UNPACKED_MB = 1
    rows = [[f"62030112038{i:05d}", f"Warga {i}", "12/03/1980", "L"] for i in range(20_000)]
    _batch, error = _refused(run_import, xlsx_bytes(rows), "besar.xlsx", "import.too_large_unpacked")
    assert "1 MB" in error.message
    assert not ImportRow.objects.exists()


def test_what_is_unpacked_is_counted_as_it_is_read_not_only_from_the_directory(tmp_path):
    path = tmp_path / "dua.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", b"x" * 700_000)
    limits = tabular.Limits(max_rows=10, max_columns=10, max_unpacked_bytes=1_000_000, max_ratio=10**6)
    archive = tabular._CappedZip(path, limits)  # the directory says 700,000 bytes: allowed
    assert len(archive.read("a.xml")) == 700_000
    with pytest.raises(tabular.TooLargeUnpacked), archive.open("a.xml") as again:  # read twice: 1.4 MB
        again.read()


def test_a_workbook_whose_directory_lies_about_its_size_fails_cleanly(run_import, settings):
    honest = bomb(200_000)
    archive = zipfile.ZipFile(io.BytesIO(honest))
    sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    # The central directory's entry (found by the member's name) claims 1,000 bytes unpacked.
    lying = bytearray(honest)
    at = lying.rindex(b"xl/worksheets/sheet1.xml") - 46  # the central directory record's start
    assert lying[at : at + 4] == b"PK\x01\x02"
    lying[at + 24 : at + 28] = (1000).to_bytes(4, "little")
    assert zipfile.ZipFile(io.BytesIO(bytes(lying))).getinfo(sheet.filename).file_size == 1000
    _refused(run_import, bytes(lying), "bohong.xlsx", "import.not_a_table")


def test_a_csv_longer_than_the_limit_is_refused_before_a_row_is_imported(run_import, settings):
    settings.IMPORT_MAX_ROWS = 2
    _batch, _error = _refused(run_import, csv_bytes(FAMILY), "keluarga.csv", "import.too_many_rows")
    assert not ImportRow.objects.exists()


@pytest.mark.parametrize("parallel", [False, True])
def test_a_row_wider_than_the_limit_is_refused_and_empty_cells_beyond_it_are_not(run_import, settings, parallel):
    settings.IMPORT_MAX_COLUMNS = 12
    trailing = [[*row, "", "", "", "", ""] for row in FAMILY]  # 15 cells, the last 5 empty
    _batch, counts = run_import(csv_bytes(trailing), parallel=parallel)
    assert counts["CREATED"] == 3
    wide = [*FAMILY, [*FAMILY[0], "", "", "x"]]
    with pytest.raises(tabular.TooManyColumns) as raised:
        run_import(csv_bytes(wide), name="lebar.csv", parallel=parallel)
    assert raised.value.code == "import.too_many_columns"
    assert "Baris 5" in raised.value.message
    assert ImportBatch.objects.get(original_name="lebar.csv").status == ImportBatch.Status.FAILED


def test_a_workbook_padded_to_the_last_excel_column_reads_as_narrow_rows(run_import, settings):
    settings.IMPORT_MAX_COLUMNS = 20
    content = xlsx_bytes(FAMILY)
    # The sheet declares it spans A:XFD (16,384 columns): openpyxl padded every row to 16,384 cells.
    with zipfile.ZipFile(io.BytesIO(content)) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    name = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    parts[name] = parts[name].replace(b'<dimension ref="A1:J4" />', b'<dimension ref="A1:XFD4" />')
    assert b"XFD4" in parts[name]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for part, data in parts.items():
            dst.writestr(part, data)
    rows = list(tabular.read_rows(_saved(out.getvalue()), "lebar.xlsx"))
    assert [len(cells) for _, cells in rows] == [10, 10, 10, 7]  # as wide as their last filled cell
    _, counts = run_import(out.getvalue(), name="lebar.xlsx")
    assert counts["CREATED"] == 3


def _saved(content: bytes, _counter=[0]):  # noqa: B006 - a unique file name per call
    import tempfile
    from pathlib import Path

    _counter[0] += 1
    path = Path(tempfile.mkdtemp()) / f"t{_counter[0]}.xlsx"
    path.write_bytes(content)
    return path


def test_the_import_page_shows_why_a_zip_bomb_was_refused(
    client, kapuas_officer, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(kapuas_officer)
    content = bomb(2_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("registry:imports"), {"kind": "households", "file": ContentFile(content, name="bom.xlsx")}
        )
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.file.read() == content
    page = client.get(response.url).content.decode()
    assert 'data-status="FAILED"' in page
    assert "berkas ditolak karena mungkin bom zip" in page
    assert '<code class="small">import.compression_ratio</code>' in page


def test_a_zip_of_too_many_parts_is_refused_before_its_directory_is_read(run_import, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_PARTS", 5)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(FAMILY))) as src, zipfile.ZipFile(out, "w") as dst:
        for part in src.infolist():
            dst.writestr(part, src.read(part))
        for i in range(6):
            dst.writestr(f"xl/media/kosong{i}.bin", b"")
    read = []
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: read.append(self))
    _batch, error = _refused(run_import, out.getvalue(), "banyak.xlsx", "import.too_large_unpacked")
    assert "lebih dari 5 bagian" in error.message
    assert read == []


def test_a_sheet_has_at_most_excels_rows_whatever_the_limit(run_import, settings):
    settings.IMPORT_MAX_ROWS = 3_000_000
    _refused(run_import, bomb(0, tail='<row r="1048577"><c><v>1</v></c></row>'), "besar.xlsx", "import.too_many_rows")


def test_shared_strings_read_as_openpyxl_reads_them(tmp_path):
    from openpyxl import load_workbook

    strings = [
        "<si><t>NIK</t></si>",
        '<si><t xml:space="preserve"> Budi  Santoso </t></si>',
        "<si><r><rPr><b/></rPr><t>Siti </t></r><r><t>Aminah</t></r></si>",  # rich text runs
        '<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh><phoneticPr fontId="1"/></si>',  # phonetic
        "<si><t/></si>",
        "<si><t>a_x005F_x000D_b</t></si>",
    ]
    content_types = _CONTENT_TYPES.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    workbook_rels = _WORKBOOK_RELS.replace(
        "</Relationships>",
        '<Relationship Id="rId2" Target="sharedStrings.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    cells = "".join(f'<c r="{"ABCDEF"[i]}1" t="s"><v>{i}</v></c>' for i in range(len(strings)))
    path = tmp_path / "bersama.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + "".join(strings) + "</sst>",
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData><row>{cells}</row></sheetData></worksheet>",
        )
    expected = list(next(load_workbook(path, read_only=True, data_only=True).worksheets[0].iter_rows(values_only=True)))
    assert [cells for _, cells in tabular.read_rows(path, "bersama.xlsx")] == [expected]
    assert expected[1:3] == [" Budi  Santoso ", "Siti Aminah"]
