"""Aid pages: maker-checker through the browser's forms, the credit run in the background, cards
issued with their PDF (card sheets and PIN mailers), card actions, scope and the closing sweep."""

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from betang.aid.models import Card, Cycle
from betang.aid.pins import pin_matches
from betang.aid.services.cycles import CycleError, cycle_approve, cycle_credit, cycle_draft, cycle_submit
from betang.core.models import AuditEvent
from betang.core.progress import progress_get
from betang.ledger.verify import ledger_verify
from tests.aid.conftest import PIN, VILLAGE_A, credited_expiring_program, household
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_maker_checker_through_the_pages(client, world, django_capture_on_commit_callbacks):
    program = f"/bantuan/program/{world.program.code}"
    client.force_login(world.maker)
    assert "Huma Betang Sejahtera" in client.get("/bantuan/").content.decode()
    overview = client.get(program + "/").content.decode()
    assert "≤ 4" in overview  # the eligibility rule in words …
    assert "{&#x27;max_decile" not in overview
    assert '{"max_decile' not in overview
    with django_capture_on_commit_callbacks(execute=True):  # the draft runs as a task
        response = client.post(f"{program}/siklus/baru/")
    assert response.status_code == 302
    assert response["Location"].endswith("/siklus/2/")
    assert Cycle.objects.get(number=2).status == "DRAFT"
    client.post(f"{program}/siklus/2/submit/")
    assert Cycle.objects.get(number=2).status == "SUBMITTED"
    page = client.get(f"{program}/siklus/2/").content.decode()
    assert 'data-testid="approve-cycle"' not in page  # the maker sees no approve button …
    client.post(f"{program}/siklus/2/approve/")  # … and a forged approval is refused
    assert Cycle.objects.get(number=2).status == "SUBMITTED"

    client.force_login(world.checker)
    assert 'data-testid="approve-cycle"' in client.get(f"{program}/siklus/2/").content.decode()
    client.post(f"{program}/siklus/2/approve/")
    assert Cycle.objects.get(number=2).status == "APPROVED"

    client.force_login(world.maker)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{program}/siklus/2/credit/")
    cycle = Cycle.objects.get(number=2)
    assert cycle.status == "CREDITED"
    assert cycle.task_id not in ("", "queued")
    again = client.post(f"{program}/siklus/2/credit/", follow=True).content.decode()
    assert "aid.cycle" not in again  # a clear message, not a code
    assert all(c.ok for c in ledger_verify())


def test_a_regency_officer_sees_the_program_but_cannot_run_its_cycles(client, world, make_user):
    regency = make_user(role="REGENCY_OFFICER", scope="62.03", username="kab.kapuas")
    client.force_login(regency)
    page = client.get(f"/bantuan/program/{world.program.code}/").content.decode()
    assert 'data-testid="draft-cycle"' not in page
    assert client.post(f"/bantuan/program/{world.program.code}/siklus/baru/").status_code == 403
    other_province = make_user(role="PROVINCIAL_OFFICER", scope="63", username="dinas.kalsel")
    client.force_login(other_province)
    assert client.get(f"/bantuan/program/{world.program.code}/").status_code == 404
    cashier = make_user(role="CASHIER", scope=VILLAGE_A, username="kasir")
    client.force_login(cashier)
    assert client.get("/bantuan/").status_code == 403


def test_issuing_cards_answers_with_card_sheets_and_pin_mailers(client, world):
    household(VILLAGE_A, 3, n=7)  # newly eligible: enrolled by the next cycle's review
    cycle = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    assert cycle.eligibility_changes["counts"]["joined"] == 1
    client.force_login(world.maker)
    response = client.post(f"/bantuan/program/{world.program.code}/kartu/terbitkan/", {"village": VILLAGE_A})
    text = pdf_text(response)
    card = Card.objects.get(household__kk_number="6203010101200007")
    assert " ".join(card.number[i : i + 4] for i in range(0, 16, 4)) in text  # the card sheet
    assert "Warga 7-0" in text  # the head's name, never a NIK
    assert "6203010101007" not in text
    pin = next(line for line in text.splitlines() if line.replace(" ", "").isdigit() and len(line.split()) == 6)
    assert pin_matches(pin.replace(" ", ""), card.pin_hash)  # the mailer's PIN is the card's PIN
    assert pin.replace(" ", "") not in card.pin_hash
    again = client.post(f"/bantuan/program/{world.program.code}/kartu/terbitkan/", {"village": VILLAGE_A})
    assert again.status_code == 302  # nobody left without a card
    assert Card.objects.filter(household__kk_number="6203010101200007").count() == 1


