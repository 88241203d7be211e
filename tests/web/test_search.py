"""Searches holding a NIK, KK or card number stay out of URLs: kept in the session under a token."""

import pytest

from betang.web.search import audit_filters, holds_identifier, mask_search


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("6203011203800003", True),
        ("6203 0112 0380 0003", True),
        ("6203-0112-0380-0003", True),
        ("6203011203", True),
        ("620301120", False),
        ("Budi Santoso", False),
        ("62.03.01.1006", False),
        ("6203.0151.0769.2318", True),  # a NIK typed with dots
        ("62.03.01.1006 6203011203800003", True),
        ("", False),
    ],
)
def test_a_number_of_ten_digits_or_more_is_an_identifier(text, held):
    assert holds_identifier(text) is held


def test_audit_filters_keep_four_digits_of_a_long_number_and_drop_empty_ones():
    assert mask_search("cari 6203011203800003") == "cari 6203••••••••••••"
    assert audit_filters({"q": "6203 0112 0380", "village": "62.03", "decile": ""}) == {
        "q": "6203••••••••",
        "village": "62.03",
    }
