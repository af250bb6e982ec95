import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Invitation
from accounts.services import invitation_create

pytestmark = pytest.mark.django_db

URL = reverse("accounts:invite")


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for response in (
        client.get(URL),
        client.post(URL, {"email": "x@example.test", "platform_role": "reviewer"}),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["other_officer", "officer", "viewer", "contributor", "reviewer"])
def test_people_other_than_program_admins_are_forbidden(client, request, who, org):
    client.force_login(request.getfixturevalue(who))

    assert client.get(URL).status_code == 403
    posted = client.post(URL, {"email": "x@example.test", "organisation": org.pk, "role": "officer"})

    assert posted.status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_program_admin_sees_the_form_and_the_invitations(client, program_admin, org):
    invitation_create(acting_user=program_admin, email="pending@example.test", platform_role="auditor")
    client.force_login(program_admin)

    response = client.get(URL)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Invite someone" in body
    assert "pending@example.test" in body
    assert "Pending" in body
    assert "Northwind Models" in body  # offered in the organisation list


def test_a_program_admin_invites_an_officer_and_one_email_goes_out(
    client, program_admin, org, django_capture_on_commit_callbacks
):
    client.force_login(program_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"email": "nia@example.test", "organisation": org.pk, "role": "officer"})

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.organisation, invitation.role) == (
        "nia@example.test",
        org,
        "officer",
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nia@example.test"]
    assert "/accounts/invitations/" in mail.outbox[0].body
    page = client.get(response.url)
    assert "Invitation sent to nia@example.test" in page.content.decode()


def test_an_invalid_invitation_is_shown_back_intact_with_the_problem(client, program_admin, org):
    client.force_login(program_admin)

    response = client.post(
        URL,
        {"email": "nia@example.test", "organisation": org.pk, "role": "officer", "platform_role": "reviewer"},
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "not both" in body
    assert 'value="nia@example.test"' in body
    assert f'<option value="{org.pk}" selected>' in body
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_the_invitation_list_needs_few_queries(client, program_admin, org, django_assert_max_num_queries):
    for n in range(5):
        invitation_create(
            acting_user=program_admin, email=f"p{n}@example.test", organisation=org, role="viewer"
        )
        invitation_create(acting_user=program_admin, email=f"r{n}@example.test", platform_role="reviewer")
    client.force_login(program_admin)

    with django_assert_max_num_queries(8):
        response = client.get(URL)

    assert response.status_code == 200
