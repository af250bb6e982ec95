import gzip

import pytest
from django.test import Client
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
    report = report_submit(report=report, acting_user=officer)
    return verify(report, reviewer)


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

    for callback in callbacks:  # the commit
        callback()
    assert public_generation() == before + 1


def test_the_signed_in_header_is_not_cached_with_the_page(client, framework, period, reviewer):
    committed_org(framework, "Acme Labs")
    client.get(HOME)  # cached for an anonymous visitor

    client.force_login(reviewer)
    body = client.get(HOME).content.decode()

    assert reviewer.email in body
    assert "Sign in" not in body


# --- whole responses for anonymous visitors -------------------------------------------------------


def _page_urls():
    item = ["acme-labs", "tiny", "2025"]
    return [
        HOME,
        HOME + "?period=2025&principle=tiny.p1",
        reverse("public:methodology"),
        reverse("public:corrections"),
        reverse("public:organisation", args=["acme-labs"]),
        reverse("public:report", args=item),
        reverse("public:report_version", args=[*item, 1]),
        reverse("public:item", args=[*item, "tiny.p1.m1"]),
    ]


@pytest.fixture
def acme(framework, period, reviewer, program_admin):
    return published(committed_org(framework, "Acme Labs"), period, reviewer=reviewer, admin=program_admin)


def test_anonymous_pages_carry_no_csrf_token_or_cookie_and_are_replayed_without_rendering(client, acme):
    for url in _page_urls():
        first = client.get(url)
        body = first.content.decode()
        assert first.status_code == 200, url
        assert "csrf" not in body.lower(), url
        assert not first.cookies, url
        assert "Sign in" in body

        again = client.get(url)

        assert again.templates == [], url  # nothing rendered: the whole response came from the cache
        assert again.content == first.content
        assert again["Content-Type"] == first["Content-Type"]
        assert "Cookie" in again["Vary"]


def test_a_signed_in_user_gets_a_fresh_render_never_the_cached_anonymous_page(client, acme, reviewer):
    anonymous = Client()
    anonymous.get(HOME)
    assert anonymous.get(HOME).templates == []

    client.force_login(reviewer)
    response = client.get(HOME)

    assert "public/page.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert reviewer.email in body and "Sign in" not in body
    assert "X-CSRFToken" in body  # signed-in pages keep the token htmx sends
    assert not response.has_header("ETag")


def test_an_anonymous_visitor_never_gets_a_page_rendered_for_a_signed_in_user(client, acme, reviewer):
    signed_in = Client()
    signed_in.force_login(reviewer)
    assert reviewer.email in signed_in.get(HOME).content.decode()

    body = client.get(HOME).content.decode()

    assert reviewer.email not in body and "X-CSRFToken" not in body
    assert "Sign in" in body


def test_a_visitor_with_messages_waiting_gets_them_and_they_are_not_cached(client, acme):
    from django.contrib.messages import Message, constants
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.test import RequestFactory

    client.get(HOME)  # the anonymous page is cached
    storage = CookieStorage(RequestFactory().get(HOME))
    client.cookies[CookieStorage.cookie_name] = storage._encode([Message(constants.INFO, "MESSAGE-FOR-YOU")])

    assert "MESSAGE-FOR-YOU" in client.get(HOME).content.decode()
    assert "MESSAGE-FOR-YOU" not in Client().get(HOME).content.decode()


def test_gzip_is_served_to_visitors_who_accept_it(client, acme):
    plain = client.get(HOME)

    compressed = client.get(HOME, headers={"accept-encoding": "gzip, deflate, br"})

    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert len(compressed.content) < len(plain.content) / 2
    assert {"Accept-Encoding", "Cookie"} <= {v.strip() for v in compressed["Vary"].split(",")}
    assert not plain.has_header("Content-Encoding")
    assert compressed["ETag"] != plain["ETag"]


def test_a_revalidation_with_the_same_etag_is_answered_304(client, acme):
    etag = client.get(HOME)["ETag"]

    response = client.get(HOME, headers={"if-none-match": etag})

    assert response.status_code == 304
    assert response.content == b""


def test_a_publication_makes_cached_responses_stale_at_once(
    client, framework, period, reviewer, program_admin, django_capture_on_commit_callbacks
):
    org = committed_org(framework, "Acme Labs")
    report = _verified_report(org, period, reviewer)
    etag = client.get(HOME)["ETag"]
    assert "(corrected" not in client.get(HOME).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        report_publish(report=report, acting_user=program_admin)

    response = client.get(HOME, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response.templates  # rendered again
    assert reverse("public:report", args=["acme-labs", "tiny", "2025"]) in response.content.decode()


def test_each_full_path_is_its_own_entry(client, framework, reviewer, program_admin):
    old = period_for(framework, label="2024", year=2024)
    period_for(framework, label="2025", year=2025)
    published(committed_org(framework, "Acme Labs"), old, reviewer=reviewer, admin=program_admin)

    other = client.get(HOME + "?period=2025").content.decode()
    chosen = client.get(HOME + "?period=2024").content.decode()

    report_url = reverse("public:report", args=["acme-labs", "tiny", "2024"])
    assert report_url not in other
    assert report_url in chosen


def test_a_render_that_reads_the_csrf_token_is_never_replayed(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    from reports.cache import public_response_cached

    tokens = []
    for _ in range(2):
        request = rf.get("/any/")
        request.user = AnonymousUser()

        def render(request=request):
            tokens.append(get_token(request))
            return HttpResponse(f"<p>{tokens[-1]}</p>")

        body = public_response_cached(request, render).content.decode()
        assert body == f"<p>{tokens[-1]}</p>"

    assert len(tokens) == 2  # rendered both times: the first was not stored


@pytest.mark.parametrize("query", ["?utm_source=newsletter", "?period=2025&period=2025"])
def test_made_up_or_repeated_parameters_are_answered_but_not_kept(client, acme, query):
    first = client.get(HOME + query)
    again = client.get(HOME + query)

    assert first.status_code == again.status_code == 200
    assert again.templates  # rendered again: such spellings never become cache entries
    assert not again.has_header("ETag")
    assert client.get(HOME + "?period=2025").status_code == 200
    assert client.get(HOME + "?period=2025").templates == []
