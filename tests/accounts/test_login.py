import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def person():
    return UserFactory(email="ana@example.test")


def _sign_in(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_the_sign_in_page_asks_for_an_email_address(client):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert "Email address" in response.content.decode()
    assert 'type="email"' in response.content.decode()


def test_it_signs_in_with_email_and_password_and_goes_home(client, person):
    response = _sign_in(client, "ana@example.test", PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(person.pk)


def test_it_accepts_the_email_address_in_any_case(client, person):
    response = _sign_in(client, "  Ana@Example.TEST ", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)


def test_it_refuses_a_wrong_password_and_keeps_the_email_typed(client, person):
    response = _sign_in(client, "ana@example.test", "wrong password")

    assert response.status_code == 200
    body = response.content.decode()
    assert "do not match an account" in body
    assert 'value="ana@example.test"' in body
    assert "_auth_user_id" not in client.session


def test_it_locks_out_after_five_failed_attempts_even_with_the_right_password(client, person):
    for _ in range(4):
        assert _sign_in(client, "ana@example.test", "wrong password").status_code == 200

    fifth = _sign_in(client, "ana@example.test", "wrong password")
    assert fifth.status_code == 429
    assert "Too many failed sign-in attempts; try again in 15 minutes" in fifth.content.decode()

    right = _sign_in(client, "ana@example.test", PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_counts_addresses_typed_in_different_case_together(client, person):
    for email in ["ana@example.test", "ANA@example.test", "Ana@Example.test", "ana@EXAMPLE.test"]:
        _sign_in(client, email, "wrong password")

    assert _sign_in(client, "aNa@example.test", "wrong password").status_code == 429


def test_the_lockout_of_one_address_does_not_block_another_person(client, person):
    other = UserFactory(email="ben@example.test")
    for _ in range(5):
        _sign_in(client, "ana@example.test", "wrong password")

    response = _sign_in(client, "ben@example.test", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)


def test_the_lockout_ends_after_fifteen_minutes(client, person):
    start = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(5):
            _sign_in(client, "ana@example.test", "wrong password")
        assert _sign_in(client, "ana@example.test", PASSWORD).status_code == 429

        traveller.shift(datetime.timedelta(minutes=16))
        response = _sign_in(client, "ana@example.test", PASSWORD)

    assert response.status_code == 302


def test_the_admin_sign_in_still_works_and_is_rate_limited_too(client):
    UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    url = reverse("admin:login")

    ok = client.post(url, {"username": "root@example.test", "password": PASSWORD, "next": "/admin/"})
    assert ok.status_code == 302
    client.logout()

    for _ in range(5):
        response = client.post(url, {"username": "root@example.test", "password": "nope"})
    assert response.status_code == 429


def test_the_test_client_login_helper_still_works(client, person):
    assert client.login(email="ana@example.test", password=PASSWORD)
    assert client.session["_auth_user_id"] == str(person.pk)


def test_sign_out_needs_a_post_and_ends_the_session(client, person):
    client.force_login(person)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_signed_in_person_opening_the_sign_in_page_is_sent_on(client, person):
    client.force_login(person)

    response = client.get(reverse("accounts:login"))

    assert response.status_code == 302
