"""With the cache unreachable (CACHE_URL pointing at a Redis on a dead port), the site degrades and
never breaks: every public and sign-in page answers as it does with the cache, rendered uncached;
rate limits still hold, counted per process; the log says why, once, not once per request.
"""

import re
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from commitments.models import Evidence
from reports.models import ReportArtifact
from reports.pdf.services import artifact_read
from tests.builders import period_for, small_framework
from tests.config.support import dead_port, redis_cache_at
from tests.factories import UserFactory
from tests.reports.pdf.verify_world import render
from tests.reports.public_builders import committed_org, published
from tests.samples import pdf_bytes

pytestmark = pytest.mark.django_db

# The namespaces of reports/urls/ that anyone may open without signing in.
PUBLIC_NAMESPACES = ("public", "data", "verify")


@dataclass
class Site:
    public_pdf: ReportArtifact
    pdf: bytes
    urls: dict[str, list[str]]  # by URL name: what to fetch


@pytest.fixture
def site() -> Site:
    framework = small_framework()
    period = period_for(framework)
    admin = UserFactory(platform_role="program_admin", is_staff=True)
    org = committed_org(framework, "Northwind Models", "northwind-models")
    report = published(
        org,
        period,
        reviewer=UserFactory(platform_role="reviewer"),
        admin=admin,
        public_file_title="Moderation policy",
        restricted_title="Internal audit memo",
    )
    public_pdf = render("public", report=report, admin=admin)
    public_file = Evidence.objects.filter(item__report=report, visibility="public").exclude(sha256="").first()
    restricted = Evidence.objects.filter(item__report=report, visibility="restricted").first()
    item = report.items.select_related("node").order_by("node__position").first()
    report_args = ["northwind-models", framework.key, period.label]
    version = report.publications.order_by("-version").first().version
    urls = {
        "home": [reverse("home"), reverse("home") + "?framework=nope"],  # 404: no such framework
        "public:methodology": [reverse("public:methodology")],
        "public:corrections": [reverse("public:corrections")],
        "public:organisation": [
            reverse("public:organisation", args=["northwind-models"]),
            reverse("public:organisation", args=["no-such-organisation"]),  # 404
        ],
        "public:report": [reverse("public:report", args=report_args)],
        "public:report_version": [reverse("public:report_version", args=[*report_args, version])],
        "public:item": [reverse("public:item", args=[*report_args, item.node.node_id])],
        "public:item_version": [
            reverse("public:item_version", args=[*report_args, version, item.node.node_id])
        ],
        "public:evidence": [
            reverse("public:evidence", args=[*report_args, public_file.pk]),
            reverse("public:evidence", args=[*report_args, restricted.pk]),  # 404: never public
        ],
        "data:index": [reverse("data:index")],
        "data:feed": [reverse("data:feed")],
        "data:schema": [reverse("data:schema")],
        "data:period": [reverse("data:period", args=[framework.key, period.label])],
        "verify:index": [
            reverse("verify:index"),
            reverse("verify:index") + f"?id={public_pdf.document_id}",
            reverse("verify:index") + f"?sha256={public_pdf.sha256}",
        ],
        "verify:root_pem": [reverse("verify:root_pem")],
        "verify:manifest_schema": [reverse("verify:manifest_schema")],
        "verify:document": [reverse("verify:document", args=[public_pdf.document_id])],
        "accounts:login": [reverse("accounts:login")],
        "accounts:password_reset": [reverse("accounts:password_reset")],
    }
    return Site(public_pdf=public_pdf, pdf=artifact_read(public_pdf), urls=urls)


def _open_data_files(client: Client, site: Site) -> list[str]:
    """The files a period's open-data page links to, whatever they are called."""
    (period_url,) = site.urls["data:period"]
    page = client.get(period_url).content.decode()
    return sorted(set(re.findall(rf'href="({re.escape(period_url)}[^"/]+)"', page)))


def _walk(client: Client, site: Site) -> dict[str, int]:
    statuses = {}
    for url in [u for urls in site.urls.values() for u in urls] + _open_data_files(client, site):
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        statuses[url] = response.status_code
    return statuses


def _dead_cache():
    return override_settings(CACHES=redis_cache_at(f"redis://:hunter2@127.0.0.1:{dead_port()}/1"))


def _public_url_names() -> set[str]:
    names = {"home"}
    for resolver in get_resolver().url_patterns:
        if isinstance(resolver, URLResolver):
            for inner in resolver.url_patterns:
                if isinstance(inner, URLResolver) and inner.namespace in PUBLIC_NAMESPACES:
                    names |= {
                        f"{inner.namespace}:{p.name}" for p in inner.url_patterns if isinstance(p, URLPattern)
                    }
    return names


def test_every_public_url_is_walked(site):
    walked = set(site.urls) | {"data:file"}  # the files, from the period page's links
    assert _public_url_names() <= walked


