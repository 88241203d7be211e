"""Every validation rule with good and bad examples; errors reject, warnings keep the row."""

from datetime import date

import pytest

from betang.registry.imports import validation as v

TODAY = date(2026, 11, 21)


@pytest.fixture
def regions(db):
    return v.RegionIndex.load()


def codes(checked):
    return [i.code for i in checked.issues]


def errors(checked):
    return [i.code for i in checked.issues if i.is_error]


# --- NIK --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "6203011203800003",
        "6203 0112 0380 0003",
        "6203.0112.0380.0003",
        "'6203011203800003",
        "6203011203800003.0",
        "6.203011203800003E+15",
        " 6203-0112-0380-0003 ",
    ],
)
def test_nik_repairs_spreadsheet_damage_when_no_digit_is_lost(regions, raw):
    checked = v.check_nik(raw, regions, today=TODAY)
    assert checked.value == "6203011203800003"
    assert errors(checked) == []


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("6.27101E+15", "nik.scientific"),
        ("6,27101E+15", "nik.scientific"),
        ("620301120380000", "nik.length"),
        ("62030112038000031", "nik.length"),
        ("6203O11203800003", "nik.format"),
        ("", "nik.missing"),
        (None, "nik.missing"),
        ("9903011203800003", "nik.province"),  # no province 99
        ("6270011203800003", "nik.regency"),  # regency 70 cannot exist
        ("6203013203800003", "nik.birth_date"),  # day 32
        ("6203017203800003", "nik.birth_date"),  # day 72 (women: 41-71)
        ("6203011213800003", "nik.birth_date"),  # month 13
        ("6203013102800003", "nik.birth_date"),  # 31 February
        ("6203011203800000", "nik.serial"),
    ],
)
def test_nik_errors(regions, raw, code):
    checked = v.check_nik(raw, regions, today=TODAY)
    assert checked.value is None
    assert code in errors(checked)


def test_nik_woman_day_plus_40_and_consistency(regions):
    ok = v.check_nik("6203015505820002", regions, today=TODAY, birth_date=date(1982, 5, 15), sex="F")
    assert ok.value == "6203015505820002"
    assert ok.issues == []
    facts = v.nik_facts("6203015505820002", today=TODAY)
    assert facts.birth_date == date(1982, 5, 15)
    assert facts.sex == "F"


def test_nik_disagreeing_with_given_birth_date_or_sex_is_only_a_warning(regions):
    checked = v.check_nik("6203011203800003", regions, today=TODAY, birth_date=date(1980, 3, 13), sex="F")
    assert checked.value == "6203011203800003"
    assert codes(checked) == ["nik.birth_date_mismatch", "nik.sex_mismatch"]
    assert errors(checked) == []


def test_nik_with_a_district_code_not_in_todays_list_is_a_warning(regions):
    checked = v.check_nik("6203991203800003", regions, today=TODAY)  # Kapuas has no district 99 today
    assert checked.value == "6203991203800003"
    assert codes(checked) == ["nik.district_unknown"]


def test_nik_with_a_plausible_but_unlisted_regency_is_a_warning(regions):
    checked = v.check_nik("6250011203800003", regions, today=TODAY)
    assert codes(checked) == ["nik.regency_unknown"]
    assert checked.value


def test_nik_year_is_placed_in_the_right_century(regions):
    assert v.nik_facts("6203011203100003", today=TODAY).birth_date == date(2010, 3, 12)
    assert v.nik_facts("6203011203300003", today=TODAY).birth_date == date(1930, 3, 12)


def test_nik_from_an_excel_number_cell_that_lost_its_digits_is_refused(regions):
    checked = v.check_nik(6.20301e15, regions, today=TODAY)
    assert checked.value is None
    assert errors(checked) == ["nik.scientific"]


def test_nik_from_a_number_cell_ending_in_zero_is_flagged(regions):
    checked = v.check_nik(6203011203800010, regions, today=TODAY)
    assert checked.value == "6203011203800010"
    assert codes(checked) == ["nik.numeric_cell"]
    assert v.check_nik(6203011203800003, regions, today=TODAY).issues == []


# --- KK, NIB ----------------------------------------------------------------------------------------


def test_kk_number(regions):
    assert v.check_kk("6203010101200001", regions).value == "6203010101200001"
    assert v.check_kk("6203 0101 0120 0001", regions).value == "6203010101200001"
    assert "kk.length" in errors(v.check_kk("62030101012000", regions))
    assert "kk.province" in errors(v.check_kk("0003010101200001", regions))
    assert "kk.regency" in errors(v.check_kk("6200010101200001", regions))
    assert "kk.scientific" in errors(v.check_kk("6.20301E+15", regions))


