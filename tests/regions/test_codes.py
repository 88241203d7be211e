"""Region codes: levels, normalising typed codes, and scopes by whole segments."""

import pytest

from betang.regions import codes
from betang.regions.scope import RegionScope, region_scope


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("62", "province"),
        ("62.03", "regency"),
        ("62.03.01", "district"),
        ("62.03.01.2001", "village"),
        ("6", None),
        ("62.3", None),
        ("62.03.01.201", None),
        ("62-03", None),
    ],
)
def test_level_of(code, level):
    assert codes.level_of(code) == level


@pytest.mark.parametrize(
    ("typed", "dotted"),
    [
        ("6203", "62.03"),
        ("62.03", "62.03"),
        (" 62 03 01 2001 ", "62.03.01.2001"),
        ("6203012001", "62.03.01.2001"),
        ("62-71-01-1001", "62.71.01.1001"),
        ("620", None),
        ("abc", None),
        ("62030120011", None),
    ],
)
def test_normalise(typed, dotted):
    assert codes.normalise(typed) == dotted


def test_scope_matches_whole_segments_only():
    scope = RegionScope("62.10")
    assert scope.contains("62.10.01.2001")
    assert not scope.contains("62.11.01.2001")
    assert not RegionScope("62").contains("621")
    assert RegionScope("62").contains("62")


def test_scope_of_a_prefix_as_typed():
    assert region_scope("6203") == RegionScope("62.03")
    assert region_scope("").is_national
    assert region_scope("62.03").level == "regency"
    with pytest.raises(ValueError):
        region_scope("62.3")


def test_overlaps_reaches_ancestors_for_drilling_down():
    scope = RegionScope("62.03")
    assert scope.overlaps("62")  # the province page, showing only Kapuas
    assert scope.overlaps("62.03.01")
    assert not scope.overlaps("62.71")
    assert not scope.overlaps("63")