def test_card_actions_block_reset_and_replace(client, world):
    client.force_login(world.maker)
    url = f"/bantuan/kartu/{world.card.pk}"
    page = client.get(f"{url}/").content.decode()
    assert "Rp150.000" in page  # the food pocket credited by cycle 1
    sheet = pdf_text(client.get(f"{url}/cetak.pdf"))  # printed again: the card, no PIN
    assert " ".join(world.card.number[i : i + 4] for i in range(0, 16, 4)) in sheet
    assert " ".join(PIN) not in sheet
    mailer = pdf_text(client.post(f"{url}/reset-pin/"))
    world.card.refresh_from_db()
    assert not pin_matches(PIN, world.card.pin_hash)
    assert world.card.number[-4:] in mailer
    assert world.card.number not in mailer  # the mailer names only the last four digits
    replaced = pdf_text(client.post(f"{url}/replace/"))
    world.card.refresh_from_db()
    new = world.card.replaced_by
    assert world.card.status == "REPLACED"
    assert new.number[:4] in replaced
    client.post(f"/bantuan/kartu/{new.pk}/block/", {"reason": "hilang"})
    new.refresh_from_db()
    assert new.status == "BLOCKED"
    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {"aid.card.pin_set", "aid.card.replaced", "aid.card.blocked"} <= events
    assert PIN not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_closing_an_expiring_cycle_returns_unspent_funds_to_the_budget(
    client, world, make_user, django_capture_on_commit_callbacks
):
    from betang.aid.services.cards import cards_issue
    from betang.ledger.selectors import account_balance

    program, one = credited_expiring_program(world)
    cards_issue(households=world.poor, batch="x", occurred_at=NOW, actor=world.maker)
    budget_before = account_balance(program.budget_account_id)
    two = cycle_draft(program=program, occurred_at=NOW, actor=world.maker)
    cycle_submit(cycle=two, actor=world.maker, occurred_at=NOW)
    cycle_approve(cycle=two, actor=world.checker, occurred_at=NOW)
    with pytest.raises(CycleError):  # cycle 1 must be closed (swept) first
        cycle_credit(cycle=two, occurred_at=NOW, recorded_at=NOW)
    assert Cycle.objects.get(pk=two.pk).status == "APPROVED"
    client.force_login(world.maker)
    with django_capture_on_commit_callbacks(execute=True):  # the close runs as a task, with progress
        client.post("/bantuan/program/khbs-expire/siklus/1/close/")
    closed = Cycle.objects.get(pk=one.pk)
    assert closed.status == "CLOSED"
    assert closed.close_task_id not in ("", "queued")
    assert progress_get(closed.close_task_id).done == len(world.poor) * 2  # two pockets each
    assert closed.expired_total == one.total  # nothing was spent
    assert account_balance(program.budget_account_id) == budget_before + one.total
    cycle_credit(cycle=two, occurred_at=NOW, recorded_at=NOW)
    assert all(c.ok for c in ledger_verify())


