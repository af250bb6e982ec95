"""The work pages along the whole access ladder, with hostile input: workpaper and finding forms
(posted from the auditor's item page), sign-off, attestation and its correction, and the
officer's response to a finding."""

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from audits.models import Attestation, Finding, Workpaper
from audits.services.work import attestation_sign, workpaper_sign_off
from commitments.markdown import MAX_CHARS
from commitments.vocabulary import FindingKind, LedgerEvent
from tests.audits.builders import engagement_for
from tests.audits.work_fixtures import PAPER, audit_fixture, entries, find, paper  # noqa: F401
from tests.builders import period_for
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "other_officer",
    "viewer",
    "officer",
    "reviewer",
    "auditor",  # the platform role, engaged for nothing
    "elsewhere_org",  # engaged now, for another organisation in the period
    "elsewhere_period",  # engaged now, for the organisation in another period
    "engaged",  # the first auditor of the engagement
    "second",  # its second auditor
    "admin",
)

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def item_page_url(settings):
    """Use the stand-in item page while the engagements area has not added "audits:item"."""
    try:
        reverse("audits:item", args=[1, 1])
    except NoReverseMatch:
        settings.ROOT_URLCONF = "tests.audits.work_urls"


@pytest.fixture
def people(audit, org, other_org, framework, period, officer, viewer, other_officer, reviewer, program_admin):
    elsewhere_org = UserFactory(platform_role="auditor")
    engagement_for(elsewhere_org, organisations=[other_org], periods=[period], admin=program_admin)
    elsewhere_period = UserFactory(platform_role="auditor")
    later = period_for(framework, label="2027", year=2027)
    engagement_for(elsewhere_period, organisations=[org], periods=[later], admin=program_admin)
    return {
        "anonymous": None,
        "other_officer": other_officer,
        "viewer": viewer,
        "officer": officer,
        "reviewer": reviewer,
        "auditor": UserFactory(platform_role="auditor"),
        "elsewhere_org": elsewhere_org,
        "elsewhere_period": elsewhere_period,
        "engaged": audit.first,
        "second": audit.second,
        "admin": program_admin,
    }


def as_(client, people, role):
    if people[role] is not None:
        client.force_login(people[role])
    return client


def item_url(audit, item):
    return reverse("audits:item", args=[audit.engagement.pk, item.pk]) + "#work"


def outcome(response, audit=None, item=None):
    if response.status_code == 302:
        location = response["Location"]
        if "/login" in location or "accounts" in location:
            return "login"
        if audit is not None:
            assert location == item_url(audit, item)
        else:
            assert location.endswith(("/attest/", "/respond/")), location
        return "done"
    return str(response.status_code)


def ladder(spec):
    return dict(zip(ROLES, spec.split(), strict=True))


#                  anon  other viewer officer reviewer auditor else_org else_period engaged second admin
SAVE = ladder("login 404   404    404     404      404     404      404         done    done   403")
GET_ATTEST = ladder("login 404 404    404     404      404     404      404         200     200    403")
RESPOND_GET = ladder("login 404 403   200     403      404     404      404         403     403    403")


# --- workpaper ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_saving_a_workpaper_along_the_ladder(client, audit, people, role):
    item = audit.items[0]
    url = reverse("audits:workpaper_save", args=[audit.engagement.pk, item.pk])

    response = as_(client, people, role).post(url, PAPER)

    assert outcome(response, audit, item) == SAVE[role]
    saved = Workpaper.objects.filter(item=item).first()
    if SAVE[role] == "done":
        assert saved.prepared_by == people[role]
        assert entries(LedgerEvent.WORKPAPER_SAVED)[0][0].actor_id == people[role].pk
    else:
        assert saved is None
        assert entries(LedgerEvent.WORKPAPER_SAVED) == []


SIGN_OFF = ladder("login 404   404    404     404      404     404      404         403     done   403")


@pytest.mark.parametrize("role", ROLES)
def test_signing_off_a_workpaper_along_the_ladder(client, audit, people, role):
    item = audit.items[0]
    paper(audit, item)  # prepared by the engaged (first) auditor
    url = reverse("audits:workpaper_sign_off", args=[audit.engagement.pk, item.pk])

    response = as_(client, people, role).post(url)

    assert outcome(response, audit, item) == SIGN_OFF[role]
    reviewed_by = Workpaper.objects.get(item=item).reviewed_by
    assert reviewed_by == (people[role] if SIGN_OFF[role] == "done" else None)
    if role == "engaged":
        assert "another auditor of the engagement signs it off" in response.content.decode()


