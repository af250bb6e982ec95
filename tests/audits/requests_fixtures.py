"""Fixtures of the evidence-request tests: a published report, an engagement on it, and the ladder
of people who may or may not reach a request (imported by tests/audits/test_requests_*.py)."""

import datetime

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from audits.services.requests import request_open
from commitments.models import ReportStatus
from tests.audits.builders import engagement_for
from tests.builders import advance, period_for
from tests.factories import MembershipFactory, UserFactory
from tests.storage_backends import media, storage_backend  # noqa: F401 (fixtures)

MESSAGE = "Please send the hash-matching logs for March, with the escalation records."


@pytest.fixture
def published_report(report, officer, reviewer, program_admin):
    return advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin)


@pytest.fixture
def item(published_report):
    return published_report.items.select_related("node", "report__organisation", "report__period").first()


@pytest.fixture
def engagement(auditor, org, period, program_admin, published_report):
    return engagement_for(auditor, organisations=[org], periods=[period], admin=program_admin)


@pytest.fixture
def other_period(framework):
    return period_for(framework, label="2027", year=2027)


@pytest.fixture
def people(
    org,
    other_org,
    framework,
    officer,
    contributor,
    viewer,
    other_officer,
    reviewer,
    program_admin,
    other_period,
    period,
):
    """Everyone on the ladder but the engaged auditor, by what they are."""
    other_org_auditor = UserFactory(platform_role="auditor")
    engagement_for(other_org_auditor, organisations=[other_org], periods=[period], admin=program_admin)
    other_period_auditor = UserFactory(platform_role="auditor")
    engagement_for(other_period_auditor, organisations=[org], periods=[other_period], admin=program_admin)
    return {
        "another organisation's officer": other_officer,
        "viewer": viewer,
        "contributor": contributor,
        "officer": officer,
        "reviewer": reviewer,
        "auditor not engaged": UserFactory(platform_role="auditor"),
        "auditor engaged for another organisation": other_org_auditor,
        "auditor engaged for another period": other_period_auditor,
        "program admin": program_admin,
    }


@pytest.fixture
def evidence_request(engagement, item, auditor):
    return request_open(
        engagement=engagement,
        item=item,
        acting_user=auditor,
        message=MESSAGE,
        due_on=timezone.localdate() + datetime.timedelta(days=9),
    )


@pytest.fixture(autouse=True)
def item_page(settings):
    """The auditor's item page (audits:item) is built by the engagements area; until it is merged
    here, a stand-in at the same address lets the redirects to it be reversed and asserted."""
    try:
        reverse("audits:item", args=[1, 1])
    except NoReverseMatch:
        settings.ROOT_URLCONF = "tests.audits.requests_urls"


def new_officer(organisation):
    return MembershipFactory(organisation=organisation, role="officer").user
