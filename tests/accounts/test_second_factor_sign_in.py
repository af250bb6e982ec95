"""Signing in with a second factor: the password, then a code from the app or a recovery code."""

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.second_factor import totp_code_now
from tests.accounts.signing_in import VERIFY_URL, code_step, is_verified, password_step
from tests.builders import authenticator_for

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

NOW = datetime.datetime(2026, 11, 27, 9, 0, 5, tzinfo=datetime.UTC)
QUEUE = reverse("commitments:review_queue")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def app(reviewer, clock):
    """The reviewer's authenticator app and recovery codes."""
    device, codes = authenticator_for(reviewer)
    return device, codes


def test_the_password_leads_to_the_code_step_and_nothing_opens_before_it(client, reviewer, app):
    response = password_step(client, reviewer, next_url=QUEUE)

    assert response.status_code == 302
    assert response.url == f"{VERIFY_URL}?next=%2Freview%2F"
    assert client.get(QUEUE).url == f"{VERIFY_URL}?next=%2Freview%2F"
    page = client.get(response.url)
    assert page.status_code == 200
    assert "Enter your code" in page.content.decode()


def test_the_right_code_opens_the_account_and_goes_on_to_where_the_person_was_going(client, reviewer, app):
    device, _ = app
    password_step(client, reviewer, next_url=QUEUE)

    response = code_step(client, totp_code_now(device), next_url=QUEUE)

    assert response.status_code == 302
    assert response.url == QUEUE
    assert is_verified(client)
    assert client.get(QUEUE).status_code == 200


def test_a_wrong_code_is_refused_with_a_message_and_opens_nothing(client, reviewer, app):
    device, _ = app
    wrong = f"{(int(totp_code_now(device)) + 1) % 1_000_000:06d}"
    password_step(client, reviewer)

    response = code_step(client, wrong)

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert not is_verified(client)
    assert client.get(QUEUE).status_code == 302


def test_a_code_works_only_once(client, reviewer, app):
    device, _ = app
    code = totp_code_now(device)
    password_step(client, reviewer)
    assert code_step(client, code).status_code == 302

    thief = Client()
    password_step(thief, reviewer)
    replayed = code_step(thief, code)

    assert replayed.status_code == 400
    assert not is_verified(thief)


def test_the_code_of_another_person_is_refused(client, reviewer, auditor, app, clock):
    auditors_device, _ = authenticator_for(auditor)
    clock.shift(datetime.timedelta(seconds=30))
    password_step(client, reviewer)

    response = code_step(client, totp_code_now(auditors_device))

    assert response.status_code == 400
    assert not is_verified(client)


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(client, reviewer, app):
    _, codes = app
    password_step(client, reviewer)

    response = code_step(client, codes[0].upper()[:4] + "-" + codes[0][4:])

    assert response.status_code == 302
    assert is_verified(client)
    message = [str(m) for m in get_messages(response.wsgi_request)][-1]
    assert "You signed in with a recovery code; it cannot be used again, and 9 are left." in message

    again = Client()
    password_step(again, reviewer)
    reused = code_step(again, codes[0])
    assert reused.status_code == 400
    assert "That recovery code is not right, or it has already been used." in reused.content.decode()
    assert not is_verified(again)


def test_wrong_codes_make_the_next_attempt_wait_longer_each_time(client, reviewer, app, clock):
    device, _ = app
    password_step(client, reviewer)
    assert code_step(client, "000000").status_code in (400, 302)  # (a 1-in-a-million hit is fine)
    if is_verified(client):
        pytest.skip("000000 happened to be the code")

    right_now = code_step(client, totp_code_now(device))

    assert right_now.status_code == 429
    assert right_now["Retry-After"] == "1"
    assert "Too many wrong codes: try again in 1 second." in right_now.content.decode()
    for failures in range(2, 6):
        clock.shift(datetime.timedelta(seconds=2 ** (failures - 2)))
        assert code_step(client, "000001").status_code == 400
        assert code_step(client, "000001")["Retry-After"] == str(2 ** (failures - 1))
    clock.shift(datetime.timedelta(seconds=16))
    assert code_step(client, totp_code_now(device)).status_code == 302


def test_a_person_without_an_app_in_an_optional_role_signs_in_with_the_password_alone(client, officer):
    response = password_step(client, officer)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("commitments:dashboard")).status_code == 200


def test_a_person_who_set_up_an_app_voluntarily_is_asked_for_its_code(client, officer, clock):
    device, _ = authenticator_for(officer)
    clock.shift(datetime.timedelta(seconds=30))

    assert password_step(client, officer).url.startswith(VERIFY_URL)
    assert client.get(reverse("commitments:dashboard")).status_code == 302
    assert code_step(client, totp_code_now(device)).status_code == 302
    assert client.get(reverse("commitments:dashboard")).status_code == 200


def test_the_next_address_must_stay_on_the_site(client, reviewer, app):
    device, _ = app
    password_step(client, reviewer)

    response = code_step(client, totp_code_now(device), next_url="https://evil.example/phish")

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_the_code_step_of_a_verified_session_just_moves_on(client, reviewer, app):
    device, _ = app
    password_step(client, reviewer)
    code_step(client, totp_code_now(device))

    response = client.get(f"{VERIFY_URL}?next=/review/")

    assert response.status_code == 302
    assert response.url == "/review/"


def test_the_code_step_needs_a_signed_in_password_first(client):
    response = client.get(VERIFY_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12345",
        "1234567",
        "12a456",
        "+12345",
        " 1e5 ",
        "١٢٣٤٥٦",  # Arabic-Indic digits: Python's int() takes them, the form must not
        "123\x00456",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "9" * 10_000,
        "abcdefgh1",
        "abcd-efg!",
    ],
    ids=repr,
)
def test_malformed_codes_are_refused_with_a_clear_message(client, reviewer, app, typed):
    password_step(client, reviewer)

    response = code_step(client, typed)

    assert response.status_code == 400
    body = response.content.decode()
    assert "6-digit code" in body or "Null characters are not allowed" in body
    assert "<script>alert(1)</script>" not in body
    assert not is_verified(client)


@pytest.mark.parametrize("spelling", ["fullwidth", "mathematical", "spaced"])
def test_the_right_code_in_other_digit_forms_is_accepted(client, reviewer, app, spelling):
    device, _ = app
    code = totp_code_now(device)
    typed = {
        "fullwidth": "".join(chr(0xFF10 + int(d)) for d in code),
        "mathematical": "".join(chr(0x1D7CE + int(d)) for d in code),
        "spaced": f" {code[:3]} {code[3:]} ",
    }[spelling]
    password_step(client, reviewer)

    assert code_step(client, typed).status_code == 302
    assert is_verified(client)


@hypothesis_settings(max_examples=60)
@given(typed=st.text(max_size=80) | st.from_regex(r"[0-9a-z\- ]{6,12}", fullmatch=True))
def test_no_typed_text_breaks_the_code_step_or_opens_the_account(client, reviewer, settings, typed):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # every example reaches the check itself
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    if not reviewer.totpdevice_set.exists():
        authenticator_for(reviewer)
    client.logout()
    password_step(client, reviewer)

    response = code_step(client, typed)

    assert response.status_code == 400
    assert not is_verified(client)