def test_signing_off_an_item_without_a_workpaper_is_not_found(client, audit):
    url = reverse("audits:workpaper_sign_off", args=[audit.engagement.pk, audit.items[0].pk])

    assert client_for(client, audit.second).post(url).status_code == 404


def client_for(client, user):
    client.force_login(user)
    return client


def test_a_bad_workpaper_is_shown_again_with_everything_typed_and_nothing_saved(client, audit):
    item = audit.items[0]
    url = reverse("audits:workpaper_save", args=[audit.engagement.pk, item.pk])
    posted = {**PAPER, "procedure": HOSTILE, "sample": "x" * (MAX_CHARS + 1), "result": ""}

    response = client_for(client, audit.first).post(url, posted)

    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert f"Ensure this value has at most {MAX_CHARS:,}".replace(",", "") in page.replace(",", "")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page  # kept, escaped
    assert "<script>alert" not in page
    assert PAPER["population"] in page
    assert not Workpaper.objects.exists()


def test_a_workpaper_shows_its_preparer_and_the_sign_off_button_to_the_second_auditor(client, audit):
    item = audit.items[0]
    paper(audit, item, procedure=HOSTILE)
    page_url = reverse("audits:item", args=[audit.engagement.pk, item.pk])
    sign_off = reverse("audits:workpaper_sign_off", args=[audit.engagement.pk, item.pk])

    as_second = client_for(client, audit.second).get(page_url).content.decode()
    assert "Prepared by Ada First" in as_second
    assert "Awaiting sign-off" in as_second
    assert sign_off in as_second
    assert "&lt;script&gt;" in as_second and "<script>alert" not in as_second

    as_preparer = client_for(client, audit.first).get(page_url).content.decode()
    assert sign_off not in as_preparer

    workpaper_sign_off(workpaper=Workpaper.objects.get(item=item), acting_user=audit.second)
    signed = client_for(client, audit.first).get(page_url).content.decode()
    assert "Signed off" in signed and "Bea Second" in signed


def test_people_are_named_by_the_name_they_gave_not_by_their_email(client, audit, officer):
    # Found by the browser journey: the audit pages asked Django's get_full_name(), which joins the
    # first and last names nothing here fills in, and showed every auditor's email address instead.
    from audits.services.requests import request_answer, request_open

    item = audit.items[0]
    officer.full_name = "Noor Haddad"
    officer.save(update_fields=["full_name"])
    request = request_open(
        engagement=audit.engagement,
        item=item,
        acting_user=audit.first,
        message="The log, please.",
        due_on=timezone.localdate(),
    )
    request_answer(request=request, acting_user=officer, message="Attached.")
    paper(audit, item)
    find(audit, item)

    page = client_for(client, audit.second).get(reverse("audits:item", args=[audit.engagement.pk, item.pk]))
    text = page.content.decode()

    assert "opened today by Ada First" in text
    assert "Noor Haddad, " in text  # the reply's author
    assert "Prepared by Ada First" in text
    assert "recorded by Ada First" in text
    for person in (audit.first, officer):
        assert person.email not in text


# --- finding -----------------------------------------------------------------------------------


FINDING = {
    "kind": "nonconformity",
    "description": "Escalations are not timed.",
    "recommended_action": "Log the time of every escalation.",
    "corrective_action": "Timestamps mandatory from March.",
}


@pytest.mark.parametrize("role", ROLES)
def test_recording_a_finding_along_the_ladder(client, audit, people, role):
    item = audit.items[0]
    url = reverse("audits:finding_record", args=[audit.engagement.pk, item.pk])

    response = as_(client, people, role).post(url, FINDING)

    assert outcome(response, audit, item) == SAVE[role]
    assert Finding.objects.filter(item=item).exists() is (SAVE[role] == "done")
    assert len(entries(LedgerEvent.FINDING_RECORDED)) == (1 if SAVE[role] == "done" else 0)


