import datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Invitation, User
from accounts.services import invitation_accept, invitation_create
from commitments.errors import NotAllowed, ValidationFailed
from commitments.models import Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a sturdy passphrase 42"


@pytest.fixture
def officer_invitation(program_admin, org):
    return invitation_create(
        acting_user=program_admin, email="new.officer@example.test", organisation=org, role="officer"
    )


def _accept_url(token):
    return reverse("accounts:invitation_accept", kwargs={"token": token})


def _form(password=PASSWORD, repeat=None, name="Nia Officer"):
    return {"full_name": name, "password1": password, "password2": repeat or password}


def test_accepting_creates_the_account_and_the_membership(officer_invitation, org):
    invitation, token = officer_invitation

    user = invitation_accept(token=token, password=PASSWORD, full_name="Nia Officer")

    assert user.email == "new.officer@example.test"
    assert user.full_name == "Nia Officer"
    assert user.check_password(PASSWORD)
    assert Membership.objects.get(user=user, organisation=org).role == "officer"
    invitation.refresh_from_db()
    assert invitation.accepted_user == user
    assert invitation.accepted_at is not None


def test_an_invitation_works_only_once(officer_invitation):
    _, token = officer_invitation
    invitation_accept(token=token, password=PASSWORD)

    with pytest.raises(ValidationFailed, match="already been used"):
        invitation_accept(token=token, password="another passphrase 43")

    assert User.objects.get(email="new.officer@example.test").check_password(PASSWORD)


def test_an_expired_invitation_is_refused(officer_invitation):
    _, token = officer_invitation

    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=8)
    with time_machine.travel(later), pytest.raises(ValidationFailed, match="expired"):
        invitation_accept(token=token, password=PASSWORD)

    assert not User.objects.filter(email="new.officer@example.test").exists()


def test_an_unknown_token_is_refused(db):
    with pytest.raises(ValidationFailed, match="not valid"):
        invitation_accept(token="made-up", password=PASSWORD)


def test_a_weak_password_is_refused_with_the_validators_messages(officer_invitation):
    _, token = officer_invitation

    with pytest.raises(ValidationFailed) as caught:
        invitation_accept(token=token, password="12345678")

    assert "This password is too common." in caught.value.problems["password"]
    assert "This password is entirely numeric." in caught.value.problems["password"]
    assert Invitation.objects.get().accepted_at is None


def test_a_platform_invitation_gives_the_platform_role(program_admin):
    _, token = invitation_create(
        acting_user=program_admin, email="rev@example.test", platform_role="reviewer"
    )

    user = invitation_accept(token=token, password=PASSWORD)

    assert user.platform_role == "reviewer"
    assert not user.memberships.exists()


def test_an_existing_account_signed_in_only_gains_the_membership(program_admin, org):
    person = UserFactory(email="known@example.test")
    _, token = invitation_create(
        acting_user=program_admin, email="known@example.test", organisation=org, role="viewer"
    )

    user = invitation_accept(token=token, acting_user=person)

    assert user == person
    assert user.check_password("correct horse battery")
    assert Membership.objects.get(user=person, organisation=org).role == "viewer"


def test_an_existing_account_must_be_signed_in_to_accept(program_admin, org):
    UserFactory(email="known@example.test")
    _, token = invitation_create(
        acting_user=program_admin, email="known@example.test", organisation=org, role="viewer"
    )

    with pytest.raises(NotAllowed, match="already exists"):
        invitation_accept(token=token, password=PASSWORD)

    assert not Membership.objects.filter(organisation=org, user__email="known@example.test").exists()


# The invitee's page


def test_the_page_says_who_invited_whom_to_what(client, officer_invitation, program_admin):
    _, token = officer_invitation

    response = client.get(_accept_url(token))

    body = response.content.decode()
    assert response.status_code == 200
    assert str(program_admin) in body
    assert "new.officer@example.test" in body
    assert "Compliance officer of Northwind Models" in body


def test_setting_the_password_signs_the_invitee_in_and_goes_home(client, officer_invitation):
    _, token = officer_invitation

    response = client.post(_accept_url(token), _form())

    assert response.status_code == 302
    assert response.url == reverse("home")
    user = User.objects.get(email="new.officer@example.test")
    assert client.session["_auth_user_id"] == str(user.pk)
    home = client.get(response.url)
    assert "Welcome to Pledgeproof" in home.content.decode()


def test_the_second_use_of_the_link_is_refused_on_the_page(client, officer_invitation):
    _, token = officer_invitation
    client.post(_accept_url(token), _form())
    client.post(reverse("accounts:logout"))

    page = client.get(_accept_url(token))
    again = client.post(_accept_url(token), _form(password="another passphrase 43"))

    assert page.status_code == 410
    assert "already been used" in page.content.decode()
    assert again.status_code == 410
    assert "_auth_user_id" not in client.session


def test_an_expired_link_shows_a_clear_refusal(client, officer_invitation):
    _, token = officer_invitation

    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=8)):
        page = client.get(_accept_url(token))
        post = client.post(_accept_url(token), _form())

    assert page.status_code == 410
    assert "This invitation has expired" in page.content.decode()
    assert post.status_code == 410
    assert not User.objects.filter(email="new.officer@example.test").exists()


def test_an_unknown_link_is_not_found(client, db):
    assert client.get(_accept_url("made-up-token")).status_code == 404
    assert client.post(_accept_url("made-up-token"), _form()).status_code == 404


def test_a_weak_password_is_shown_back_with_the_errors_and_the_name_kept(client, officer_invitation):
    _, token = officer_invitation

    response = client.post(_accept_url(token), _form(password="12345678"))

    body = response.content.decode()
    assert response.status_code == 400
    assert "This password is too common." in body
    assert 'value="Nia Officer"' in body
    assert not User.objects.filter(email="new.officer@example.test").exists()


def test_two_different_passwords_are_refused(client, officer_invitation):
    _, token = officer_invitation

    response = client.post(_accept_url(token), _form(repeat="something else 44"))

    assert response.status_code == 400
    assert "The two passwords differ." in response.content.decode()


def test_an_existing_account_is_asked_to_sign_in_then_accepts_with_one_click(client, program_admin, org):
    person = UserFactory(email="known@example.test")
    _, token = invitation_create(
        acting_user=program_admin, email="known@example.test", organisation=org, role="viewer"
    )

    page = client.get(_accept_url(token))
    assert "Sign in to accept" in page.content.decode()
    assert client.post(_accept_url(token), {}).status_code == 403

    client.force_login(person)
    response = client.post(_accept_url(token), {})

    assert response.status_code == 302
    assert Membership.objects.get(user=person, organisation=org).role == "viewer"
