import pytest
from django.urls import reverse

from commitments.models import ItemResponse, Organisation
from reports.services import publication_correct, report_publish
from tests.builders import period_for
from tests.reports.public_builders import committed_org, fill, officer_of, published, verify

pytestmark = pytest.mark.django_db

HOME = reverse("home")


@pytest.fixture
def period(framework):
    return period_for(framework, label="2025", year=2025)


def _verified_report(org, period, reviewer):
    from commitments.services.reports import report_create, report_submit

    officer = officer_of(org)
    report = report_create(organisation=org, period=period, acting_user=officer)
    fill(report, officer, narrative="Fresh narrative")
    report_submit(report=report, acting_user=officer)
    verify(report, reviewer)
    return report


def _row(client, name):
    rows = {r.organisation.name: r for r in client.get(HOME).context["m"].rows}
    return rows[name]


def test_public_pages_are_served_from_the_cache_between_publications(client, framework, period):
    org = committed_org(framework, "Acme Labs")
    assert "Acme Labs" in client.get(HOME).content.decode()

    # A change that is not a publication (here a rename through the ORM) waits for the next one.
    Organisation.objects.filter(pk=org.pk).update(name="Renamed Labs")

    assert "Acme Labs" in client.get(HOME).content.decode()


def test_a_new_publication_appears_immediately_after_publishing(
    client, framework, period, reviewer, program_admin, django_capture_on_commit_callbacks
):
    org = committed_org(framework, "Acme Labs")
    report = _verified_report(org, period, reviewer)
    organisation_url = reverse("public:organisation", args=["acme-labs"])
    assert _row(client, "Acme Labs").publication is None
    assert "Published" not in client.get(organisation_url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        report_publish(report=report, acting_user=program_admin)

    assert _row(client, "Acme Labs").publication is not None
    assert (
        reverse("public:report", args=["acme-labs", "tiny", "2025"])
        in client.get(organisation_url).content.decode()
    )


def test_a_correction_appears_immediately(
    client, framework, period, reviewer, program_admin, django_capture_on_commit_callbacks
):
    org = committed_org(framework, "Acme Labs")
    report = published(org, period, reviewer=reviewer, admin=program_admin)
    item_url = reverse("public:item", args=["acme-labs", "tiny", "2025", "tiny.p1.m1"])
    assert "Corrected narrative" not in client.get(item_url).content.decode()
    assert (
        "No published report has been corrected."
        in client.get(reverse("public:corrections")).content.decode()
    )
    # Arrange: the fix itself has no service yet (see test_public_corrections).
    ItemResponse.objects.filter(report=report, node__node_id="tiny.p1.m1").update(
        narrative="Corrected narrative"
    )

    with django_capture_on_commit_callbacks(execute=True):
        publication_correct(report=report, acting_user=program_admin, reason="Typo in the narrative.")

    assert "Corrected narrative" in client.get(item_url).content.decode()
    assert "Typo in the narrative." in client.get(reverse("public:corrections")).content.decode()


def test_the_cache_is_invalidated_only_once_the_publication_commits(
    framework, period, reviewer, program_admin, django_capture_on_commit_callbacks
):
    from reports.cache import public_generation

    report = _verified_report(committed_org(framework, "Acme Labs"), period, reviewer)
    before = public_generation()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report_publish(report=report, acting_user=program_admin)
        assert public_generation() == before

    (bump,) = [c for c in callbacks if getattr(c, "__name__", "") == "public_generation_bump"]
    bump()
    assert public_generation() == before + 1


def test_the_signed_in_header_is_not_cached_with_the_page(client, framework, period, reviewer):
    committed_org(framework, "Acme Labs")
    client.get(HOME)  # cached for an anonymous visitor

    client.force_login(reviewer)
    body = client.get(HOME).content.decode()

    assert reviewer.email in body
    assert "Sign in" not in body
