"""No view tells an id that exists apart from one that does not, unless the object is the user's to see.

Every URL that takes an id is listed in CASES, with pairs of arguments: one naming an object of
another organisation (or one that is not public), one naming nothing at all. A signed-in member of
another organisation, and an anonymous visitor, must get the same answer for both: the same status
(404, or the same 403 / sign-in redirect where the page is closed to them whatever the id) and the
same message. A new URL with an id fails `test_every_url_that_takes_an_id_is_listed` until it is
added here.

Each case also names the action its view asks the access gate (commitments.access) for; the pages
answer every role of the ladder as the gate does for that action (tests/commitments/test_access_gate.py
checks the gate itself against the table).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils import timezone

from commitments import access
from commitments.access import Action
from commitments.models import Evidence, ProgressReport
from commitments.services.evidence import evidence_add
from commitments.services.reports import report_create
from commitments.vocabulary import FindingKind
from tests.audits.builders import engagement_for
from tests.audits.public_builders import finding_record
from tests.factories import MembershipFactory, UserFactory
from tests.reports.pdf.verify_world import rendered_world
from tests.reports.public_builders import EFFECTIVE, committed_org, officer_of

pytestmark = pytest.mark.django_db

ABSENT = 987654  # no row of any kind has this id in these tests
NO_SUCH_ORGANISATION = "no-such-organisation"
# Django's admin is for staff only and has its own model permissions; it is not part of this check.
# The REST API's endpoints are checked the same way, row by row of its access matrix
# (tests/api/test_access_matrix.py: an unknown id gets the answer of an object not yours).
NOT_CHECKED_NAMESPACES = {"admin", "api"}


@dataclass
class World:
    report: ProgressReport  # Northwind's published report, with restricted evidence and signed PDFs
    item: Any
    evidence: Evidence  # a restricted file of Northwind's report
    public_pdf: Any
    audit_pdf: Any
    outsider: Any  # an officer of Bluefin, another organisation
    own_report: ProgressReport  # Bluefin's report, a draft, with a public file
    own_evidence: Evidence
    ladder: dict[str, Any]  # people of the access ladder, by role, for Northwind's report
    engagement: Any  # an open audit engagement of Northwind's report, by an auditor of the ladder's
    finding: Any  # an observation on Northwind's first item in it

    @property
    def period(self):
        return self.report.period

    def public_report(self, slug: str, **extra) -> dict[str, Any]:
        return {"slug": slug, "framework": self.period.framework.key, "period": self.period.label, **extra}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key) -> Iterator[World]:
    with rendered_world(django_db_blocker, audit=True) as built:
        bluefin = committed_org(built.report.period.framework, "Bluefin Labs", "bluefin-labs")
        outsider = officer_of(bluefin)
        own_report = report_create(organisation=bluefin, period=built.report.period, acting_user=outsider)
        own_item = own_report.items.order_by("node__position").first()
        own_evidence = evidence_add(
            item=own_item,
            acting_user=outsider,
            title="Bluefin policy",
            effective_date=EFFECTIVE,
            visibility="public",
            url="https://example.test/bluefin-policy",
        )
        engagement = engagement_for(
            UserFactory(platform_role="auditor"),
            organisations=[built.report.organisation],
            periods=[built.report.period],
            admin=built.admin,
        )
        first_item = built.report.items.order_by("node__position").first()
        finding = finding_record(
            engagement, first_item, FindingKind.OBSERVATION, by=engagement.auditors.first().auditor
        )
        yield World(
            report=built.report,
            item=built.report.items.order_by("node__position").first(),
            evidence=Evidence.objects.filter(item__report=built.report, visibility="restricted").first(),
            public_pdf=built.public_v1,
            audit_pdf=built.audit,
            outsider=outsider,
            own_report=own_report,
            own_evidence=own_evidence,
            ladder={
                "viewer": MembershipFactory(organisation=built.report.organisation, role="viewer").user,
                "officer": officer_of(built.report.organisation),
                "reviewer": UserFactory(platform_role="reviewer"),
                "auditor": UserFactory(platform_role="auditor"),
                "program_admin": built.admin,
            },
            engagement=engagement,
            finding=finding,
        )


Pairs = Callable[[World], list[tuple[dict[str, Any], dict[str, Any]]]]


@dataclass(frozen=True)
class Case:
    methods: tuple[str, ...]
    pairs: Pairs  # (arguments naming another organisation's object, arguments naming nothing)
    # What the view asks the access gate for (a function of the URL's arguments where they decide);
    # None for the public site and /verify/, which answer from what is published, for everyone alike.
    action: Action | Callable[[dict[str, Any]], Action] | None
    public: bool = False  # answered without signing in
    outsider: int = 404  # what another organisation's member gets, for both


def _report(w: World) -> list[tuple[dict, dict]]:
    return [({"report_id": w.report.pk}, {"report_id": ABSENT})]


def _item(w: World) -> list[tuple[dict, dict]]:
    return [
        ({"report_id": w.report.pk, "item_id": w.item.pk}, {"report_id": ABSENT, "item_id": ABSENT}),
        # Their own report with another organisation's item in it.
        (
            {"report_id": w.own_report.pk, "item_id": w.item.pk},
            {"report_id": w.own_report.pk, "item_id": ABSENT},
        ),
    ]


def _period(w: World) -> list[tuple[dict, dict]]:
    return [({"period_id": w.period.pk}, {"period_id": ABSENT})]


def _artifact(w: World) -> list[tuple[dict, dict]]:
    return [
        ({"artifact_id": w.audit_pdf.pk}, {"artifact_id": ABSENT}),
        ({"artifact_id": w.public_pdf.pk}, {"artifact_id": ABSENT}),
    ]


def _unpublished(**extra) -> Pairs:
    """Bluefin's report is not published: as unknown on the public site as a made-up organisation."""
    return lambda w: [
        (w.public_report("bluefin-labs", **extra), w.public_report(NO_SUCH_ORGANISATION, **extra))
    ]


