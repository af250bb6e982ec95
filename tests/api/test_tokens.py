"""Personal API tokens: made, shown once, stored hashed, scoped, expiring, revoked, last use shown."""

import datetime
import hashlib
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken, TokenScope
from api.services import api_token_create, api_token_revoke
from commitments.errors import ValidationFailed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FRAMEWORKS = "/api/v1/frameworks/"
TOKENS = "/accounts/api-tokens/"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


# --- the service ---------------------------------------------------------------------------------


def test_a_token_is_kept_only_as_its_hash_with_a_public_prefix():
    issued = api_token_create(user=UserFactory(), name="Quarterly upload", scope=TokenScope.WRITE)

    token = ApiToken.objects.get()
    assert issued.secret.startswith(f"pp_{token.prefix}_")
    assert token.secret_sha256 == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret not in str(ApiToken.objects.values().get())


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"scope": "admin"}, "scope"),
        ({"expires_at": timezone.now() - datetime.timedelta(minutes=1)}, "expires_at"),
        ({"expires_at": timezone.now() + datetime.timedelta(days=400)}, "expires_at"),
    ],
)
def test_it_refuses_a_token_without_a_name_a_known_scope_or_a_sensible_expiry(fields, field):
    with pytest.raises(ValidationFailed) as refused:
        api_token_create(user=UserFactory(), **{"name": "ok", "scope": TokenScope.READ, **fields})

    assert field in refused.value.problems
    assert not ApiToken.objects.exists()


def test_only_the_owner_revokes_a_token():
    issued = api_token_create(user=UserFactory(), name="ci", scope=TokenScope.READ)

    with pytest.raises(ValidationFailed):
        api_token_revoke(token=issued.token, by=UserFactory())

    assert ApiToken.objects.get().revoked_at is None


# --- using a token -------------------------------------------------------------------------------


def test_a_token_authenticates_its_owner_and_shows_when_it_was_last_used():
    issued = api_token_create(user=UserFactory(), name="ci", scope=TokenScope.READ)

    with time_machine.travel(datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC), tick=False):
        response = bearer(issued.secret).get(FRAMEWORKS)

    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at == datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)


def test_last_use_is_written_at_most_once_a_minute():
    issued = api_token_create(user=UserFactory(), name="ci", scope=TokenScope.READ)
    start = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        bearer(issued.secret).get(FRAMEWORKS)
    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        bearer(issued.secret).get(FRAMEWORKS)
    assert ApiToken.objects.get().last_used_at == start
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        bearer(issued.secret).get(FRAMEWORKS)
    assert ApiToken.objects.get().last_used_at == start + datetime.timedelta(seconds=61)


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer", "no spaces"),
        ("Bearer a b", "no spaces"),
        ("Bearer notatoken", "start with `pp_`"),
        ("Bearer pp__abc", "start with `pp_`"),
        ("Bearer pp_abcdef123456_wrongsecret", "Unknown token."),
        ("Bearer pp_ab-cd_x", "start with `pp_`"),
        ("Bearer " + "pp_" + "a" * 5000, "start with `pp_`"),
    ],
)
def test_a_header_that_names_no_token_is_a_401_that_says_why(header, detail):
    response = APIClient().get(FRAMEWORKS, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert detail in response.json()["detail"]


def test_a_non_ascii_token_is_a_401_not_an_error():
    response = APIClient().get(FRAMEWORKS, HTTP_AUTHORIZATION="Bearer pp_é_x".encode().decode("latin-1"))

    assert response.status_code == 401


def test_a_revoked_token_and_an_expired_one_stop_working_and_say_so():
    user = UserFactory()
    revoked = api_token_create(user=user, name="old", scope=TokenScope.READ)
    api_token_revoke(token=revoked.token, by=user)
    expiring = api_token_create(
        user=user, name="short", scope=TokenScope.READ, expires_at=timezone.now() + datetime.timedelta(days=1)
    )

    assert bearer(revoked.secret).get(FRAMEWORKS).json()["detail"] == "This token was revoked."
    assert bearer(expiring.secret).get(FRAMEWORKS).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, seconds=1)):
        response = bearer(expiring.secret).get(FRAMEWORKS)
    assert (response.status_code, response.json()["detail"]) == (401, "This token has expired.")


def test_a_deactivated_accounts_token_stops_working():
    user = UserFactory()
    issued = api_token_create(user=user, name="ci", scope=TokenScope.READ)
    user.is_active = False
    user.save()

    assert bearer(issued.secret).get(FRAMEWORKS).status_code == 401


@pytest.mark.urls("tests.api.probe_urls")
def test_a_read_only_token_may_read_but_not_write():
    issued = api_token_create(user=UserFactory(), name="ci", scope=TokenScope.READ)

    response = bearer(issued.secret).post("/api/v1/probe/", {"name": "x"}, format="json")

    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert ApiToken.objects.count() == 1


