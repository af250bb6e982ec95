"""Every engagement page along the access ladder: who gets the page, who a 404 that tells nothing,
who a 403; and an auditor of one engagement reaches nothing of another organisation or period."""

import pytest
from django.urls import reverse

from tests.audits.builders import engagement_for
from tests.audits.engagement_world import build_world
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ABSENT = 987654


@pytest.fixture
def world(org, other_org, period, framework):
    return build_world(org, other_org, period, framework)


@pytest.fixture
def engagement(world, org, period, auditor, program_admin):
    return engagement_for(
        auditor,
        organisations=[org, world.empty_org],
        periods=[period],
        admin=program_admin,
        title="Northwind audit",
    )


@pytest.fixture
def elsewhere(world, other_org, period, program_admin):
    """An auditor engaged, open and declared, for Bluefin's 2026 report only."""
    someone = UserFactory(platform_role="auditor")
    engagement_for(someone, organisations=[other_org], periods=[period], admin=program_admin)
    return someone


@pytest.fixture
def ladder(world, org, other_org, auditor, reviewer, program_admin, elsewhere):
    return {
        "another organisation's officer": MembershipFactory(organisation=other_org, role="officer").user,
        "viewer": MembershipFactory(organisation=org, role="viewer").user,
        "officer": world.officer,
        "reviewer": reviewer,
        "auditor of no engagement": UserFactory(platform_role="auditor"),
        "auditor engaged for another organisation": elsewhere,
        "engaged auditor": auditor,
        "program admin": program_admin,
    }


def _urls(engagement, world):
    e = engagement.pk
    return {
        "engagement": reverse("audits:engagement", args=[e]),
        "declare": reverse("audits:declare", args=[e]),
        "workspace": reverse("audits:workspace", args=[e]),
        "item": reverse("audits:item", args=[e, world.item.pk]),
        "preview": reverse("audits:evidence_preview", args=[e, world.text_file.pk]),
    }


# What each person gets on each page of the engagement (and on the list and the new-engagement page).
OUTSIDERS = ("another organisation's officer", "viewer", "officer", "reviewer", "auditor of no engagement")
EXPECTED = {
    **{
        who: {
            "list": 403,
            "new": 403,
            **dict.fromkeys(("engagement", "declare", "workspace", "item", "preview"), 404),
        }
        for who in OUTSIDERS
    },
    "auditor engaged for another organisation": {
        "list": 200,
        "new": 403,
        **dict.fromkeys(("engagement", "declare", "workspace", "item", "preview"), 404),
    },
    "engaged auditor": {
        "list": 200,
        "new": 403,
        **dict.fromkeys(("engagement", "declare", "workspace", "item", "preview"), 200),
    },
    "program admin": {
        "list": 200,
        "new": 200,
        "engagement": 200,
        "declare": 403,
        "workspace": 403,
        "item": 403,
        "preview": 403,
    },
}


def test_each_person_of_the_ladder_gets_what_the_gate_allows(client, world, engagement, ladder):
    urls = {
        "list": reverse("audits:engagements"),
        "new": reverse("audits:engagement_new"),
        **_urls(engagement, world),
    }
    for who, person in ladder.items():
        client.force_login(person)
        got = {name: client.get(url).status_code for name, url in urls.items()}
        assert got == EXPECTED[who], who


def test_an_anonymous_visitor_is_sent_to_sign_in(client, world, engagement):
    urls = {
        "list": reverse("audits:engagements"),
        "new": reverse("audits:engagement_new"),
        **_urls(engagement, world),
    }
    for url in urls.values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_someone_outside_cannot_tell_an_engagement_from_an_id_never_issued(client, world, engagement, ladder):
    client.force_login(ladder["auditor engaged for another organisation"])
    for name, url in _urls(engagement, world).items():
        absent = url.replace(f"/audits/{engagement.pk}/", f"/audits/{ABSENT}/", 1)
        theirs, made_up = client.get(url), client.get(absent)
        assert (theirs.status_code, theirs.context["exception"]) == (
            made_up.status_code,
            made_up.context["exception"],
        ), name


def test_the_list_shows_an_auditor_only_their_own_engagements(client, world, engagement, elsewhere):
    client.force_login(elsewhere)

    page = client.get(reverse("audits:engagements")).text

    assert "Northwind audit" not in page
    assert "Limited assurance on the 2026 report" in page  # their own
    assert reverse("audits:engagement", args=[engagement.pk]) not in page


def test_the_engaged_auditor_is_refused_another_organisations_and_another_periods_report(
    client, world, engagement, auditor
):
    client.force_login(auditor)
    e = engagement.pk

    for item, evidence, report in (
        (world.other_org_item, world.other_org_file, world.other_org_report),
        (world.other_period_item, world.other_period_file, world.other_period_report),
    ):
        assert client.get(reverse("audits:item", args=[e, item.pk])).status_code == 404
        assert client.get(reverse("audits:evidence_preview", args=[e, evidence.pk])).status_code == 404
        assert client.get(reverse("commitments:evidence_download", args=[evidence.pk])).status_code == 404
        assert client.get(reverse("commitments:report_review", args=[report.pk])).status_code == 404
    # The same pages of the report in scope open.
    assert client.get(reverse("commitments:evidence_download", args=[world.text_file.pk])).status_code == 200


def test_one_engagements_pages_do_not_open_what_only_another_engagement_covers(
    client, world, engagement, auditor, other_org, period, program_admin
):
    """Engaged on two engagements, the auditor still reaches Bluefin's report only through the one that
    covers it: this engagement's pages check its own scope, not just the gate."""
    second = engagement_for(
        auditor, organisations=[other_org], periods=[period], admin=program_admin, title="Bluefin"
    )
    client.force_login(auditor)

    assert (
        client.get(reverse("audits:item", args=[engagement.pk, world.other_org_item.pk])).status_code == 404
    )
    preview = reverse("audits:evidence_preview", args=[engagement.pk, world.other_org_file.pk])
    assert client.get(preview).status_code == 404
    assert client.get(reverse("audits:item", args=[second.pk, world.other_org_item.pk])).status_code == 200


def test_an_item_id_that_does_not_exist_is_a_404(client, engagement, auditor):
    client.force_login(auditor)

    assert client.get(reverse("audits:item", args=[engagement.pk, ABSENT])).status_code == 404
    assert client.get(reverse("audits:evidence_preview", args=[engagement.pk, ABSENT])).status_code == 404
