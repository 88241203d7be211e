"""An application stays inside the fund's area and the applicant's: a Kalimantan Tengah fund lends to
no cooperative of Kalimantan Selatan, and a Kapuas fund officer applies for none of Palangkaraya."""

from __future__ import annotations

import pytest

from betang.fund.services.applications import application_submit
from betang.fund.services.funds import FundError
from tests.aid.conftest import cooperative
from tests.conftest import NOW
from tests.scope.conftest import changed, snapshot

pytestmark = pytest.mark.django_db


def test_a_fund_lends_to_no_cooperative_outside_its_area(client, world):
    banjar = cooperative("63.03.01.2001", "KDMP Banjar")
    client.force_login(world.users["admin"])
    before = snapshot()
    response = client.post(
        "/dana-bergulir/bergulir/pengajuan/baru/",
        {"action": "submit", "cooperative": str(banjar.pk), "amount": "250000000", "purpose": "Modal"},
    )
    assert response.status_code == 400
    assert changed(before, snapshot()) == []


def test_the_service_refuses_a_cooperative_outside_the_applicants_area(world):
    before = snapshot()
    with pytest.raises(FundError):
        application_submit(
            product=world.fund.products.get(), cooperative=world.palangkaraya.cooperative, amount=250_000_000,
            purpose="Modal", actor=world.users["kapuas_fund_officer"], occurred_at=NOW,
        )  # fmt: skip
    assert changed(before, snapshot()) == []