def _engagement(w: World) -> list[tuple[dict, dict]]:
    return [({"engagement_id": w.engagement.pk}, {"engagement_id": ABSENT})]


def _engagement_item(w: World) -> list[tuple[dict, dict]]:
    return [
        (
            {"engagement_id": w.engagement.pk, "item_id": w.item.pk},
            {"engagement_id": ABSENT, "item_id": ABSENT},
        ),
        (
            {"engagement_id": w.engagement.pk, "item_id": w.own_report.items.first().pk},
            {"engagement_id": w.engagement.pk, "item_id": ABSENT},
        ),
    ]


def _audit_request(w: World):
    """An evidence request of an engagement on Northwind's report, answered with a file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from audits.services.requests import request_answer, request_open
    from tests.audits.builders import engagement_for

    auditor = UserFactory(platform_role="auditor")
    engagement = engagement_for(
        auditor, organisations=[w.report.organisation], periods=[w.period], admin=w.ladder["program_admin"]
    )
    evidence_request = request_open(
        engagement=engagement,
        item=w.item,
        acting_user=auditor,
        message="More, please.",
        due_on=timezone.localdate(),
    )
    reply = request_answer(
        request=evidence_request,
        acting_user=w.ladder["officer"],
        file=SimpleUploadedFile("log.txt", b"Escalations: 4\n"),
    )
    return evidence_request, reply


def _audit_requests(w: World) -> list[tuple[dict, dict]]:
    evidence_request, _reply = _audit_request(w)
    return [({"request_id": evidence_request.pk}, {"request_id": ABSENT})]


def _audit_reply_files(w: World) -> list[tuple[dict, dict]]:
    evidence_request, reply = _audit_request(w)
    return [
        (
            {"request_id": evidence_request.pk, "reply_id": reply.pk},
            {"request_id": ABSENT, "reply_id": ABSENT},
        ),
        (
            {"request_id": evidence_request.pk, "reply_id": reply.pk},
            {"request_id": evidence_request.pk, "reply_id": ABSENT},
        ),
    ]


def _audit_items(w: World) -> list[tuple[dict, dict]]:
    evidence_request, _reply = _audit_request(w)
    return [
        (
            {"engagement_id": evidence_request.engagement_id, "item_id": w.item.pk},
            {"engagement_id": ABSENT, "item_id": ABSENT},
        )
    ]


def _bundle(w: World) -> list[tuple[dict, dict]]:
    """A bundle of the engagement, asked for by its auditor (its build is never run here)."""
    from bundles.services import bundle_request

    bundle = bundle_request(acting_user=w.engagement.auditors.first().auditor, engagement=w.engagement)
    return [({"bundle_id": bundle.pk}, {"bundle_id": ABSENT})]


def _token(w: World) -> list[tuple[dict, dict]]:
    from api.services import api_token_create

    theirs = api_token_create(user=w.ladder["officer"], name="their script", scope="read").token
    return [({"pk": theirs.pk}, {"pk": ABSENT})]


CASES: dict[str, Case] = {
    # One's own API tokens: nobody else's is anything but unknown (the gate is not asked: a token is
    # its owner's alone).
    "api_tokens:revoke": Case(("post",), _token, None),
    # The officer workspace.
    "commitments:report_start": Case(
        ("post",),
        lambda w: [
            (
                {"org_slug": w.report.organisation.slug, "period_id": w.period.pk},
                {"org_slug": NO_SUCH_ORGANISATION, "period_id": w.period.pk},
            )
        ],
        Action.START_REPORT,
    ),
    "commitments:report_edit": Case(("get",), _report, Action.READ),
    "commitments:report_submit": Case(("post",), _report, Action.SUBMIT),
    "commitments:item_save": Case(("post",), _item, Action.EDIT),
    "commitments:item_preview": Case(("post",), _item, Action.EDIT),
    "commitments:evidence_add": Case(("post",), _item, Action.EDIT),
    # The follow-up of an audit's corrective action: the gate's EDIT on the report, then a finding the
    # report does not follow up is as unknown as none; the whole ladder is checked in
    # tests/audits/test_work_follow_up_views.py (an allowed officer gets a 404 for an observation,
    # which the ladder test below would read as the gate's).
    "commitments:follow_up_save": Case(
        ("post",),
        lambda w: [
            (
                {"report_id": w.report.pk, "finding_id": w.finding.pk},
                {"report_id": ABSENT, "finding_id": ABSENT},
            ),
            (
                {"report_id": w.own_report.pk, "finding_id": w.finding.pk},
                {"report_id": w.own_report.pk, "finding_id": ABSENT},
            ),
        ],
        None,
    ),
    "commitments:evidence_download": Case(
        ("get",), lambda w: [({"evidence_id": w.evidence.pk}, {"evidence_id": ABSENT})], Action.READ
    ),
    # Review pages.
    "commitments:report_review": Case(("get",), _report, Action.READ),
    "commitments:review_start": Case(("post",), _report, Action.REVIEW),
    "commitments:review_verify": Case(("post",), _report, Action.REVIEW),
    "commitments:review_request_changes": Case(("post",), _report, Action.REVIEW),
    "commitments:review_item_verdict": Case(("post",), _item, Action.REVIEW),
    "commitments:review_item_comment": Case(("post",), _item, Action.COMMENT),
    "commitments:review_item_response": Case(("post",), _item, Action.RESPOND),
    "commitments:report_history": Case(("get",), _report, Action.READ),
    # Program staff.
    "reports:report_publish": Case(("post",), _report, Action.PUBLISH),
    "reports:report_correct": Case(("get", "post"), _report, Action.CORRECT),
    # Signed PDFs in the web app. The period pages are closed to organisation members whatever the id.
    "documents:report": Case(("get",), _report, Action.READ_DOCUMENTS),
    "documents:generate": Case(
        ("post",),
        lambda w: [
            ({"report_id": w.report.pk, "kind": "audit"}, {"report_id": ABSENT, "kind": "audit"}),
            ({"report_id": w.report.pk, "kind": "public"}, {"report_id": ABSENT, "kind": "public"}),
        ],
        lambda kwargs: access.document_action(kwargs["kind"], Action.REQUEST_PDF),
    ),
    "documents:period": Case(("get",), _period, Action.READ_DOCUMENTS, outsider=403),
    "documents:generate_summary": Case(("post",), _period, Action.REQUEST_PDF, outsider=403),
    "documents:retry": Case(("post",), _artifact, Action.REQUEST_PDF),
    "documents:download": Case(("get",), _artifact, Action.READ),
    # Evidence requests of audit engagements. Their loaders (audits.views.requests: the engagement's
    # AUDIT, or RESPOND / AUDIT on the request's report) are checked along the ladder in
    # tests/audits/test_requests_views.py, so no single gate action is named here.
    "audits:request_open": Case(("post",), _audit_items, None),
    "audits:request": Case(("get", "post"), _audit_requests, None),
    "audits:request_close": Case(("post",), _audit_requests, None),
    "audits:request_reply_file": Case(("get",), _audit_reply_files, None),
    "audits:request_reply_preview": Case(("get",), _audit_reply_files, None),
    # The public site and /verify/.
    "public:report_version": Case(("get",), _unpublished(version=1), None, public=True),
    "public:item_version": Case(("get",), _unpublished(version=1, node_id="tiny.p1.m1"), None, public=True),
    "public:item": Case(("get",), _unpublished(node_id="tiny.p1.m1"), None, public=True),
    "public:evidence": Case(
        ("get",),
        lambda w: [
            # A restricted file of a published report, and a file of a report not published.
            (
                w.public_report("northwind-models", evidence_id=w.evidence.pk),
                w.public_report("northwind-models", evidence_id=ABSENT),
            ),
            (
                w.public_report("bluefin-labs", evidence_id=w.own_evidence.pk),
                w.public_report("bluefin-labs", evidence_id=ABSENT),
            ),
        ],
        None,
        public=True,
    ),
    # Every attestation is public: an id naming another kind of row (as an engagement's does before
    # it is attested) is as unknown as one naming nothing.
    "audits:public_attestation": Case(
        ("get",), lambda w: [({"attestation_id": w.report.pk}, {"attestation_id": ABSENT})], None, public=True
    ),
    # Audit work: the engagement's auditors and admins only (tests/audits checks the whole ladder).
    **{
        name: Case(("post",), _engagement_item, None)
        for name in ("audits:workpaper_save", "audits:workpaper_sign_off", "audits:finding_record")
    },
    "audits:engagement": Case(("get",), _engagement, None),
    "audits:declare": Case(("get", "post"), _engagement, None),
    "audits:workspace": Case(("get",), _engagement, None),
    "audits:item": Case(("get",), _engagement_item, None),
    "audits:evidence_preview": Case(
        ("get",),
        lambda w: [
            (
                {"engagement_id": w.engagement.pk, "evidence_id": w.evidence.pk},
                {"engagement_id": ABSENT, "evidence_id": ABSENT},
            ),
            (
                {"engagement_id": w.engagement.pk, "evidence_id": w.own_evidence.pk},
                {"engagement_id": w.engagement.pk, "evidence_id": ABSENT},
            ),
        ],
        None,
    ),
    "audits:attest": Case(("get", "post"), _engagement, None),
    "audits:attest_correct": Case(("post",), _engagement, None),
    "audits:finding_respond": Case(
        ("get", "post"), lambda w: [({"finding_id": w.finding.pk}, {"finding_id": ABSENT})], None
    ),
    # Audit bundles (issue 16): an engagement's for its auditors (tests/bundles checks the ladder), a
    # report's for whoever may read its audit PDF, and each bundle its requester's alone.
    "bundles:engagement": Case(("get", "post"), _engagement, None),
    "bundles:report": Case(("get", "post"), _report, Action.READ_AUDIT),
    "bundles:download": Case(("get",), _bundle, None),
    "verify:document": Case(
        ("get",),
        lambda w: [({"document_id": w.audit_pdf.document_id}, {"document_id": "PP-2026-987654-audit-v1"})],
        None,
        public=True,
    ),
}


# --- every URL with an id is listed -------------------------------------------------------------------


def _routes(patterns, namespace: str = "", converters: dict | None = None) -> Iterator[tuple[str, dict]]:
    for pattern in patterns:
        found = {**(converters or {}), **getattr(pattern.pattern, "converters", {})}
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _routes(pattern.url_patterns, inner, found)
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}:{pattern.name}" if namespace else str(pattern.name)), found


def _takes_an_id(converters: dict) -> bool:
    return any(
        isinstance(converter, IntConverter) or name == "id" or name.endswith("_id")
        for name, converter in converters.items()
    )


def test_every_url_that_takes_an_id_is_listed():
    taking_ids = {
        name
        for name, converters in _routes(get_resolver().url_patterns)
        if _takes_an_id(converters) and name.split(":")[0] not in NOT_CHECKED_NAMESPACES
    }

    assert taking_ids - set(CASES) == set(), "add these URLs to CASES with an object that is not the user's"
    assert set(CASES) - taking_ids == set(), "these URLs in CASES no longer take an id"


# --- the same answer for both ------------------------------------------------------------------------


def _answer(client, method: str, name: str, kwargs: dict[str, Any]) -> tuple[int, str | None]:
    """The status, and what the page says: the error's message, or where a redirect goes."""
    response = getattr(client, method)(reverse(name, kwargs=kwargs))
    if response.status_code in (403, 404):
        return response.status_code, response.context["exception"]
    if response.status_code == 302:
        return response.status_code, response["Location"].split("?")[0]
    return response.status_code, None


