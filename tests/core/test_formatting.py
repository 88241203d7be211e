"""Indonesian dates and money in templates."""

from datetime import UTC, date, datetime

from django.template import Context, Template
from django.utils import translation


def render(source, **context):
    return Template("{% load betang %}" + source).render(Context(context))


def test_tanggal_is_the_indonesian_long_date():
    with translation.override("id"):
        assert render("{{ d|tanggal }}", d=date(2026, 11, 21)) == "21 November 2026"
        assert render("{{ d|tanggal }}", d=date(2026, 2, 20)) == "20 Februari 2026"
        assert render("{{ d|tanggal }}", d=date(2026, 8, 17)) == "17 Agustus 2026"


def test_tanggal_in_english():
    with translation.override("en"):
        assert render("{{ d|tanggal }}", d=date(2026, 2, 20)) == "20 February 2026"


def test_datetimes_show_in_local_time_wib():
    # 20:30 UTC on the 21st is 03:30 WIB on the 22nd.
    moment = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)
    with translation.override("id"):
        assert render("{{ m|tanggal }}", m=moment) == "22 November 2026"
        assert render("{{ m|waktu }}", m=moment) == "22 November 2026 03.30"


def test_rupiah_filter():
    assert render("{{ a|rupiah }}", a=1250000) == "Rp1.250.000"
    assert render("{{ a|rupiah }}", a=None) == ""
