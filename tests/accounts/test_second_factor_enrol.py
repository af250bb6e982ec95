"""Setting up an authenticator app: forced for program staff and auditors, offered to everyone."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import totp_code_now
from tests.accounts.signing_in import ENROL_URL, VERIFY_URL, code_step, is_verified, password_step
from tests.builders import app_code as app_code_at
from tests.builders import authenticator_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

NOW = datetime.datetime(2026, 11, 27, 9, 0, 5, tzinfo=datetime.UTC)
RECOVERY_PAGE = reverse("accounts:recovery_codes")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def shown_secret(page) -> str:
    """The secret as the page shows it for typing into an app."""
    return re.search(r'class="secret"><code>([A-Z2-7 ]+)</code>', page.content.decode()).group(1)


def app_code(secret: str, at: datetime.datetime = NOW) -> str:
    return app_code_at(secret, at.timestamp())


@pytest.fixture(params=["reviewer", "auditor", "program_admin", "staff"])
def required(request, db):
    if request.param == "staff":
        return UserFactory(is_staff=True)  # the admin site's users, whatever their platform role
    return UserFactory(platform_role=request.param, is_staff=request.param == "program_admin")


def test_a_role_that_requires_a_second_factor_must_set_up_an_app_before_anything_opens(client, required):
    response = password_step(client, required)

    assert response.url == f"{ENROL_URL}?next=%2F"
    for url in [reverse("home"), reverse("accounts:security"), reverse("accounts:password_change")]:
        assert client.get(url).url.startswith(ENROL_URL)
    page = client.get(ENROL_URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Your role requires a second factor" in body
    assert "<svg" in body and "QR code to scan" in body
    assert len(shown_secret(page).replace(" ", "")) == 32
    assert "Not now" not in body


def test_an_officer_is_not_made_to_set_up_an_app(client, officer):
    response = password_step(client, officer)

    assert response.url == reverse("home")
    assert client.get(reverse("commitments:dashboard")).status_code == 200
    assert not TOTPDevice.objects.filter(user=officer).exists()


def test_confirming_with_the_apps_code_shows_ten_recovery_codes_once_and_opens_the_account(
    client, reviewer, clock
):
    password_step(client, reviewer, next_url="/review/")
    secret = shown_secret(client.get(f"{ENROL_URL}?next=/review/"))

    response = client.post(ENROL_URL, {"code": app_code(secret), "next": "/review/"})

    assert response.status_code == 302
    assert response.url == f"{RECOVERY_PAGE}?next=%2Freview%2F"
    page = client.get(response.url).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", page)
    assert len(codes) == 10
    assert 'href="/review/"' in page
    assert set(StaticToken.objects.filter(device__user=reviewer).values_list("token", flat=True)) == {
        code.replace("-", "") for code in codes
    }
    again = client.get(RECOVERY_PAGE).content.decode()
    assert "these were shown already" in again
    assert not any(code in again for code in codes)
    assert is_verified(client)
    assert client.get("/review/").status_code == 200


def test_a_wrong_code_leaves_the_app_unconfirmed(client, reviewer, clock):
    password_step(client, reviewer)
    secret = shown_secret(client.get(ENROL_URL))

    response = client.post(ENROL_URL, {"code": app_code(secret, NOW + datetime.timedelta(minutes=5))})

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()
    assert client.get(reverse("home")).url.startswith(ENROL_URL)


@pytest.mark.parametrize("typed", ["", "abcd-efgh", "12345", "1" * 5000, "12 34 5x"], ids=repr)
def test_the_set_up_takes_only_a_six_digit_code(client, reviewer, typed):
    password_step(client, reviewer)
    client.get(ENROL_URL)

    response = client.post(ENROL_URL, {"code": typed})

    assert response.status_code == 400
    assert "Type the 6-digit code your authenticator app shows." in response.content.decode()


def test_reloading_the_set_up_page_keeps_the_same_secret(client, reviewer):
    password_step(client, reviewer)

    assert shown_secret(client.get(ENROL_URL)) == shown_secret(client.get(ENROL_URL))
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


def test_whoever_has_only_the_password_cannot_put_their_own_app_in_place(client, reviewer, clock):
    device, _ = authenticator_for(reviewer)
    attacker = Client()
    password_step(attacker, reviewer)

    page = attacker.get(ENROL_URL)
    posted = attacker.post(ENROL_URL, {"code": "123456"})

    assert page.url.startswith(VERIFY_URL) and posted.url.startswith(VERIFY_URL)
    assert list(TOTPDevice.objects.filter(user=reviewer)) == [device]


def test_an_officer_can_set_up_an_app_from_the_security_page_and_is_then_asked_for_codes(
    client, officer, clock
):
    password_step(client, officer)
    security = client.get(reverse("accounts:security")).content.decode()
    assert "Off" in security and f'href="{ENROL_URL}"' in security
    page = client.get(ENROL_URL)
    assert "Not now" in page.content.decode()

    client.post(ENROL_URL, {"code": app_code(shown_secret(page))})
    client.logout()
    clock.shift(datetime.timedelta(seconds=30))

    assert password_step(client, officer).url.startswith(VERIFY_URL)


def test_setting_up_a_new_phone_replaces_the_old_app_and_recovery_codes(client, reviewer, clock):
    old_device, old_codes = authenticator_for(reviewer)
    clock.shift(datetime.timedelta(seconds=30))
    password_step(client, reviewer)
    code_step(client, totp_code_now(old_device))
    page = client.get(ENROL_URL)
    assert "This replaces the app you use now" in page.content.decode()

    clock.shift(datetime.timedelta(seconds=30))
    response = client.post(
        ENROL_URL, {"code": app_code(shown_secret(page), NOW + datetime.timedelta(seconds=60))}
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=old_device.pk).exists()
    assert not StaticToken.objects.filter(token__in=old_codes).exists()
    assert is_verified(client)
    assert client.get(reverse("commitments:review_queue")).status_code == 200


def test_the_forced_set_up_offers_only_sign_out_while_a_voluntary_one_keeps_the_navigation(
    client, reviewer, officer
):
    password_step(client, reviewer)
    forced = client.get(ENROL_URL).content.decode()
    client.logout()
    password_step(client, officer)
    voluntary = client.get(ENROL_URL).content.decode()

    assert "Sign out" in forced and ">Workspace<" not in forced
    assert ">Workspace<" in voluntary and "Sign out" in voluntary
