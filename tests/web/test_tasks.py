"""Background tasks on the real database queue: enqueue, run with `betang worker --batch`, show progress."""

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from betang.core.models import TaskProgress

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def db_tasks():
    with override_settings(TASKS=DB_TASKS):  # django-tasks rebuilds its backends on setting_changed
        yield


@pytest.mark.django_db(transaction=True)
def test_region_reload_runs_in_the_worker_and_shows_progress(client, committed_regions, db_tasks, national_admin):
    client.force_login(national_admin)
    response = client.post(reverse("regions:load"))
    assert response.status_code == 302
    task_id = response.url.rstrip("/").split("/")[-1]

    waiting = client.get(response.url).content.decode()
    assert 'data-status="READY"' in waiting
    assert "Menunggu giliran" in waiting

    call_command("worker", batch=True, verbosity=0)

    done = client.get(response.url, {"partial": "1"}).content.decode()
    assert 'data-status="SUCCESSFUL"' in done
    assert "hx-trigger" not in done
    progress = TaskProgress.objects.get(task_id=task_id)
    assert progress.total == progress.done == 38 + 514 + 7285 + 83762


def test_progress_of_someone_elses_task_is_not_shown(client, make_user, national_admin):
    TaskProgress.objects.create(task_id="abc", label="x", created_by=national_admin)
    other = make_user(role="ADMINISTRATOR", username="admin2")
    client.force_login(other)
    assert client.get(reverse("web_task_progress", args=["abc"])).status_code == 404
