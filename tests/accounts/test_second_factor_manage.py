"""The Security page (devices, new recovery codes, turning the second factor off) and a program
admin's reset of someone's second factor."""

import datetime
import logging
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import totp_code_now
from tests.accounts.signing_in import ENROL_URL, VERIFY_URL, code_step, is_verified, password_step
from tests.builders import authenticator_for

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

NOW = datetime.datetime(2026, 11, 27, 9, 0, 5, tzinfo=datetime.UTC)
SECURITY = reverse("accounts:security")
REGENERATE = reverse("accounts:recovery_codes_regenerate")
TURN_OFF = reverse("accounts:second_factor_turn_off")
RESET = reverse("accounts:second_factor_reset")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def signed_in(client, user, clock):
    """`user` with an app, signed in with password and code; returns the app and recovery codes."""
    device, codes = authenticator_for(user)
    password_step(client, user)
    code_step(client, totp_code_now(device))
    assert is_verified(client)
    clock.shift(datetime.timedelta(seconds=30))
    return device, codes


def test_the_security_page_shows_the_app_and_how_many_recovery_codes_are_left(client, reviewer, clock):
    signed_in(client, reviewer, clock)

    body = client.get(SECURITY).content.decode()

    assert "Authenticator app" in body
    assert "10 unused" in body
    assert "Your role requires a second factor, so it cannot be turned off." in body
    assert TURN_OFF not in body


def test_new_recovery_codes_need_a_code_and_end_the_old_ones(client, reviewer, clock):
    device, old_codes = signed_in(client, reviewer, clock)

    response = client.post(REGENERATE, {"regenerate-code": totp_code_now(device)})

    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    new_codes = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", page)
    assert len(new_codes) == 10
    tokens = set(StaticDevice.objects.get(user=reviewer).token_set.values_list("token", flat=True))
    assert tokens == {code.replace("-", "") for code in new_codes}
    assert not tokens & set(old_codes)


def test_a_wrong_code_makes_no_new_recovery_codes(client, reviewer, clock):
    _, old_codes = signed_in(client, reviewer, clock)

    response = client.post(REGENERATE, {"regenerate-code": "abcdefgh"})

    assert response.status_code == 400
    assert "That recovery code is not right" in response.content.decode()
    assert set(StaticDevice.objects.get(user=reviewer).token_set.values_list("token", flat=True)) == set(
        old_codes
    )


def test_an_officer_turns_the_second_factor_off_with_a_code_and_then_signs_in_with_the_password(
    client, officer, clock
):
    device, _ = signed_in(client, officer, clock)
    assert TURN_OFF in client.get(SECURITY).content.decode()

    response = client.post(TURN_OFF, {"turn-off-code": totp_code_now(device)})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert not StaticDevice.objects.filter(user=officer).exists()
    client.logout()
    assert password_step(client, officer).url == reverse("home")


def test_turning_off_with_a_wrong_code_keeps_it(client, officer, clock):
    signed_in(client, officer, clock)

    response = client.post(TURN_OFF, {"turn-off-code": "000000"})

    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=officer, confirmed=True).exists()


def test_a_role_that_requires_it_cannot_turn_it_off(client, reviewer, clock):
    device, _ = signed_in(client, reviewer, clock)

    response = client.post(TURN_OFF, {"turn-off-code": totp_code_now(device)})

    assert response.status_code == 403
    assert "Your role requires a second factor" in response.content.decode()
    assert TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()


def test_a_program_admin_resets_a_lost_phone_and_the_person_is_told(
    client, program_admin, reviewer, clock, caplog, django_capture_on_commit_callbacks
):
    authenticator_for(reviewer)
    signed_in(client, program_admin, clock)

    with (
        caplog.at_level(logging.WARNING, logger="pledgeproof.security"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(RESET, {"email": reviewer.email.upper()}, follow=True)

    assert response.status_code == 200
    assert f"The second factor of {reviewer.email} is reset" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert not StaticDevice.objects.filter(user=reviewer).exists()
    assert f"Second factor of {reviewer.email}" in caplog.text and program_admin.email in caplog.text
    (message,) = mail.outbox
    assert message.to == [reviewer.email]
    assert message.subject == "Your Pledgeproof second factor was reset"
    assert str(program_admin) in message.body
    assert "set up an authenticator app again before anything else opens" in message.body
    assert message.alternatives[0][1] == "text/html"
    client.logout()
    assert password_step(client, reviewer).url.startswith(ENROL_URL)


def test_only_program_admins_can_reset(client, reviewer, auditor, clock):
    authenticator_for(auditor)
    signed_in(client, reviewer, clock)

    assert client.get(RESET).status_code == 403
    assert client.post(RESET, {"email": auditor.email}).status_code == 403
    assert TOTPDevice.objects.filter(user=auditor).exists()


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("nobody@example.test", "No account has that email address."),
        ("self", "Replace your own authenticator app from your Security page instead."),
        ("officer", "has no second factor set up: there is nothing to reset."),
        ("not an address", "Enter a valid email address."),
    ],
)
def test_a_reset_that_cannot_be_done_says_why(client, program_admin, officer, clock, who, message):
    signed_in(client, program_admin, clock)
    email = {"self": program_admin.email, "officer": officer.email}.get(who, who)

    response = client.post(RESET, {"email": email})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert mail.outbox == []


def test_the_reset_page_is_behind_the_admins_own_second_factor(client, program_admin, clock):
    authenticator_for(program_admin)
    password_step(client, program_admin)

    assert client.get(RESET).url.startswith(VERIFY_URL)