def test_a_credit_that_stopped_says_why_and_can_be_continued(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    """A credit task refused half-way (the budget was drawn on after approval) frees the cycle: the
    page says why and offers to continue; the rerun skips who was credited and ends exact."""
    from betang.aid.services import cycles
    from betang.aid.services.programs import program_fund
    from betang.ledger.selectors import account_balance

    for n in range(10, 14):
        household(VILLAGE_A, 1, n=n)
    program = f"/bantuan/program/{world.program.code}"
    monkeypatch.setattr(cycles, "CHUNK", 3)  # the draft's credit batches: 3 households each
    two = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    cycle_submit(cycle=two, actor=world.maker, occurred_at=NOW)
    cycle_approve(cycle=two, actor=world.checker, occurred_at=NOW)
    real, calls = cycles.journal_post_query, []

    def budget_gone_on_the_second_batch(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise cycles.InsufficientFunds()
        return real(**kwargs)

    monkeypatch.setattr(cycles, "journal_post_query", budget_gone_on_the_second_batch)
    client.force_login(world.maker)
    with django_capture_on_commit_callbacks(execute=True):  # the task fails (logged, marked failed)
        client.post(f"{program}/siklus/2/credit/")
    stopped = Cycle.objects.get(pk=two.pk)
    assert (stopped.status, stopped.task_id) == ("CREDITING", "")
    page = client.get(f"{program}/siklus/2/").content.decode()
    assert 'data-testid="credit-stopped"' in page
    assert str(stopped.task_error) in page
    assert 'data-testid="credit-cycle"' in page  # continue
    monkeypatch.setattr(cycles, "journal_post_query", real)
    program_fund(program=world.program, amount=1_000, reference="SP2D-2", occurred_at=NOW, recorded_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{program}/siklus/2/credit/")
    done = Cycle.objects.get(pk=two.pk)
    assert (done.status, done.task_error) == ("CREDITED", "")
    assert account_balance(world.program.budget_account_id) == 10_001_000 - 600_000 - done.total
    assert AuditEvent.objects.filter(event="aid.cycle.credit_stopped").count() == 1
    assert all(c.ok for c in ledger_verify())


def test_a_silent_credit_task_may_be_started_again(world):
    from datetime import timedelta

    from betang.aid.services.cycles import _placeholder, task_restartable
    from betang.core.models import TaskProgress
    from betang.core.progress import progress_start

    two = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    cycle_submit(cycle=two, actor=world.maker, occurred_at=NOW)
    cycle_approve(cycle=two, actor=world.checker, occurred_at=NOW)
    two.refresh_from_db()
    assert task_restartable(two)
    two.task_id = _placeholder(timezone.now())
    assert not task_restartable(two)  # being handed to the queue
    two.task_id = _placeholder(timezone.now() - timedelta(minutes=11))
    assert task_restartable(two)  # never handed over: the process died after the click
    two.task_id = "task-1"
    assert not task_restartable(two)  # waiting for a worker
    progress_start(task_id="task-1", label="x")
    assert not task_restartable(two)  # running and reporting
    TaskProgress.objects.filter(task_id="task-1").update(updated_at=timezone.now() - timedelta(minutes=11))
    assert task_restartable(two)  # silent too long: its worker was killed


def test_an_officer_enrols_a_household_by_hand_and_the_next_cycle_keeps_it(client, world, make_user):
    from betang.aid.models import Enrolment

    well_off = household(VILLAGE_A, 9, n=30)  # the rule would never admit decile 9
    program = f"/bantuan/program/{world.program.code}"
    client.force_login(world.maker)
    assert 'data-testid="enrol-by-hand"' in client.get(program + "/").content.decode()
    kk = f"{well_off.kk_number[:4]} {well_off.kk_number[4:]}"  # typed with a space
    assert client.post(f"{program}/peserta/tambah/", {"kk": kk, "note": ""}).status_code == 302
    assert not Enrolment.objects.filter(household=well_off).exists()  # a reason is required
    client.post(f"{program}/peserta/tambah/", {"kk": kk, "note": "surat kepala desa 12/2026"})
    enrolment = Enrolment.objects.get(household=well_off)
    assert (enrolment.status, enrolment.cooperative_id) == ("ACTIVE", world.coop_a.pk)
    assert (enrolment.basis, enrolment.reason) == ("MANUAL", "surat kepala desa 12/2026")
    assert AuditEvent.objects.filter(event="aid.enrolment.added").count() == 1
    two = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    assert two.households == 4  # the three of the rule, and this one
    assert str(well_off.pk) not in str(two.eligibility_changes.get("left"))

    # A KK number that is nobody's in the area enrols no one; a regency officer does not run a
    # provincial program's enrolments, nor does an auditor.
    page = client.post(f"{program}/peserta/tambah/", {"kk": "6203010101299999", "note": "x"}, follow=True)
    assert "6203010101299999" in page.content.decode()
    assert Enrolment.objects.count() == 4
    for user in (
        make_user(role="REGENCY_OFFICER", scope="62.03", username="kapuas"),
        make_user(role="AUDITOR", scope="62", username="auditor"),
    ):
        client.force_login(user)
        assert client.post(f"{program}/peserta/tambah/", {"kk": kk, "note": "x"}).status_code == 403
