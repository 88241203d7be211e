"""Drafting a cycle as a background task: progress, a stopped draft drafted again or discarded, one
draft at a time, and a checker sending a submitted cycle back."""

import pytest

from betang.aid.models import Cycle, Entitlement
from betang.aid.services import cycles
from betang.aid.services.cycles import CycleError, cycle_draft, cycle_draft_enqueue, cycle_return, cycle_submit
from betang.core.errors import PermissionDenied
from betang.core.masking import mask_nik
from betang.core.models import AuditEvent, TaskProgress
from tests.aid.conftest import VILLAGE_A, household
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def test_a_draft_runs_in_the_background_with_progress(client, world, monkeypatch, django_capture_on_commit_callbacks):
    newcomers = [household(VILLAGE_A, 1, n=n) for n in range(10, 15)]
    monkeypatch.setattr(cycles, "CHUNK", 3)
    program = f"/bantuan/program/{world.program.code}"
    client.force_login(world.maker)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(f"{program}/siklus/baru/")
    drafting = Cycle.objects.get(number=2)
    assert (drafting.status, drafting.households) == ("DRAFTING", 0)
    page = client.get(f"{program}/siklus/2/").content.decode()
    assert "Waiting for the worker" in page or "Menunggu" in page
    assert 'hx-trigger="every 2s"' in page  # followed while it runs
    assert 'data-testid="submit-cycle"' not in page  # nothing to submit before it is whole
    # A second click while it drafts is refused: one cycle at a time.
    assert "aid.cycle" not in client.post(f"{program}/siklus/baru/", follow=True).content.decode()
    assert Cycle.objects.filter(program=world.program).count() == 2
    polled = client.get(f"{program}/siklus/2/", {"seen": "DRAFTING"}, headers={"HX-Request": "true"})
    assert "HX-Refresh" not in polled  # still drafting: only the status part is swapped
    for callback in queued:
        callback()
    polled = client.get(f"{program}/siklus/2/", {"seen": "DRAFTING"}, headers={"HX-Request": "true"})
    assert polled["HX-Refresh"] == "true"  # drafted: the whole page reloads, with who joined and left
    drafted = Cycle.objects.get(number=2)
    assert (drafted.status, drafted.households, drafted.total) == ("DRAFT", 8, 8 * 200_000)
    assert Entitlement.objects.filter(cycle=drafted).count() == 16
    assert drafted.task_id == ""  # cleared once drafted; the rule it applied is kept
    assert "≤ 4" in drafted.eligibility_changes["rule"]
    finished = [p for p in TaskProgress.objects.all() if p.label == str(drafted)]
    assert [(p.done, p.total) for p in finished] == [(8, 8)]
    joined = client.get(f"{program}/siklus/2/").content.decode()
    for home in newcomers:  # who joined, by masked KK number linked to the household
        assert mask_nik(home.kk_number) in joined
        assert home.kk_number not in joined
    assert 'hx-trigger="every 2s"' not in joined


def test_a_draft_that_stopped_is_drafted_again_or_discarded(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    real, calls = cycles.bulk_insert, []

    def disk_full_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(cycles, "bulk_insert", disk_full_once)
    program = f"/bantuan/program/{world.program.code}"
    client.force_login(world.maker)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{program}/siklus/baru/")
    stopped = Cycle.objects.get(number=2)
    assert (stopped.status, stopped.task_id) == ("DRAFTING", "")
    assert stopped.task_error
    page = client.get(f"{program}/siklus/2/").content.decode()
    assert 'data-testid="draft-stopped"' in page
    assert 'data-testid="redraft-cycle"' in page
    assert "disk full" not in page  # the worker's details stay in the logs
    with pytest.raises(CycleError):
        cycle_submit(cycle=stopped, actor=world.maker, occurred_at=NOW)  # half a draft is never submitted
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{program}/siklus/2/redraft/")
    again = Cycle.objects.get(number=2)
    assert (again.status, again.households, again.task_error) == ("DRAFT", 3, "")
    assert Entitlement.objects.filter(cycle=again).count() == 6
    assert AuditEvent.objects.filter(event="aid.cycle.draft_stopped").count() == 1

    # A draft can be thrown away (the rule changed since): the number is drafted again.
    response = client.post(f"{program}/siklus/2/discard/")
    assert response["Location"].endswith(f"{program}/")
    assert not Cycle.objects.filter(number=2).exists()
    assert not Entitlement.objects.filter(cycle_id=again.pk).exists()
    assert AuditEvent.objects.get(event="aid.cycle.discarded").changes["number"] == 2
    assert cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker).number == 2


