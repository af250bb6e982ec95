"""Every page carries the Content-Security-Policy and the other browser security headers
(issue 10, item 6); a response with a policy of its own (an evidence download) keeps it.

The browser's side, that no page breaks the policy and htmx still works under it, is in
tests/browser/test_content_security_policy.py; that no served template holds inline code, in
tests/test_templates_have_no_inline_code.py.
"""

import pytest
from django.urls import reverse

from commitments.models import Evidence
from commitments.services.reports import report_create
from tests.reports.public_builders import published

pytestmark = pytest.mark.django_db

SITE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy_of(response) -> dict[str, str]:
    policy = {}
    for directive in response.headers.get("Content-Security-Policy", "").split(";"):
        name, _, value = directive.strip().partition(" ")
        if name:
            policy[name] = value.strip()
    return policy


@pytest.fixture
def public_report(org, period, reviewer, program_admin):
    return published(
        org, period, reviewer=reviewer, admin=program_admin, public_file_title="Moderation policy"
    )


@pytest.fixture
def draft(other_org, period, other_officer):
    return report_create(organisation=other_org, period=period, acting_user=other_officer)


def _pages(report, draft):
    org, framework, period = report.organisation.slug, report.period.framework.key, report.period.label
    node_id = report.items.select_related("node").order_by("node__position").first().node.node_id
    return [
        # (who, name, url)
        (None, "public matrix", reverse("home")),
        (None, "organisation", reverse("public:organisation", args=[org])),
        (None, "public report", reverse("public:report", args=[org, framework, period])),
        (None, "public item", reverse("public:item", args=[org, framework, period, node_id])),
        (None, "methodology", reverse("public:methodology")),
        (None, "verify", reverse("verify:index")),
        (None, "open data index", reverse("data:index")),
        (None, "sign-in", reverse("accounts:login")),
        (None, "admin sign-in", reverse("admin:login")),
        ("other_officer", "workspace", reverse("commitments:dashboard")),
        (
            "other_officer",
            "report editor",
            reverse("commitments:report_edit", kwargs={"report_id": draft.pk}),
        ),
        ("reviewer", "review queue", reverse("commitments:review_queue")),
        ("reviewer", "review page", reverse("commitments:report_review", args=[report.pk])),
        ("reviewer", "documents", reverse("documents:index")),
        ("reviewer", "report documents", reverse("documents:report", kwargs={"report_id": report.pk})),
        ("program_admin", "program overview", reverse("reports:overview")),
        ("program_admin", "invitations", reverse("accounts:invite")),
        ("program_admin", "admin index", reverse("admin:index")),
    ]


def test_every_page_type_carries_the_policy_with_no_inline_code_allowed(
    client, request, public_report, draft
):
    checked = []
    for who, name, url in _pages(public_report, draft):
        client.logout()
        if who:
            client.force_login(request.getfixturevalue(who))
        response = client.get(url)
        assert response.status_code == 200, f"{name}: {url} answered {response.status_code}"
        policy = policy_of(response)
        assert policy == SITE_POLICY, f"{name}: {response.headers.get('Content-Security-Policy')!r}"
        assert "unsafe" not in response.headers["Content-Security-Policy"], name
        checked.append(name)
    assert len(checked) == 18


def test_error_pages_carry_the_policy_too(client, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert policy_of(response) == SITE_POLICY


def test_pages_send_the_other_browser_security_headers(client):
    response = client.get(reverse("public:methodology"))
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation"):
        assert f"{feature}=()" in permissions


def test_an_evidence_download_keeps_its_own_sandboxing_policy(client, public_report, officer):
    evidence = Evidence.objects.filter(item__report=public_report, title="Moderation policy").first()
    org, framework, period = (
        public_report.organisation.slug,
        public_report.period.framework.key,
        public_report.period.label,
    )
    public_url = reverse("public:evidence", args=[org, framework, period, evidence.pk])
    client.force_login(officer)
    staff_url = reverse("commitments:evidence_download", args=[evidence.pk])
    for url in (public_url, staff_url):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = policy_of(response)
        assert "sandbox" in policy, f"{url}: {response.headers['Content-Security-Policy']!r}"
        assert policy != SITE_POLICY


def test_a_public_page_replayed_from_the_cache_still_carries_the_policy(
    client, public_report, django_assert_max_num_queries
):
    client.get(reverse("home"))
    with django_assert_max_num_queries(0):  # a cache hit renders and queries nothing
        replayed = client.get(reverse("home"))
    assert replayed.status_code == 200
    assert policy_of(replayed) == SITE_POLICY
