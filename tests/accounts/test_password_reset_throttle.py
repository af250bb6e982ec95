"""Password-reset requests are limited per email address (silently: the page is the same as when
a link was sent) and per IP address (a 429 page that says when to retry)."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.PASSWORD_RESETS_PER_EMAIL = 5
    settings.PASSWORD_RESETS_PER_ADDRESS = 20


@pytest.fixture
def person():
    return UserFactory(email="ana@example.test")


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    def ask(email, address="203.0.113.7"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=address)

    return ask


def test_the_sixth_request_for_one_email_in_an_hour_sends_nothing_but_looks_the_same(ask, person):
    answers = [ask("ana@example.test", address=f"198.51.100.{n}") for n in range(6)]

    assert [a.status_code for a in answers] == [302] * 6
    assert {a.url for a in answers} == {reverse("accounts:password_reset_done")}
    assert len(mail.outbox) == 5


def test_the_email_limit_counts_the_address_in_any_case(ask, person):
    for email in [
        "ana@example.test",
        "ANA@example.test",
        "Ana@Example.Test",
        " ana@example.test",
        "aNa@example.test",
    ]:
        ask(email)
    ask("ana@EXAMPLE.test")

    assert len(mail.outbox) == 5


def test_the_email_limit_answers_alike_for_an_address_with_no_account(ask, person):
    unknown = [ask("nobody@example.test").url for _ in range(6)]
    known = [ask("ana@example.test").url for _ in range(6)]

    assert unknown == known


def test_the_email_limit_of_one_person_does_not_stop_another(ask, person):
    UserFactory(email="ben@example.test")
    for _ in range(6):
        ask("ana@example.test")

    ask("ben@example.test")

    assert mail.outbox[-1].to == ["ben@example.test"]


def test_the_email_limit_ends_after_an_hour(ask, person):
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(6):
            ask("ana@example.test")
        traveller.shift(datetime.timedelta(minutes=61))
        ask("ana@example.test")

    assert len(mail.outbox) == 6


def test_the_twenty_first_request_from_one_ip_address_gets_a_429_that_says_when(ask, person):
    with time_machine.travel(START, tick=False):
        for n in range(20):
            assert ask(f"someone{n}@example.test").status_code == 302
        response = ask("ana@example.test")

    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    body = response.content.decode()
    assert "Too many password-reset requests from your network; try again in 60 minutes." in body
    assert "10:00 (UTC)" in body
    assert mail.outbox == []


def test_malformed_requests_count_towards_the_address_limit_too(ask, client, person):
    for _ in range(20):
        client.post(
            reverse("accounts:password_reset"), {"email": "not an email" * 50}, REMOTE_ADDR="203.0.113.7"
        )

    assert ask("ana@example.test").status_code == 429


def test_another_ip_address_can_still_ask(ask, person):
    for n in range(21):
        ask(f"someone{n}@example.test")

    response = ask("ana@example.test", address="198.51.100.20")

    assert response.status_code == 302
    assert len(mail.outbox) == 1
