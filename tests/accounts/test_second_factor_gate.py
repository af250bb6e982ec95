"""Until the second factor is given, a signed-in session opens nothing but the code step (or the
set-up) and sign-out: every page, htmx request, API endpoint and the admin site."""

import datetime

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, PathConverter

from accounts.second_factor import totp_code_now
from accounts.services import second_factor_reset
from tests.accounts.signing_in import ENROL_URL, VERIFY_URL, code_step, password_step
from tests.builders import authenticator_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

OPEN_WHILE_PENDING = {"accounts:second_factor_verify", "accounts:second_factor_enrol", "accounts:logout"}


def _every_url(patterns=None, namespace=None):
    """(URL name, an address it answers) for every named route of the site, admin included."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _every_url(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            converters = getattr(pattern.pattern, "converters", {})
            kwargs = {
                key: 1 if isinstance(converter, IntConverter | PathConverter) else "x"
                for key, converter in converters.items()
            }
            # The admin's app index is the one regex route: its group takes an app label.
            kwargs |= dict.fromkeys(pattern.pattern.regex.groupindex.keys() - kwargs.keys(), "accounts")
            yield name, reverse(name, kwargs=kwargs)


EVERY_URL = sorted(set(_every_url()))
GATED = [(name, url) for name, url in EVERY_URL if name not in OPEN_WHILE_PENDING]


@pytest.fixture
def pending(client, reviewer):
    """A reviewer who has an app and gave only the password."""
    with time_machine.travel(datetime.datetime(2026, 11, 27, 9, 0, 5, tzinfo=datetime.UTC), tick=False):
        device, _ = authenticator_for(reviewer)
    password_step(client, reviewer)
    return device


def test_the_walk_found_the_staff_pages_the_admin_and_the_api():
    names = {name for name, _ in GATED}
    assert {"commitments:review_queue", "reports:overview", "documents:index", "accounts:invite"} <= names
    assert {"admin:index", "admin:app_list", "admin:accounts_user_changelist", "api:schema"} <= names
    assert len(GATED) > 100


@pytest.mark.parametrize(("name", "url"), GATED, ids=[name for name, _ in GATED])
def test_a_password_only_session_is_sent_to_the_code_step_from_every_address(client, pending, name, url):
    response = client.get(url)

    if url.startswith("/api/"):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["detail"] == "Give the code from your authenticator app first."
    else:
        assert response.status_code == 302, f"{name} answered {response.status_code}"
        assert response.url.startswith(f"{VERIFY_URL}?next=")


@pytest.mark.parametrize(
    "name", ["commitments:review_queue", "reports:overview", "admin:index", "home", "accounts:security"]
)
def test_a_session_that_must_still_set_up_an_app_is_sent_to_the_set_up(client, auditor, name):
    password_step(client, auditor)

    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(f"{ENROL_URL}?next=")


def test_an_htmx_request_gets_a_403_that_tells_htmx_where_to_go(client, pending):
    response = client.post(
        "/review/reports/1/items/1/verdict/", {"verdict": "verified"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 403
    assert response["HX-Redirect"] == VERIFY_URL


def test_a_post_is_refused_and_not_carried_out(client, pending, reviewer, officer, report):
    response = client.post(reverse("commitments:review_start", args=[report.pk]))

    assert response.status_code == 302
    assert response.url == VERIFY_URL
    report.refresh_from_db()
    assert report.status == "draft"


def test_sign_out_works_while_the_code_is_owed(client, pending):
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_admin_site_asks_for_the_code_after_its_own_password_form(client):
    root = UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    with time_machine.travel(datetime.datetime(2026, 11, 27, 9, 0, 5, tzinfo=datetime.UTC), tick=False):
        device, _ = authenticator_for(root)
    signed_in = client.post(
        reverse("admin:login"),
        {"username": root.email, "password": "correct horse battery", "next": "/admin/"},
    )
    assert signed_in.status_code == 302

    refused = client.get("/admin/")
    assert refused.url == f"{VERIFY_URL}?next=%2Fadmin%2F"
    assert code_step(client, totp_code_now(device), next_url="/admin/").url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_person_with_no_app_in_an_optional_role_is_not_held_up(client, officer):
    password_step(client, officer)

    assert client.get(reverse("commitments:dashboard")).status_code == 200
    assert client.get(reverse("accounts:security")).status_code == 200


def test_a_reset_ends_the_verification_of_sessions_already_signed_in(client, reviewer, program_admin):
    with time_machine.travel(datetime.datetime(2026, 11, 27, 9, 0, 5, tzinfo=datetime.UTC), tick=False):
        device, _ = authenticator_for(reviewer)
    password_step(client, reviewer)
    code_step(client, totp_code_now(device))
    assert client.get(reverse("commitments:review_queue")).status_code == 200

    second_factor_reset(acting_user=program_admin, user=reviewer)

    assert client.get(reverse("commitments:review_queue")).url.startswith(ENROL_URL)
