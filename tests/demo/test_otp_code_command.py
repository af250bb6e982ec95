"""`manage.py otp_code EMAIL`: the current code of a demo account, for trying the demo without a phone."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.services import second_factor_code_verify
from demo.world import DEMO_DOMAIN, demo_authenticators_ensure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REVIEWER = f"reviewer@{DEMO_DOMAIN}"


@pytest.fixture
def demo_reviewer(settings):
    settings.DEBUG = True
    person = UserFactory(email=REVIEWER, platform_role="reviewer")
    demo_authenticators_ensure()
    return person


def otp_code(email: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("otp_code", email, stdout=out, stderr=err)
    assert "works once" in err.getvalue()
    return out.getvalue().strip()


def test_it_prints_a_code_the_sign_in_accepts(demo_reviewer):
    code = otp_code(REVIEWER.upper())

    assert len(code) == 6 and code.isdigit()
    assert second_factor_code_verify(user=demo_reviewer, code=code).user_id == demo_reviewer.pk


def test_after_a_code_was_used_it_prints_the_next_one_which_works_too(demo_reviewer):
    first = otp_code(REVIEWER)
    second_factor_code_verify(user=demo_reviewer, code=first)

    second = otp_code(REVIEWER)

    assert second != first
    assert second_factor_code_verify(user=demo_reviewer, code=second).user_id == demo_reviewer.pk


def test_it_refuses_while_debug_is_off(demo_reviewer, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="Refusing to print second-factor codes while DEBUG is off"):
        call_command("otp_code", REVIEWER, stdout=StringIO())


def test_it_refuses_accounts_outside_the_demo(settings, reviewer):
    settings.DEBUG = True

    with pytest.raises(CommandError, match="Only the demo accounts"):
        call_command("otp_code", reviewer.email, stdout=StringIO())


def test_it_says_when_the_demo_account_has_no_app(settings):
    settings.DEBUG = True
    UserFactory(email=f"officer@northwind.{DEMO_DOMAIN}")

    with pytest.raises(CommandError, match="has no authenticator app set up"):
        call_command("otp_code", f"officer@northwind.{DEMO_DOMAIN}", stdout=StringIO())