CALLS = [(name, method) for name, case in CASES.items() for method in case.methods]


@pytest.mark.parametrize(("name", "method"), CALLS)
def test_another_organisation_cannot_tell_its_objects_from_ids_that_do_not_exist(client, world, name, method):
    case = CASES[name]
    client.force_login(world.outsider)

    for theirs, absent in case.pairs(world):
        answer = _answer(client, method, name, theirs)

        assert answer == _answer(client, method, name, absent), theirs
        assert answer[0] == case.outsider, theirs


@pytest.mark.parametrize(("name", "method"), CALLS)
def test_an_anonymous_visitor_cannot_tell_them_apart_either(client, world, name, method):
    case = CASES[name]
    expected = (404,) if case.public else (302, resolve_url(settings.LOGIN_URL))

    for theirs, absent in case.pairs(world):
        answer = _answer(client, method, name, theirs)

        assert answer == _answer(client, method, name, absent), theirs
        assert answer[: len(expected)] == expected, theirs


# --- every role of the ladder gets what the gate says ------------------------------------------------


def _ask_gate(user, action: Action, kwargs: dict[str, Any]) -> Any:
    """The gate's loader for the object these URL arguments name, as the view calls it."""
    if "item_id" in kwargs:
        return access.item_for(user, kwargs["report_id"], kwargs["item_id"], action=action)
    if "report_id" in kwargs:
        return access.report_for(user, kwargs["report_id"], action=action)
    if "evidence_id" in kwargs:
        return access.evidence_for(user, kwargs["evidence_id"], action=action)
    if "artifact_id" in kwargs:
        return access.artifact_for(user, kwargs["artifact_id"], action=action)
    if "org_slug" in kwargs:
        return access.organisation_for(user, kwargs["org_slug"], action=action)
    return access.period_for(user, kwargs["period_id"], action=action)


def _gate(user, action: Action, kwargs: dict[str, Any]) -> int | None:
    """What the gate answers: None (the view goes on), 403 or 404."""
    try:
        _ask_gate(user, action, kwargs)
    except Http404:
        return 404
    except PermissionDenied:
        return 403
    return None


GATED = [(name, method) for name, method in CALLS if CASES[name].action is not None]


@pytest.mark.parametrize(("name", "method"), GATED)
def test_each_role_gets_from_the_page_what_the_gate_says_for_its_action(client, world, name, method):
    case = CASES[name]
    for role, person in world.ladder.items():
        client.force_login(person)
        for theirs, _absent in case.pairs(world):
            action = case.action(theirs) if callable(case.action) else case.action
            expected = _gate(type(person).objects.get(pk=person.pk), action, theirs)

            status = getattr(client, method)(reverse(name, kwargs=theirs)).status_code

            if expected is None:
                assert status not in (403, 404), (role, theirs)
            else:
                assert status == expected, (role, theirs)
