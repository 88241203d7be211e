"""Identifiers in change histories and audit text: masked for everyone; the full number only through
its audited view."""

import re

import pytest
from django.urls import reverse

from betang.core.masking import mask_changes, mask_text
from betang.core.models import AuditEvent
from betang.registry.models import Household
from tests.registry.conftest import FAMILY, csv_bytes

pytestmark = pytest.mark.django_db

NEW_KK = "6203010101250009"
SIXTEEN = re.compile(r"(?<!\d)\d{16}(?!\d)")


def test_mask_text_masks_every_sixteen_digit_number_and_nothing_else():
    assert mask_text("KK 6203010101200001 → 6203010101250009") == "KK 6203••••••••0001 → 6203••••••••0009"
    assert mask_text("Rp1.250.000, 12345678901234567 (17), 123456789012345 (15)") == (
        "Rp1.250.000, 12345678901234567 (17), 123456789012345 (15)"
    )
    assert mask_changes({"kk": ["6203010101200001", None], "n": [1, 2], "x": {"y": "6203010101200001"}}) == {
        "kk": ["6203••••••••0001", None],
        "n": [1, 2],
        "x": {"y": "6203••••••••0001"},
    }


def test_a_kk_change_shows_masked_in_the_history_of_a_role_without_full_nik(
    client, run_import, kapuas_officer, make_user
):
    run_import(csv_bytes(FAMILY), actor=kapuas_officer)
    client.force_login(kapuas_officer)
    head = dict(
        zip(
            ["nik", "name", "birth_date", "sex", "kk", "relation", "region_code"],
            FAMILY[0][:7],
            strict=True,
        )
    )
    saved = client.post(
        "/api/v1/registry/persons",
        head | {"kk": NEW_KK, "birth_date": "12-03-1980", "sex": "L"},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["outcome"] == "UPDATED"
    household = Household.objects.get(kk_number=NEW_KK)

    operator = make_user(role="COOPERATIVE_OPERATOR", scope="62.03")
    client.force_login(operator)
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert "6203••••••••0009" in page  # the change is there, masked
    assert SIXTEEN.findall(page) == []

    for event in AuditEvent.objects.all():
        assert SIXTEEN.findall(str(event.changes)) == [], event.event