@pytest.mark.parametrize(
    ("posted", "field_error"),
    [
        ({"kind": "excellent"}, "Select a valid choice"),
        ({"kind": ""}, "This field is required."),
        ({"recommended_action": ""}, "A nonconformity needs a recommended action."),
        ({"description": "x" * (MAX_CHARS + 1)}, "at most"),
    ],
)
def test_a_bad_finding_is_refused_and_shown_again(client, audit, posted, field_error):
    item = audit.items[0]
    url = reverse("audits:finding_record", args=[audit.engagement.pk, item.pk])

    response = client_for(client, audit.first).post(url, {**FINDING, "corrective_action": HOSTILE, **posted})

    assert response.status_code == 400
    page = response.content.decode()
    assert field_error in page
    assert "&lt;script&gt;alert" in page and "<script>alert" not in page
    assert not Finding.objects.exists()


def test_an_item_of_another_engagement_or_outside_scope_is_not_found(
    client, audit, other_org, period, program_admin
):
    from commitments.services.reports import report_create

    bluefin_officer = MembershipFactory(organisation=other_org, role="officer").user
    bluefin_report = report_create(organisation=other_org, period=period, acting_user=bluefin_officer)
    # The first auditor is engaged for Bluefin on another engagement: its items are not this one's.
    other = engagement_for(audit.first, organisations=[other_org], periods=[period], admin=program_admin)
    bluefin_item = bluefin_report.items.first()
    client_for(client, audit.first)

    for engagement_id, item_id in (
        (audit.engagement.pk, bluefin_item.pk),  # an item outside this engagement's scope
        (other.pk, audit.items[0].pk),  # this engagement's item under the other engagement
        (audit.engagement.pk, 999_999),
        (999_999, audit.items[0].pk),
    ):
        for name in ("workpaper_save", "finding_record", "workpaper_sign_off"):
            response = client.post(
                reverse(f"audits:{name}", args=[engagement_id, item_id]), {**PAPER, **FINDING}
            )
            assert response.status_code == 404, (name, engagement_id, item_id)

    assert not Workpaper.objects.exists()
    assert not Finding.objects.exists()


def test_the_item_page_shows_the_finding_and_the_companys_response_escaped(client, audit, officer):
    from audits.services.work import finding_respond

    item = audit.items[0]
    finding = find(audit, item, kind=FindingKind.OBSERVATION, description=HOSTILE)
    finding_respond(finding=finding, acting_user=officer, company_response="We <b>now</b> log it.")

    page = client_for(client, audit.first).get(reverse("audits:item", args=[audit.engagement.pk, item.pk]))

    text = page.content.decode()
    assert "Observation" in text
    assert "We &lt;b&gt;now&lt;/b&gt; log it." in text
    assert "<script>alert" not in text


# --- attestation -------------------------------------------------------------------------------


def complete(audit):
    for item in audit.items:
        find(audit, item)
        workpaper_sign_off(workpaper=paper(audit, item), acting_user=audit.second)


ATTEST = {"opinion": "unqualified", "statement": "Fairly stated in all material respects."}


def attest_form():
    return {**ATTEST, "attested_on": timezone.localdate().isoformat()}


@pytest.mark.parametrize("role", ROLES)
def test_the_attestation_page_along_the_ladder(client, audit, people, role):
    url = reverse("audits:attest", args=[audit.engagement.pk])

    response = as_(client, people, role).get(url)

    assert outcome(response) == GET_ATTEST[role]


SIGN = ladder("login 404   404    404     404      404     404      404         done    done   403")


@pytest.mark.parametrize("role", ROLES)
def test_signing_the_attestation_along_the_ladder(client, audit, people, role):
    complete(audit)
    url = reverse("audits:attest", args=[audit.engagement.pk])

    response = as_(client, people, role).post(url, attest_form())

    assert outcome(response) == SIGN[role]
    assert Attestation.objects.exists() is (SIGN[role] == "done")
    assert len(entries(LedgerEvent.ATTESTATION_SIGNED)) == (1 if SIGN[role] == "done" else 0)


def test_the_attestation_page_lists_what_is_missing_and_refuses_to_sign(client, audit):
    find(audit, audit.items[0])
    paper(audit, audit.items[0])
    client_for(client, audit.first)
    url = reverse("audits:attest", args=[audit.engagement.pk])

    page = client.get(url).content.decode()
    assert page.count("No finding:") == 2
    assert audit.items[1].node.title in page and audit.items[2].node.title in page
    assert "Workpaper not signed off by a second auditor" in page

    refused = client.post(url, attest_form())
    assert refused.status_code == 409
    assert "2 items without a finding" in refused.content.decode()
    assert not Attestation.objects.exists()


