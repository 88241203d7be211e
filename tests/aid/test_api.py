"""The aid API a POS uses with a machine token: pay, refusals with stable codes, idempotency, void."""

import json

import pytest

from betang.accounts.services import token_create
from betang.aid.services.cards import card_block
from betang.ledger.models import Entry, Posting
from betang.registry.models import Cooperative, Outlet
from betang.registry.services.staff import cooperative_staff_assign
from tests.aid.conftest import PIN, VILLAGE_A, VILLAGE_B
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def pos(client, make_user, world):
    """A cashier's POS token at the cooperative of village A; requests as (path, body, key)."""

    def for_user(role="CASHIER", scope=VILLAGE_A, username="kasir.sei.pasah", works_for="a"):
        user = make_user(role=role, scope=scope, username=username)
        if works_for:
            coop = world.coop_a if works_for == "a" else world.coop_b
            cooperative_staff_assign(user=user, cooperative=coop, actor=None, occurred_at=NOW)
        secret = token_create(user=user, name="pos-1", actor=user, occurred_at=NOW).secret

        def call(path, body, key=None):
            headers = {"Authorization": f"Bearer {secret}"}
            if key:
                headers["Idempotency-Key"] = key
            return client.post(f"/api/v1/aid{path}", json.dumps(body), content_type="application/json", headers=headers)

        return call

    return for_user


def body(world, basket=None, pin=PIN, coop=None):
    return {
        "card_number": world.card.number,
        "pin": pin,
        "cooperative_id": str((coop or world.coop_a).pk),
        "basket": basket or [{"category": "BERAS", "amount": 70_000, "description": "Beras 5 kg"}],
    }


def paid() -> int:
    return Entry.objects.filter(kind="aid.card.payment").count()


def no_secrets(response, world) -> None:
    text = response.content.decode()
    assert PIN not in text
    assert world.card.pin_hash.split("$")[-1] not in text
    assert world.card.pin_offline_hash.split("$")[-1] not in text


def test_a_pos_pays_an_eligible_basket(world, pos):
    call = pos()
    response = call("/payments", body(world), key="struk-0001")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["amount"] == 70_000
    assert data["pockets"] == {"FOOD": 70_000}
    assert {b["code"]: b["balance"] for b in data["balances"]} == {"FOOD": 80_000, "GENERAL": 50_000}
    no_secrets(response, world)
    balance = call("/cards/balance", {"card_number": world.card.number, "pin": PIN})
    assert {b["code"]: b["balance"] for b in balance.json()} == {"FOOD": 80_000, "GENERAL": 50_000}
    no_secrets(balance, world)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"pin": "000000"}, 401, "aid.wrong_pin"),
        ({"basket": [{"category": "BERAS", "amount": 500_000}]}, 422, "aid.insufficient_balance"),
        ({"basket": [{"category": "NON_PANGAN", "amount": 60_000}]}, 422, "aid.insufficient_balance"),
        ({"basket": [{"category": "ROKOK", "amount": 1_000}]}, 422, "aid.item_not_eligible"),
        ({"basket": [{"category": "PULSA", "amount": 1}]}, 422, "invalid_request"),
        ({"basket": [{"category": "BERAS", "amount": 1.5}]}, 422, "invalid_request"),
    ],
)
def test_refusals_have_a_stable_code_and_post_nothing(world, pos, change, status, code):
    response = pos()("/payments", body(world) | change, key="struk-x")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert set(response.json()) == {"code", "message", "details"}
    assert paid() == 0
    no_secrets(response, world)


def test_an_ineligible_item_and_a_blocked_card_are_refused(world, pos):
    from betang.aid.models import Pocket

    Pocket.objects.filter(code="GENERAL").update(categories=["NON_PANGAN"])
    response = pos()("/payments", body(world, [{"category": "ROKOK", "amount": 25_000}]), key="a")
    assert (response.status_code, response.json()["code"]) == (422, "aid.item_not_eligible")
    card_block(card=world.card, reason="dilaporkan hilang", actor=world.maker, occurred_at=NOW)
    response = pos()("/payments", body(world), key="b")
    assert (response.status_code, response.json()["code"]) == (422, "aid.card_blocked")
    assert response.json()["message"] == "Kartu ini diblokir."  # Indonesian by default
    assert paid() == 0


def test_five_retries_have_one_effect_and_a_changed_body_is_refused(world, pos):
    call = pos()
    answers = [call("/payments", body(world), key="struk-0002").json() for _ in range(5)]
    assert len({a["payment_id"] for a in answers}) == 1
    assert [a["replayed"] for a in answers] == [False, True, True, True, True]
    assert all({**a, "replayed": False} == answers[0] for a in answers)  # the same answer each time
    assert paid() == 1
    other = call("/payments", body(world, [{"category": "BERAS", "amount": 1_000}]), key="struk-0002")
    assert (other.status_code, other.json()["code"]) == (409, "aid.idempotency_conflict")
    assert paid() == 1