def test_nib():
    assert v.check_nib("9120001234567").value == "9120001234567"
    assert v.check_nib("9120-0012-34567").value == "9120001234567"
    assert "nib.length" in errors(v.check_nib("912000123456"))
    assert "nib.format" in errors(v.check_nib("91200012345AB"))


# --- phone, village, dates, sex, names, amounts ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("'+62 812 3456 7890", "+6281234567890"),  # as our exports write it, so `+` is no formula
        ("6281234567890", "+6281234567890"),
        ("81234567890", "+6281234567890"),
        (81234567890, "+6281234567890"),
        ("(0536) 322-1234", "+625363221234"),
        ("", None),
    ],
)
def test_phone_numbers_normalise_to_plus_62(raw, normalised):
    checked = v.check_phone(raw)
    assert checked.value == normalised
    assert checked.issues == []


@pytest.mark.parametrize(
    ("raw", "code"), [("+1 415 555 0100", "phone.country"), ("12345", "phone.format"), ("0812-ABCD", "phone.format")]
)
def test_bad_phone_numbers(raw, code):
    assert errors(v.check_phone(raw)) == [code]


def test_village_code_must_exist(regions):
    assert v.check_village("62.03.01.1006", regions).value == "62.03.01.1006"
    assert v.check_village("6203011006", regions).value == "62.03.01.1006"
    assert errors(v.check_village("62.03.01.9999", regions)) == ["village.unknown"]
    assert errors(v.check_village("62.03.01", regions)) == ["village.format"]
    assert errors(v.check_village("", regions)) == ["village.missing"]


@pytest.mark.parametrize(
    "raw",
    [
        "1980-01-31",
        "31/01/1980",
        "31-01-1980",
        "31.01.1980",
        "31 Januari 1980",
        "31 januari 1980",
        "31 Jan 1980",
        "31 January 1980",
        date(1980, 1, 31),
    ],
)
def test_dates_in_the_formats_people_type(raw):
    assert v.check_date(raw, field_name="birth_date", label="Tanggal lahir", today=TODAY).value == date(1980, 1, 31)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("31/02/1980", "birth_date.format"),
        ("kemarin", "birth_date.format"),
        ("1980/31/01", "birth_date.format"),
        ("01-01-2030", "birth_date.future"),
        ("01-01-1850", "birth_date.too_old"),
    ],
)
def test_bad_dates(raw, code):
    assert errors(v.check_date(raw, field_name="birth_date", label="Tanggal lahir", today=TODAY)) == [code]


def test_required_date():
    assert errors(v.check_date("", field_name="birth_date", label="x", today=TODAY, required=True)) == [
        "birth_date.missing"
    ]
    assert v.check_date("", field_name="founded_date", label="x", today=TODAY).issues == []


@pytest.mark.parametrize(
    ("raw", "sex"), [("L", "M"), ("Laki-laki", "M"), ("P", "F"), ("perempuan", "F"), ("Wanita", "F"), ("1", "M")]
)
def test_sex_words(raw, sex):
    assert v.check_sex(raw).value == sex


def test_sex_errors():
    assert errors(v.check_sex("X")) == ["sex.format"]
    assert errors(v.check_sex("")) == ["sex.missing"]


def test_names():
    assert v.check_name("  Siti   Aminah ").value == "Siti Aminah"
    assert errors(v.check_name("")) == ["name.missing"]
    assert codes(v.check_name("Budi 2")) == ["name.digits"]
    assert v.check_name("Budi 2").value == "Budi 2"  # a warning keeps the row


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("1.250.000", 1250000),
        ("Rp1.250.000", 1250000),
        ("Rp 1.250.000,00", 1250000),
        (1250000, 1250000),
        (1250000.0, 1250000),
        ("", None),
    ],
)
def test_amounts(raw, amount):
    assert v.check_amount(raw, field_name="capital", label="Modal").value == amount


def test_bad_amounts():
    assert errors(v.check_amount("satu juta", field_name="capital", label="Modal")) == ["capital.format"]
    assert errors(v.check_amount(-5, field_name="capital", label="Modal")) == ["capital.negative"]


def test_messages_are_indonesian_by_default(regions):
    checked = v.check_nik("6.27101E+15", regions, today=TODAY)
    assert checked.issues[0].message == (
        "NIK rusak oleh Excel (6.27101E+15): sebagian digit hilang. Format kolom sebagai Teks lalu ketik ulang."
    )


@pytest.mark.parametrize("raw", ["²", "1²", "9" * 30])
def test_an_amount_of_non_ascii_digits_or_beyond_64_bits_is_a_format_issue(raw):
    checked = v.check_amount(raw, field_name="capital", label="Modal")
    assert checked.value is None
    assert codes(checked) == ["capital.format"]
