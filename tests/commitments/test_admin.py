"""The housekeeping admin: every page opens for staff, and what services own stays read-only."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import User
from commitments.models import (
    Comment,
    CompanyResponse,
    CrosswalkLink,
    Evidence,
    Framework,
    FrameworkNode,
    ItemResponse,
    ItemVerdict,
    LedgerEntry,
    MetricDefinition,
    Organisation,
    ProgressReport,
    ReportStatus,
)
from commitments.services.evidence import evidence_add
from commitments.services.reviews import comment_add, company_response_add
from reports.models import Publication
from reports.services import report_publish
from tests.builders import advance

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in {"commitments", "reports"}),
    key=lambda model: model._meta.label,
)
READ_ONLY = [
    Framework,
    FrameworkNode,
    MetricDefinition,
    CrosswalkLink,
    ProgressReport,
    ItemResponse,
    Evidence,
    ItemVerdict,
    Comment,
    CompanyResponse,
    Publication,
    LedgerEntry,
]


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def published(report, framework, officer, reviewer, program_admin):
    """One report taken to publication through the services, with every kind of record on the way."""
    items = list(report.items.order_by("node__position"))
    item = items[0]
    for n, evidenced in enumerate(items[:2], start=1):
        evidence_add(
            item=evidenced,
            acting_user=officer,
            title=f"Child safety policy, part {n}",
            effective_date=datetime.date(2026, 2, 1),
            visibility="public",
            url=f"https://example.test/policy/{n}",
        )
    comment_add(item=item, acting_user=officer, body="The policy is linked.")
    report = advance(report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)
    company_response_add(item=item, acting_user=officer, body="We stand by the policy.")
    report = report_publish(report=report, acting_user=program_admin).report
    nodes = framework.nodes.filter(reportable=True).order_by("position")
    CrosswalkLink.objects.create(source=nodes[0], target=nodes[1], note="Same mitigation elsewhere.")
    return report


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser(email="housekeeper@example.test", password="x"))
    return client


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_every_list_and_change_page_opens_for_a_superuser(staff_client, published, model):
    obj = model._default_manager.first()
    assert obj is not None, f"give the `published` fixture a {model._meta.label}"

    assert staff_client.get(url(model, "changelist")).status_code == 200
    assert staff_client.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda model: model._meta.label)
def test_records_owned_by_services_cannot_be_added_or_deleted(staff_client, published, model):
    obj = model._default_manager.first()

    assert staff_client.get(url(model, "add")).status_code == 403
    assert staff_client.get(url(model, "delete", obj.pk)).status_code == 403
    assert staff_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_a_ledger_entry_cannot_be_changed_through_its_page(staff_client, published):
    entry = LedgerEntry.objects.order_by("sequence").first()

    page = staff_client.get(url(LedgerEntry, "change", entry.pk))
    response = staff_client.post(url(LedgerEntry, "change", entry.pk), {"event": "forged", "payload": "{}"})

    assert b'name="event"' not in page.content
    # Read-only, but all there: the columns read from the payload and the time recorded in it.
    assert entry.event.encode() in page.content
    assert entry.entry_hash.encode() in page.content
    assert str(entry.created_at.year).encode() in page.content
    assert response.status_code == 403
    entry_now = LedgerEntry.objects.get(pk=entry.pk)
    assert (entry_now.event, entry_now.payload) == (entry.event, entry.payload)


def test_a_framework_cannot_be_changed_through_its_page(staff_client, framework):
    response = staff_client.post(
        url(Framework, "change", framework.pk), {"key": "tiny", "version": "1.0", "title": "Renamed"}
    )

    assert response.status_code == 403
    framework.refresh_from_db()
    assert framework.title == "Tiny framework tiny"


def test_the_framework_page_lists_its_nodes(staff_client, framework):
    page = staff_client.get(url(Framework, "change", framework.pk))

    for node_id in ("tiny.p1", "tiny.p1.m1", "tiny.p1.m3"):
        assert node_id in page.content.decode()


def test_staff_can_edit_an_organisation_and_its_members(staff_client, org, officer):
    membership = org.memberships.get()
    response = staff_client.post(
        url(Organisation, "change", org.pk),
        {
            "name": "Northwind Models Ltd",
            "slug": org.slug,
            "website": "",
            "description": "",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": str(membership.pk),
            "memberships-0-organisation": str(org.pk),
            "memberships-0-user": str(officer.pk),
            "memberships-0-role": "viewer",
        },
    )

    assert response.status_code == 302
    org.refresh_from_db()
    membership.refresh_from_db()
    assert (org.name, membership.role) == ("Northwind Models Ltd", "viewer")


# Each count includes one query for the session's second-factor device (django-otp's middleware).
@pytest.mark.parametrize(
    ("model", "queries"),
    [(LedgerEntry, 5), (ItemResponse, 6), (Evidence, 6), (ItemVerdict, 6), (FrameworkNode, 8)],
    ids=lambda value: value._meta.label if hasattr(value, "_meta") else str(value),
)
def test_lists_do_not_query_once_per_row(
    staff_client, published, model, queries, django_assert_max_num_queries
):
    assert model._default_manager.count() >= 2

    with django_assert_max_num_queries(queries):
        assert staff_client.get(url(model, "changelist")).status_code == 200


@pytest.mark.parametrize("path", [reverse("admin:index"), url(LedgerEntry, "changelist")])
def test_anonymous_visitors_are_sent_to_the_admin_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_people_who_are_not_staff_cannot_reach_the_admin(client, officer):
    client.force_login(officer)

    response = client.get(url(LedgerEntry, "changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