def test_a_running_draft_is_neither_restarted_nor_discarded(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # queued, never run by a worker here
        cycle = cycle_draft_enqueue(program=world.program, occurred_at=NOW, actor=world.maker)
    assert cycles.is_placeholder(cycle.task_id)
    with pytest.raises(CycleError):
        cycles.cycle_draft_restart(cycle=cycle, actor=world.maker, occurred_at=NOW)
    with pytest.raises(CycleError):
        cycles.cycle_discard(cycle=cycle, actor=world.maker, occurred_at=NOW)
    assert Cycle.objects.get(pk=cycle.pk).status == "DRAFTING"


def test_a_checker_sends_a_submitted_cycle_back(client, world, make_user):
    two = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    cycle_submit(cycle=two, actor=world.maker, occurred_at=NOW)
    with pytest.raises(PermissionDenied):
        cycle_return(cycle=two, actor=world.maker, occurred_at=NOW, note="x")  # not the maker
    program = f"/bantuan/program/{world.program.code}"
    client.force_login(world.checker)
    assert 'data-testid="return-cycle"' in client.get(f"{program}/siklus/2/").content.decode()
    client.post(f"{program}/siklus/2/return/", {"note": ""})
    assert Cycle.objects.get(pk=two.pk).status == "SUBMITTED"  # a reason is required
    client.post(f"{program}/siklus/2/return/", {"note": "angka desa Anjir salah"})
    back = Cycle.objects.get(pk=two.pk)
    assert (back.status, back.submitted_by_id) == ("DRAFT", None)
    assert AuditEvent.objects.get(event="aid.cycle.returned").changes == {"reason": "angka desa Anjir salah"}
    auditor = make_user(role="AUDITOR", scope="62", username="auditor")
    cycle_submit(cycle=back, actor=world.maker, occurred_at=NOW)
    client.force_login(auditor)
    assert client.post(f"{program}/siklus/2/return/", {"note": "x"}).status_code == 403


def test_a_close_that_stopped_can_be_started_again(client, world, monkeypatch, django_capture_on_commit_callbacks):
    from tests.aid.conftest import credited_expiring_program

    _program, one = credited_expiring_program(world)
    real = cycles.journal_post_many

    def connection_lost(**kwargs):
        raise OSError("server closed the connection")

    monkeypatch.setattr(cycles, "journal_post_many", connection_lost)
    client.force_login(world.maker)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/bantuan/program/khbs-expire/siklus/1/close/")
    stopped = Cycle.objects.get(pk=one.pk)
    assert (stopped.status, stopped.close_task_id) == ("CREDITED", "")
    assert stopped.task_error
    page = client.get("/bantuan/program/khbs-expire/siklus/1/").content.decode()
    assert 'data-testid="credit-stopped"' in page
    assert 'data-testid="close-cycle"' in page
    monkeypatch.setattr(cycles, "journal_post_many", real)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/bantuan/program/khbs-expire/siklus/1/close/")
    closed = Cycle.objects.get(pk=one.pk)
    assert (closed.status, closed.expired_total, closed.task_error) == ("CLOSED", one.total, "")
    assert AuditEvent.objects.filter(event="aid.cycle.close_stopped").count() == 1


def test_a_draft_run_over_by_another_run_is_not_made_a_draft(world):
    """Two runs of one draft (a restart while the first was only slow) must not leave a draft made of
    both: the run that finds rows it did not write (or misses its own) refuses to finish."""
    with cycles.transaction.atomic():
        cycle = cycles._draft_start(program=world.program, occurred_at=NOW, actor=world.maker)

    def other_run_deletes(done, total, message):
        if total:  # after a chunk is written, another run starts over and deletes it
            Entitlement.objects.filter(cycle=cycle).delete()

    with pytest.raises(CycleError):
        cycles.cycle_draft_fill(cycle=cycle, occurred_at=NOW, actor=world.maker, progress=other_run_deletes)
    assert Cycle.objects.get(pk=cycle.pk).status == "DRAFTING"
