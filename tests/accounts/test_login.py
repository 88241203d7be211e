"""Signing in and out, throttling of failed attempts, changing the password."""

from django.urls import reverse

from betang.core.models import AuditEvent
from tests.factories.accounts import PASSWORD


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_lands_on_home_with_role_and_area(client, kapuas_officer):
    response = login(client, "kab.kapuas", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
    page = client.get(response.url).content.decode()
    assert "Petugas kabupaten/kota" in page
    assert "62.03 Kabupaten Kapuas" in page


def test_wrong_password_gives_a_clear_message(client, kapuas_officer):
    response = login(client, "kab.kapuas", "salah-sekali")
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah" in response.content.decode()


def test_five_failures_lock_the_login_even_for_the_right_password(client, kapuas_officer):
    for _ in range(5):
        login(client, "kab.kapuas", "salah-sekali")
    response = login(client, "kab.kapuas", PASSWORD)
    assert response.status_code == 429
    assert "Terlalu banyak percobaan masuk" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_user_name(client, kapuas_officer, palangkaraya_officer):
    for _ in range(5):
        login(client, "kab.kapuas", "salah-sekali")
    assert login(client, "kota.palangkaraya", PASSWORD).status_code == 302


def test_logout_needs_post_and_ends_the_session(client, kapuas_officer):
    client.force_login(kapuas_officer)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:home")).status_code == 302


def test_password_change_is_audited_without_the_password(client, kapuas_officer):
    client.force_login(kapuas_officer)
    new = "Sandi-Baru-Kapuas-77"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    kapuas_officer.refresh_from_db()
    assert kapuas_officer.check_password(new)
    event = AuditEvent.objects.get(event="accounts.password.changed")
    assert event.actor == kapuas_officer
    assert event.region_code == "62.03"
    assert new not in str(event.changes)
    assert PASSWORD not in str(event.changes)


def test_csrf_is_enforced_on_login(kapuas_officer):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("accounts:login"), {"username": "kab.kapuas", "password": PASSWORD})
    assert response.status_code == 403
