"""Failed sign-ins are limited per IP address whatever the email addresses (password spraying),
on top of axes' limit per email address and IP address."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
START = datetime.datetime(2026, 11, 27, 9, 0, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _a_small_limit(settings):
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 30


def _sign_in(client, email, password, address="203.0.113.7", path=None):
    return client.post(
        path or reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


def _spray(client, count, address="203.0.113.7"):
    """One wrong password for each of `count` different email addresses, as a spraying attacker."""
    for n in range(count):
        response = _sign_in(client, f"target{n}@example.test", "Winter2026!", address)
        assert response.status_code == 200, f"attempt {n + 1} was already refused"


def test_thirty_failures_for_thirty_addresses_pause_the_ip_address_even_for_a_right_password(client):
    fresh = UserFactory(email="fresh@example.test")
    with time_machine.travel(START, tick=False):
        _spray(client, 30)

        response = _sign_in(client, fresh.email, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    body = response.content.decode()
    assert "Too many failed sign-in attempts from your network; try again in 15 minutes." in body
    assert "30 failed sign-ins from one network within 15 minutes" in body
    assert response["Retry-After"] == "900"
    assert "try again after <time" in body and "09:15 (UTC)" in body


def test_another_ip_address_is_not_paused(client):
    person = UserFactory(email="ana@example.test")
    _spray(client, 30)
    assert _sign_in(client, "target31@example.test", "Winter2026!").status_code == 429

    response = _sign_in(client, person.email, PASSWORD, address="198.51.100.20")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)


def test_ipv6_addresses_of_one_network_count_together(client):
    for n in range(30):
        _sign_in(client, f"target{n}@example.test", "Winter2026!", address=f"2001:db8:1:2::{n + 1:x}")

    response = _sign_in(client, "someone@example.test", "Winter2026!", address="2001:db8:1:2:ffff::9")

    assert response.status_code == 429


def test_a_successful_sign_in_does_not_reset_the_count_for_the_address(client):
    # Otherwise an attacker would sign in to an account of their own every 29 guesses.
    own = UserFactory(email="attacker@example.test")
    _spray(client, 29)
    assert _sign_in(client, own.email, PASSWORD).status_code == 302
    client.logout()
    _spray(client, 1)

    assert _sign_in(client, own.email, PASSWORD).status_code == 429


def test_the_pause_ends_with_its_fifteen_minute_window(client):
    person = UserFactory(email="ana@example.test")
    with time_machine.travel(START, tick=False) as traveller:
        _spray(client, 30)
        assert _sign_in(client, person.email, PASSWORD).status_code == 429

        traveller.shift(datetime.timedelta(seconds=899))
        assert _sign_in(client, person.email, PASSWORD).status_code == 429
        traveller.shift(datetime.timedelta(seconds=2))
        response = _sign_in(client, person.email, PASSWORD)

    assert response.status_code == 302


def test_the_admin_sign_in_counts_and_is_paused_too(client):
    UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    admin_login = reverse("admin:login")
    for n in range(30):
        _sign_in(client, f"target{n}@example.test", "nope", path=admin_login)

    response = _sign_in(client, "root@example.test", PASSWORD, path=admin_login)

    assert response.status_code == 429
    assert "Retry-After" in response


def test_below_the_limit_nothing_is_paused(client):
    person = UserFactory(email="ana@example.test")
    _spray(client, 29)

    assert _sign_in(client, person.email, PASSWORD).status_code == 302


def test_the_per_account_lockout_page_says_when_to_retry(client):
    UserFactory(email="ana@example.test")
    for _ in range(5):
        response = _sign_in(client, "ana@example.test", "wrong")

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    body = response.content.decode()
    assert "try again in 15 minutes" in body
    assert "After 5 failed attempts for ana@example.test from this network" in body
    assert reverse("accounts:password_reset") in body
