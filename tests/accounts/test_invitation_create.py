import hashlib
import re

import pytest
from django.conf import settings
from django.core import mail

from accounts.models import Invitation
from accounts.services import invitation_create
from commitments.errors import NotAllowed, ValidationFailed
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_a_program_admin_invites_an_officer_and_one_email_carries_the_link(
    program_admin, org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = invitation_create(
            acting_user=program_admin, email=" New.Officer@Example.test ", organisation=org, role="officer"
        )

    assert invitation.email == "new.officer@example.test"
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.officer@example.test"]
    assert "Compliance officer of Northwind Models" in message.subject
    link = f"{settings.SITE_URL}/accounts/invitations/{token}/"
    assert link in message.body
    assert message.alternatives[0][1] == "text/html"
    assert link in message.alternatives[0][0]


def test_the_invitation_expires_after_seven_days_by_default(program_admin):
    invitation, _ = invitation_create(
        acting_user=program_admin, email="r@example.test", platform_role="reviewer"
    )

    assert (invitation.expires_at - invitation.created_at).days == 7


def test_the_lifetime_follows_the_setting(program_admin, settings):
    settings.INVITATION_TTL_DAYS = 2

    invitation, _ = invitation_create(
        acting_user=program_admin, email="r@example.test", platform_role="auditor"
    )

    assert (invitation.expires_at - invitation.created_at).days == 2


def test_the_email_waits_until_the_invitation_is_committed(program_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation_create(acting_user=program_admin, email="r@example.test", platform_role="reviewer")

    assert mail.outbox == []
    assert len(callbacks) == 1


@pytest.mark.parametrize("who", ["officer", "viewer", "reviewer", "other_officer"])
def test_only_program_admins_may_invite(request, who, org):
    acting_user = request.getfixturevalue(who)

    with pytest.raises(NotAllowed):
        invitation_create(acting_user=acting_user, email="x@example.test", organisation=org, role="viewer")

    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": "officer", "platform_role": "reviewer", "with_org": True}, "__all__"),
        ({"with_org": False}, "__all__"),
        ({"role": "", "with_org": True}, "role"),
        ({"role": "officer", "with_org": False}, "organisation"),
        ({"role": "boss", "with_org": True}, "role"),
        ({"platform_role": "superuser", "with_org": False}, "platform_role"),
    ],
)
def test_it_needs_exactly_one_of_organisation_role_or_platform_role(program_admin, org, kwargs, field):
    kwargs = dict(kwargs)
    organisation = org if kwargs.pop("with_org") else None

    with pytest.raises(ValidationFailed) as caught:
        invitation_create(
            acting_user=program_admin, email="x@example.test", organisation=organisation, **kwargs
        )

    assert field in caught.value.problems
    assert not Invitation.objects.exists()


def test_it_refuses_a_malformed_email_address(program_admin):
    with pytest.raises(ValidationFailed) as caught:
        invitation_create(acting_user=program_admin, email="not an address", platform_role="reviewer")

    assert "email" in caught.value.problems


def test_it_refuses_to_invite_someone_who_already_is_a_member(program_admin, org):
    member = MembershipFactory(organisation=org, role="viewer").user

    with pytest.raises(ValidationFailed) as caught:
        invitation_create(acting_user=program_admin, email=member.email, organisation=org, role="officer")

    assert re.search("already a member", caught.value.problems["email"][0])