def test_the_workspace_leads_to_the_attestation_saying_what_is_missing_until_it_is_signed(client, audit):
    # Found by the browser journey: the attestation page was reachable only by typing its URL.
    workspace = reverse("audits:workspace", args=[audit.engagement.pk])
    attest_url = reverse("audits:attest", args=[audit.engagement.pk])
    client_for(client, audit.first)

    page = client.get(workspace).content.decode()
    assert "Not ready to attest yet: 3 items without a finding; 3 items without a workpaper." in page
    assert f'href="{attest_url}"' in page

    for item in audit.items:
        find(audit, item)
        paper(audit, item)
    page = client.get(workspace).content.decode()
    assert "Not ready to attest yet: 3 workpapers not signed off by a second auditor." in page

    for workpaper in Workpaper.objects.filter(engagement=audit.engagement):
        workpaper_sign_off(workpaper=workpaper, acting_user=audit.second)
    page = client.get(workspace).content.decode()
    assert "Not ready to attest" not in page
    assert f'<a class="button" href="{attest_url}">Sign the attestation</a>' in page

    attestation_sign(
        engagement=audit.engagement, acting_user=audit.first, **ATTEST, attested_on=timezone.localdate()
    )
    page = client.get(workspace).content.decode()
    assert "Sign the attestation" not in page
    assert "Attested</span> Unqualified opinion" in page
    assert f'<a href="{attest_url}">See the attestation</a>' in page


def test_the_engagement_page_links_the_attestation_for_its_auditors_only(client, audit, program_admin):
    engagement_url = reverse("audits:engagement", args=[audit.engagement.pk])
    attest_url = reverse("audits:attest", args=[audit.engagement.pk])

    assert f'href="{attest_url}"' in client_for(client, audit.second).get(engagement_url).content.decode()
    # The program admin follows the engagement but does not audit it: the page would be a 403.
    as_admin = client_for(client, program_admin).get(engagement_url)
    assert as_admin.status_code == 200
    assert f'href="{attest_url}"' not in as_admin.content.decode()


def test_the_signed_attestation_links_its_public_page(client, audit):
    complete(audit)
    attestation = attestation_sign(
        engagement=audit.engagement, acting_user=audit.first, **ATTEST, attested_on=timezone.localdate()
    )

    page = client_for(client, audit.first).get(reverse("audits:attest", args=[audit.engagement.pk]))

    assert reverse("audits:public_attestation", args=[attestation.pk]) in page.content.decode()


@pytest.mark.parametrize(
    ("posted", "error"),
    [
        ({"opinion": "glowing"}, "Select a valid choice"),
        ({"attested_on": "2026-02-30"}, "Enter a real date"),
        ({"attested_on": "2026-13-01"}, "Enter a real date"),
        ({"attested_on": "yesterday'); DROP TABLE"}, "Enter a real date"),
        ({"attested_on": "9999-12-31"}, "cannot be dated in the future"),
        ({"statement": ""}, "This field is required."),
        ({"statement": "x" * (MAX_CHARS + 1)}, "at most"),
    ],
)
def test_a_bad_attestation_is_refused_and_shown_again(client, audit, posted, error):
    complete(audit)

    response = client_for(client, audit.first).post(
        reverse("audits:attest", args=[audit.engagement.pk]), {**attest_form(), **posted}
    )

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Attestation.objects.exists()


def test_after_attestation_the_page_shows_it_read_only_and_the_forms_are_gone(client, audit):
    complete(audit)
    attestation_sign(
        engagement=audit.engagement,
        acting_user=audit.first,
        opinion="qualified",
        statement=HOSTILE,
        attested_on=timezone.localdate(),
    )
    client_for(client, audit.second)

    page = client.get(reverse("audits:attest", args=[audit.engagement.pk])).content.decode()
    assert "Signed attestation" in page and "Qualified opinion" in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert reverse("audits:attest_correct", args=[audit.engagement.pk]) in page

    again = client.post(reverse("audits:attest", args=[audit.engagement.pk]), attest_form())
    assert again.status_code == 409
    assert Attestation.objects.count() == 1

    item_page = client.get(
        reverse("audits:item", args=[audit.engagement.pk, audit.items[0].pk])
    ).content.decode()
    assert reverse("audits:workpaper_save", args=[audit.engagement.pk, audit.items[0].pk]) not in item_page
    assert "no longer change" in item_page
    refused = client.post(
        reverse("audits:finding_record", args=[audit.engagement.pk, audit.items[0].pk]), FINDING
    )
    assert refused.status_code == 409