# --- the web page --------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(TOKENS)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_person_makes_a_token_sees_it_once_and_then_only_its_prefix(client):
    user = UserFactory()
    client.force_login(user)

    made = client.post(TOKENS, {"name": "GRC upload", "scope": "write", "expires_in_days": "90"})
    shown = client.get(made.url)
    again = client.get(TOKENS)

    token = ApiToken.objects.get()
    secret_start = f"pp_{token.prefix}_"
    assert made.status_code == 302
    assert secret_start in shown.content.decode() and "shown only this once" in shown.content.decode()
    page = again.content.decode()
    assert "shown only this once" not in page
    assert f"<code>pp_{token.prefix}_…</code>" in page and "GRC upload" in page and "Read and write" in page
    assert token.expires_at.date() == (timezone.now() + datetime.timedelta(days=90)).date()


def test_the_secret_shown_is_the_one_that_works(client):
    user = UserFactory()
    client.force_login(user)
    client.post(TOKENS, {"name": "GRC upload", "scope": "read", "expires_in_days": ""})

    page = client.get(TOKENS).content.decode()
    secret = page.split('<p class="secret"><code>')[1].split("</code>")[0]

    assert bearer(secret).get(FRAMEWORKS).status_code == 200
    assert ApiToken.objects.get().expires_at is None


HOSTILE_NAMES = [
    '<script>alert("x")</script>',
    "\u202eevil",
    "a\x00b",
    "../../etc/passwd",
    "\U0001f600" * 25,
]


@pytest.mark.parametrize("name", ["", "x" * 101, *HOSTILE_NAMES])
def test_a_bad_name_is_refused_on_the_page_and_what_was_typed_kept(client, name):
    client.force_login(UserFactory())

    response = client.post(TOKENS, {"name": name, "scope": "read", "expires_in_days": "30"})

    if name.strip() and len(name) <= 100 and "\x00" not in name:
        assert response.status_code == 302  # hostile but valid text is only text
        assert (
            "<script"
            not in client.get(TOKENS).content.decode().split("Your tokens")[1].split("Make a token")[0]
        )
    else:
        assert response.status_code == 400
        assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "fields", [{"scope": "root"}, {"expires_in_days": "9999"}, {"expires_in_days": "-1"}]
)
def test_values_the_form_does_not_offer_are_refused(client, fields):
    client.force_login(UserFactory())

    response = client.post(TOKENS, {"name": "ci", "scope": "read", "expires_in_days": "30", **fields})

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_a_person_sees_and_revokes_only_their_own_tokens(client):
    mine = api_token_create(user=UserFactory(), name="mine", scope=TokenScope.READ)
    theirs = api_token_create(user=UserFactory(), name="theirs", scope=TokenScope.READ)
    client.force_login(mine.token.user)

    page = client.get(TOKENS).content.decode()
    refused = client.post(reverse("api_tokens:revoke", args=[theirs.token.pk]))
    revoked = client.post(reverse("api_tokens:revoke", args=[mine.token.pk]))

    assert "mine" in page and "theirs" not in page
    assert refused.status_code == 404
    assert ApiToken.objects.get(pk=theirs.token.pk).revoked_at is None
    assert revoked.status_code == 302
    assert ApiToken.objects.get(pk=mine.token.pk).revoked_at is not None
    assert "Revoked" in client.get(TOKENS).content.decode()


def test_revoking_is_a_post_only(client):
    mine = api_token_create(user=UserFactory(), name="mine", scope=TokenScope.READ)
    client.force_login(mine.token.user)

    assert client.get(reverse("api_tokens:revoke", args=[mine.token.pk])).status_code == 405


def test_the_security_page_links_to_the_tokens(client):
    client.force_login(UserFactory())

    assert TOKENS in client.get(reverse("accounts:security")).content.decode()


# --- the command ---------------------------------------------------------------------------------


def test_the_command_prints_a_working_token():
    user = UserFactory(email="officer@northwind.example")
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "create_api_token",
        email="OFFICER@northwind.example",
        name="ci",
        scope="write",
        days=30,
        stdout=out,
        stderr=err,
    )

    secret = out.getvalue().strip()
    assert bearer(secret).get(FRAMEWORKS).status_code == 200
    assert ApiToken.objects.get().user == user and ApiToken.objects.get().scope == "write"
    assert "shown only this once" in err.getvalue()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"email": "nobody@example.org", "name": "ci"}, "No account"),
        ({"email": "officer@northwind.example", "name": ""}, "name"),
        ({"email": "officer@northwind.example", "name": "ci", "days": 0}, "--days"),
        ({"email": "officer@northwind.example", "name": "ci", "days": 4000}, "year"),
    ],
)
def test_the_command_refuses_what_it_cannot_make(options, message):
    UserFactory(email="officer@northwind.example")

    with pytest.raises(CommandError, match=message):
        call_command("create_api_token", **options, stdout=io.StringIO(), stderr=io.StringIO())