def test_a_payment_needs_an_idempotency_key(world, pos):
    response = pos()("/payments", body(world))
    assert (response.status_code, response.json()["code"]) == (400, "idempotency_key_required")


def test_a_cashier_cannot_pay_for_a_cooperative_outside_their_village(world, pos):
    response = pos()("/payments", body(world, coop=world.coop_b), key="c")
    assert response.status_code == 404
    assert response.json()["message"] == "Tidak ditemukan."  # Indonesian, like every refusal
    other_village = pos(scope=VILLAGE_B, username="kasir.anjir", works_for="b")
    assert other_village("/payments", body(world), key="d").status_code == 404
    assert paid() == 0


def test_cooperative_staff_act_only_for_their_own_cooperative(world, pos, now):
    # A second cooperative in the same village: inside the cashier's region scope, but not theirs.
    neighbour = Cooperative.objects.create(
        name="Koperasi Nelayan Sei Pasah",
        name_key="koperasi nelayan sei pasah",
        kind="OTHER",
        region_code=VILLAGE_A,
        created_at=now,
        updated_at=now,
    )
    assert pos()("/payments", body(world, coop=neighbour), key="f").status_code == 404
    unbound = pos(username="kasir.baru", works_for=None)
    assert unbound("/payments", body(world), key="g").status_code == 404
    assert paid() == 0
    # An outlet must be the cooperative's own.
    theirs = Outlet.objects.create(
        cooperative=neighbour, name="Gerai Ikan", region_code=VILLAGE_A, created_at=now, updated_at=now
    )
    own = Outlet.objects.create(
        cooperative=world.coop_a, name="Gerai Sembako", region_code=VILLAGE_A, created_at=now, updated_at=now
    )
    call = pos(username="kasir.dua")
    assert call("/payments", body(world) | {"outlet_id": str(theirs.pk)}, key="h").status_code == 404
    assert call("/payments", body(world) | {"outlet_id": str(own.pk)}, key="i").status_code == 200
    assert paid() == 1


def test_a_void_needs_a_supervisor_and_posts_a_reversal(world, pos):
    payment = pos()("/payments", body(world), key="struk-0003").json()
    refused = pos()(f"/payments/{payment['payment_id']}/void", {"reason": "salah ketik"})
    assert refused.status_code == 403
    elsewhere = pos(role="COOPERATIVE_OPERATOR", scope=VILLAGE_B, username="ketua.anjir", works_for="b")
    assert elsewhere(f"/payments/{payment['payment_id']}/void", {"reason": "x"}).status_code == 404
    supervisor = pos(role="COOPERATIVE_OPERATOR", username="ketua.sei.pasah")
    response = supervisor(f"/payments/{payment['payment_id']}/void", {"reason": "salah ketik"})
    assert response.status_code == 200
    assert response.json()["status"] == "VOIDED"
    again = supervisor(f"/payments/{payment['payment_id']}/void", {"reason": "salah ketik"})
    assert again.json()["reversal_entry_id"] == response.json()["reversal_entry_id"]
    assert Entry.objects.filter(reverses__isnull=False).count() == 1


@pytest.mark.parametrize("pin", ["12345", "1234567", "abcdef"])
def test_a_malformed_pin_is_not_echoed_back(world, pos, pin):
    response = pos()("/payments", body(world, pin=pin), key="e")
    assert response.status_code in (401, 422)
    assert pin not in response.content.decode()


def ledger_state() -> tuple[int, int]:
    return Entry.objects.count(), Posting.objects.count()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", True),
        ("amount", "70000"),
        ("amount", 70000.0),
        ("amount", 2**70),
        ("card_number", "as-number"),
        ("pin", "as-number"),
        ("description", 5),
    ],
)
def test_a_loose_type_is_a_422_and_moves_no_money(world, pos, field, value):
    before = ledger_state()
    sent = body(world)
    if value == "as-number":
        value = int(sent[field])
    if field in {"card_number", "pin"}:
        sent[field] = value
    else:
        sent["basket"][0][field] = value
    response = pos()("/payments", sent, key=f"loose-{field}-{value!r}")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert ledger_state() == before


def test_a_pin_or_card_number_with_non_ascii_digits_is_a_422(world, pos):
    before = ledger_state()
    response = pos()("/payments", body(world, pin="１２３４５６"), key="fullwidth")
    assert response.status_code == 422
    assert ledger_state() == before


def test_a_nul_in_the_card_number_is_a_400_and_moves_no_money(world, pos):
    before = ledger_state()
    sent = body(world)
    sent["card_number"] = sent["card_number"][:15] + "\u0000"
    response = pos()("/payments", sent, key="nul")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert ledger_state() == before
