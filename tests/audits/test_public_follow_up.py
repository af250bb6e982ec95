"""What the public sees of a corrective action's follow-up: nothing until the report that follows it
up is published; then its item page shows the follow-up and the attestation page says where it is."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from commitments.vocabulary import ReportStatus
from tests.audits.builders import engagement_for
from tests.audits.follow_up_fixtures import (  # noqa: F401
    CORRECTIVE,
    audit_and_attest,
    follow_up,
    next_period_fixture,
    next_report_fixture,
)
from tests.builders import advance
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script> Timestamps since March & a May sample."
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; Timestamps since March &amp; a May sample."
HEADING = "Follow-up of an audit nonconformity"


@pytest.fixture
def world(report, org, period, officer, reviewer, program_admin, next_report):
    """Northwind's 2026 report published, then audited and attested with a nonconformity on its
    first item; the 2027 report follows it up and is verified, ready to publish."""
    advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin)
    auditor = UserFactory(platform_role="auditor", first_name="Ada", last_name="Auditor")
    engagement = engagement_for(auditor, organisations=[org], periods=[period], admin=program_admin)
    items = list(report.items.select_related("node", "report").order_by("node__position"))
    found = audit_and_attest(engagement, items, auditor)
    follow_up(found.nonconformity, next_report, officer, text=HOSTILE)
    verified = advance(next_report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)
    return SimpleNamespace(
        found=found,
        next=verified,
        node=found.nonconformity.item.node.node_id,
        other_node=found.observation.item.node.node_id,
        publish=lambda: advance(
            verified, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin
        ),
    )


def item_page(client, node_id, label="2027"):
    return client.get(reverse("public:item", args=["northwind-models", "tiny", label, node_id]))


def attestation_page(client, world) -> str:
    attestation = world.found.engagement.attestations.get()
    return client.get(reverse("audits:public_attestation", args=[attestation.pk])).content.decode()


def test_once_published_the_items_page_shows_the_follow_up_escaped(client, world):
    world.publish()

    page = item_page(client, world.node).content.decode()

    assert HEADING in page
    assert "the independent audit of the 2026 report" in page
    assert CORRECTIVE in page
    assert ESCAPED in page
    assert "<script>alert(1)" not in page
    attestation = world.found.engagement.attestations.get()
    assert reverse("audits:public_attestation", args=[attestation.pk]) in page


def test_only_the_followed_up_item_shows_it(client, world):
    world.publish()

    assert HEADING not in item_page(client, world.other_node).content.decode()
    assert HEADING not in item_page(client, world.node, label="2026").content.decode()


def test_the_attestation_page_says_where_it_was_followed_up(client, world):
    world.publish()

    page = attestation_page(client, world)

    link = reverse("public:item", args=["northwind-models", "tiny", "2027", world.node])
    assert f'<a href="{link}">Followed up in the 2027 report</a>' in page
    assert page.count("Followed up in the") == 1


def test_nothing_shows_before_the_next_report_is_published(client, world):
    assert item_page(client, world.node).status_code == 404
    assert "Followed up in the" not in attestation_page(client, world)


def test_a_page_cached_before_the_publication_shows_the_follow_up_after(
    client, world, django_capture_on_commit_callbacks
):
    assert "Followed up in the" not in attestation_page(client, world)

    with django_capture_on_commit_callbacks(execute=True):
        world.publish()

    assert "Followed up in the 2027 report" in attestation_page(client, world)
