"""Rupiah formatting and rounding."""

from decimal import Decimal

import pytest

from betang.core.money import format_rupiah, round_rupiah


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "Rp0"),
        (500, "Rp500"),
        (1000, "Rp1.000"),
        (1_250_000, "Rp1.250.000"),
        (200_000, "Rp200.000"),
        (3_000_000_000, "Rp3.000.000.000"),
        (-1_250_000, "-Rp1.250.000"),
    ],
)
def test_format_rupiah_uses_periods_and_no_space(amount, text):
    assert format_rupiah(amount) == text


@pytest.mark.parametrize("bad", [1.5, Decimal("1"), "1000", True])
def test_format_rupiah_refuses_anything_but_integers(bad):
    with pytest.raises(TypeError):
        format_rupiah(bad)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(Decimal("10.49"), 10), (Decimal("10.5"), 11), (Decimal("-10.5"), -11), (Decimal("1250000.4999"), 1250000)],
)
def test_round_rupiah_rounds_halves_away_from_zero(value, rounded):
    assert round_rupiah(value) == rounded


def test_round_rupiah_refuses_floats():
    with pytest.raises(TypeError):
        round_rupiah(10.5)