CORRECT = ladder("login 404   404    404     404      404     404      404         done    done   403")


@pytest.mark.parametrize("role", ROLES)
def test_correcting_the_attestation_along_the_ladder(client, audit, people, role):
    complete(audit)
    first = attestation_sign(
        engagement=audit.engagement,
        acting_user=audit.first,
        opinion="unqualified",
        statement="First.",
        attested_on=timezone.localdate(),
    )
    url = reverse("audits:attest_correct", args=[audit.engagement.pk])

    response = as_(client, people, role).post(
        url, {**attest_form(), "opinion": "qualified", "reason": "Late cases."}
    )

    assert outcome(response) == CORRECT[role]
    current = Attestation.objects.current().get()
    if CORRECT[role] == "done":
        assert current.corrects == first and current.correction_reason == "Late cases."
    else:
        assert current == first


def test_a_correction_without_a_reason_is_refused_and_the_old_stays_readable(client, audit):
    complete(audit)
    attestation_sign(
        engagement=audit.engagement,
        acting_user=audit.first,
        opinion="unqualified",
        statement="The first statement.",
        attested_on=timezone.localdate(),
    )
    client_for(client, audit.first)

    refused = client.post(
        reverse("audits:attest_correct", args=[audit.engagement.pk]), {**attest_form(), "reason": ""}
    )
    assert refused.status_code == 400
    assert Attestation.objects.count() == 1

    client.post(
        reverse("audits:attest_correct", args=[audit.engagement.pk]),
        {**attest_form(), "opinion": "adverse", "statement": "The corrected statement.", "reason": "Wrong."},
    )
    page = client.get(reverse("audits:attest", args=[audit.engagement.pk])).content.decode()
    assert "Correction, in force" in page and "The corrected statement." in page
    assert "Replaced by a later correction" in page and "The first statement." in page


# --- the company's response ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_response_page_along_the_ladder(client, audit, people, role):
    finding = find(audit, audit.items[0], kind=FindingKind.OBSERVATION)
    url = reverse("audits:finding_respond", args=[finding.pk])

    assert outcome(as_(client, people, role).get(url)) == RESPOND_GET[role]

    response = client.post(url, {"company_response": "We now log the time."})
    expected = {"200": "done"}.get(RESPOND_GET[role], RESPOND_GET[role])
    assert outcome(response) == expected
    saved = Finding.objects.get(pk=finding.pk).company_response
    assert saved == ("We now log the time." if expected == "done" else "")


def test_an_unknown_finding_is_not_found(client, officer):
    client.force_login(officer)

    assert client.get(reverse("audits:finding_respond", args=[999_999])).status_code == 404


@pytest.mark.parametrize("text", ["", "x" * (MAX_CHARS + 1)])
def test_a_bad_response_is_refused_and_shown_again(client, audit, officer, text):
    finding = find(audit, audit.items[0], kind=FindingKind.OBSERVATION)

    response = client_for(client, officer).post(
        reverse("audits:finding_respond", args=[finding.pk]), {"company_response": text}
    )

    assert response.status_code == 400
    assert Finding.objects.get(pk=finding.pk).company_response == ""


def test_the_response_page_shows_the_finding_escaped_and_no_form_once_attested(client, audit, officer):
    complete(audit)
    finding = find(
        audit, audit.items[0], kind=FindingKind.NONCONFORMITY, description=HOSTILE, recommended_action="Fix."
    )
    client_for(client, officer)
    url = reverse("audits:finding_respond", args=[finding.pk])
    page = client.get(url).content.decode()
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert "Save response" in page

    attestation_sign(
        engagement=audit.engagement,
        acting_user=audit.first,
        opinion="qualified",
        statement="S.",
        attested_on=timezone.localdate(),
    )
    after = client.get(url).content.decode()
    assert "Save response" not in after
    refused = client.post(url, {"company_response": "Too late."})
    assert refused.status_code == 409
    assert Finding.objects.get(pk=finding.pk).company_response == ""


def test_a_finding_that_conforms_offers_no_response_form(client, audit, officer):
    finding = find(audit, audit.items[0], kind=FindingKind.CONFORMS)

    page = (
        client_for(client, officer).get(reverse("audits:finding_respond", args=[finding.pk])).content.decode()
    )

    assert "Save response" not in page
    assert "nothing to respond to" in page