def test_every_public_page_answers_as_usual_with_the_cache_dead(site, cache_outage, caplog):
    usual = _walk(Client(), site)
    assert set(usual.values()) <= {200, 404}
    assert list(usual.values()).count(404) == 3  # no such framework, organisation; a restricted file
    assert len(_open_data_files(Client(), site)) >= 3

    with _dead_cache():
        degraded = _walk(Client(), site)
        anonymous_again = Client().get(reverse("public:methodology"))

    assert degraded == usual
    assert anonymous_again.status_code == 200
    # The log says why, once for the whole walk (dozens of failed cache calls), never the password.
    warnings = [r for r in caplog.records if r.name == "pledgeproof.cache"]
    assert len(warnings) == 1
    assert warnings[0].levelname == "WARNING"
    assert "Cache unreachable (ConnectionError" in warnings[0].getMessage()
    assert "public pages are rendered uncached" in warnings[0].getMessage()
    assert "hunter2" not in caplog.text


def test_with_the_cache_dead_a_publication_shows_at_once_since_nothing_is_kept(site, cache_outage):
    with _dead_cache():
        client = Client()
        before = client.get(reverse("public:methodology")).content
        assert client.get(reverse("public:methodology")).content == before
        # A change made behind the cache's back (no publication) shows at once: nothing was kept.
        from commitments.models import Organisation

        Organisation.objects.filter(slug="northwind-models").update(name="Renamed Models")
        assert "Renamed Models" in client.get(reverse("home")).content.decode()


def test_the_warning_repeats_after_a_minute_with_the_count_of_failures(
    site, cache_outage, caplog, monkeypatch
):
    with _dead_cache():
        client = Client()
        client.get(reverse("public:methodology"))
        cache_outage.retry_at = 0.0  # as if the pause had passed: ask the cache again
        client.get(reverse("public:methodology"))
        cache_outage.retry_at = cache_outage.next_warning_at = 0.0  # and a minute had passed
        client.get(reverse("public:methodology"))

    messages = [r.getMessage() for r in caplog.records if r.name == "pledgeproof.cache"]
    assert len(messages) == 2
    assert "(1 failure since the last warning" in messages[0]
    assert "(2 failures since the last warning" in messages[1]


def test_pages_are_cached_again_once_the_cache_answers(site, cache_outage, django_assert_num_queries):
    with _dead_cache():
        Client().get(reverse("public:methodology"))
    cache_outage.reset()  # the pause after the failure has passed

    client = Client()
    client.get(reverse("public:corrections"))
    with django_assert_num_queries(0):
        assert client.get(reverse("public:corrections")).status_code == 200


def test_sign_in_and_password_reset_work_with_the_cache_dead(
    site, cache_outage, mailoutbox, django_capture_on_commit_callbacks
):
    person = UserFactory(email="ana@example.test")
    with _dead_cache():
        client = Client()
        wrong = client.post(reverse("accounts:login"), {"username": person.email, "password": "nope"})
        right = client.post(
            reverse("accounts:login"), {"username": person.email, "password": "correct horse battery"}
        )
        with django_capture_on_commit_callbacks(execute=True):
            reset = Client().post(reverse("accounts:password_reset"), {"email": person.email})

    assert wrong.status_code == 200 and "do not match an account" in wrong.content.decode()
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)
    assert reset.status_code == 302
    assert len(mailoutbox) == 1


def test_with_the_cache_dead_sign_in_limits_still_hold_counted_in_this_process(site, cache_outage, settings):
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 3
    with _dead_cache():
        client = Client(REMOTE_ADDR="203.0.113.9")
        for n in range(3):
            response = client.post(
                reverse("accounts:login"), {"username": f"t{n}@example.test", "password": "x"}
            )
            assert response.status_code == 200
        paused = client.post(reverse("accounts:login"), {"username": "t9@example.test", "password": "x"})
        elsewhere = Client(REMOTE_ADDR="198.51.100.4").post(
            reverse("accounts:login"), {"username": "t9@example.test", "password": "x"}
        )

    assert paused.status_code == 429
    assert "Too many failed sign-in attempts from your network" in paused.content.decode()
    assert elsewhere.status_code == 200


def test_with_the_cache_dead_the_pdf_upload_limit_still_holds(site, cache_outage, settings):
    settings.PDF_VERIFY_UPLOADS_PER_MINUTE = 2

    def upload(client):
        return client.post(
            reverse("verify:index"),
            {"pdf": SimpleUploadedFile("r.pdf", site.pdf, content_type="application/pdf")},
        )

    with _dead_cache():
        client = Client(REMOTE_ADDR="203.0.113.10")
        first, second, third = upload(client), upload(client), upload(client)

    assert (first.status_code, second.status_code) == (200, 200)
    assert "genuine" in first.content.decode().lower()
    assert third.status_code == 429


def test_an_upload_that_is_not_a_pdf_is_still_refused_with_the_cache_dead(site, cache_outage):
    with _dead_cache():
        response = Client().post(
            reverse("verify:index"),
            {"pdf": SimpleUploadedFile("r.pdf", pdf_bytes("x")[5:], content_type="application/pdf")},
        )
    assert response.status_code == 400
