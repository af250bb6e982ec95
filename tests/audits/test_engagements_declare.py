"""An auditor declares their independence before they see anything else of the engagement."""

import json

import pytest
from django.urls import reverse

from commitments.models import LedgerEntry
from commitments.vocabulary import LedgerEvent
from tests.audits.builders import engagement_for
from tests.audits.engagement_world import build_world
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, other_org, period, framework):
    return build_world(org, other_org, period, framework)


@pytest.fixture
def engagement(world, org, period, auditor, program_admin):
    return engagement_for(auditor, organisations=[org], periods=[period], admin=program_admin, declared=False)


def test_an_undeclared_auditor_is_sent_to_the_declaration_and_sees_nothing_else(
    client, world, engagement, auditor
):
    client.force_login(auditor)

    response = client.get(reverse("audits:engagement", args=[engagement.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("audits:declare", args=[engagement.pk])

    for url in (
        reverse("audits:workspace", args=[engagement.pk]),
        reverse("audits:item", args=[engagement.pk, world.item.pk]),
        reverse("audits:evidence_preview", args=[engagement.pk, world.text_file.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "once they have declared their independence" in response.context["exception"]
        assert "Moderation log" not in response.text
    assert client.get(reverse("commitments:evidence_download", args=[world.text_file.pk])).status_code == 404
    page = client.get(reverse("audits:declare", args=[engagement.pk])).text
    assert "Declare my independence" in page
    assert "Northwind Models" in page  # what they declare their independence of
    assert not LedgerEntry.objects.filter(event=LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED).exists()


def test_the_declaration_is_ledgered_and_opens_the_workspace(client, world, engagement, auditor):
    client.force_login(auditor)

    response = client.post(
        reverse("audits:declare", args=[engagement.pk]), {"declaration": "No ties to Northwind."}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("audits:workspace", args=[engagement.pk])
    entry = LedgerEntry.objects.get(event=LedgerEvent.INDEPENDENCE_DECLARED)
    assert entry.actor_id == auditor.pk
    assert json.loads(entry.payload)["data"]["declaration"] == "No ties to Northwind."
    assert client.get(response["Location"]).status_code == 200
    assert "No ties to Northwind." in client.get(reverse("audits:engagement", args=[engagement.pk])).text


@pytest.mark.parametrize("text", ["", "   ", "x" * 20_001])
def test_an_empty_or_oversized_declaration_is_refused_on_the_field(client, engagement, auditor, text):
    client.force_login(auditor)

    response = client.post(reverse("audits:declare", args=[engagement.pk]), {"declaration": text})

    assert response.status_code == 400
    assert len(response.context["form"].errors["declaration"]) == 1  # said once, by the form or the service
    assert not LedgerEntry.objects.filter(event=LedgerEvent.INDEPENDENCE_DECLARED).exists()


def test_html_in_a_declaration_is_shown_as_text(client, engagement, auditor, program_admin):
    client.force_login(auditor)
    client.post(
        reverse("audits:declare", args=[engagement.pk]), {"declaration": "<img src=x onerror=alert(1)>"}
    )
    client.force_login(program_admin)

    page = client.get(reverse("audits:engagement", args=[engagement.pk])).text

    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_member_of_an_organisation_in_scope_is_refused_with_the_reason(client, org, engagement, auditor):
    MembershipFactory(organisation=org, user=auditor, role="viewer")
    client.force_login(auditor)

    response = client.post(
        reverse("audits:declare", args=[engagement.pk]), {"declaration": "I am independent."}
    )

    assert response.status_code == 403
    assert "belongs to Northwind Models: an auditor cannot audit their own organisation." in response.text
    assert not LedgerEntry.objects.filter(event=LedgerEvent.INDEPENDENCE_DECLARED).exists()


def test_declaring_twice_is_refused(client, engagement, auditor):
    client.force_login(auditor)
    url = reverse("audits:declare", args=[engagement.pk])
    client.post(url, {"declaration": "First."})

    response = client.post(url, {"declaration": "Second."}, follow=True)

    assert "You have already declared your independence" in response.text
    assert LedgerEntry.objects.filter(event=LedgerEvent.INDEPENDENCE_DECLARED).count() == 1


def test_an_admin_cannot_declare_for_an_auditor(client, engagement, program_admin):
    client.force_login(program_admin)

    response = client.post(
        reverse("audits:declare", args=[engagement.pk]), {"declaration": "On their behalf."}
    )

    assert response.status_code == 403
    assert not LedgerEntry.objects.filter(event=LedgerEvent.INDEPENDENCE_DECLARED).exists()
