"""Audits: engagements, evidence requests, workpapers, findings, attestations.

What the audit pages' gate gives (tests/audits/test_engagements_access.py and the existence-oracle
test): an engagement is the program admins' and its auditors' (open, and for work declared);
anyone else gets it as unknown (404), an admin who may see it but not work on it 403. A request
or a finding is also its organisation's officers'; a finding's response page refuses (403) the
organisation's other members and the staff who may read the report. Attestations are public.

In the world, `auditor_inside` has declared (so declaring again is 409) and is alone on the
engagement (so signing off is 409: no second auditor), whose audit is not complete (so signing the
attestation is 409); the attested engagement is another one (tests/api/world_audits.py).
"""

import datetime

from django.utils import timezone

from tests.api.matrix import ALL, SIGNED_IN, Row, expect
from tests.api.matrix.reports import READERS

INSIDE = {"auditor_inside"}
ADMIN = {"admin"}
PAGE_READERS = {
    "contributor",
    "viewer",
    "own_reviewer",
    "reviewer",
    "admin",
}  # see the report, may not respond


def _engagement(w):
    return {"id": w.engagement.pk}


def _item(w):
    return {"id": w.engagement.pk, "item_id": w.extra["audits_item"].pk}


def _request(w):
    return {"id": w.extra["audits_request"].pk}


def _finding(w):
    return {"id": w.extra["audits_finding"].pk}


def _attestation(w):
    return {"id": w.extra["audits_attestation"].pk}


def _soon(days):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


PAPER = {
    "procedure": "Re-performed the escalation test on a fresh sample.",
    "population": "All escalations logged in the period.",
    "sample": "Cases 40 and 41.",
    "result": "Both within 24 hours.",
    "conclusion": "The control operated as described.",
}


def _opinion(**more):
    return {
        "opinion": "qualified",
        "statement": "Except for the escalation times …",
        "attested_on": _soon(0),
        **more,
    }


def _new_engagement(w):
    now = timezone.now()
    return {
        "title": "Reasonable assurance on the 2027 report",
        "standard": "ISAE 3000 (Revised), reasonable assurance",
        "scope_statement": "Every mitigation of the period.",
        "auditors": [w.users["auditor_outside"].email],
        "organisations": [w.organisation.slug],
        "periods": [w.periods["draft"].pk],
        "starts_at": now.isoformat(),
        "ends_at": (now + datetime.timedelta(days=10)).isoformat(),
    }


ROWS = [
    # engagements
    Row(
        "GET",
        "/api/v1/engagements/",
        expect(
            200,
            {"auditor_outside", *INSIDE, *ADMIN},
            forbidden=SIGNED_IN - {"auditor_outside", *INSIDE, *ADMIN},
        ),
        note="the list page refuses whoever has no engagement and could have none",
    ),
    Row(
        "POST", "/api/v1/engagements/", expect(201, ADMIN, forbidden=SIGNED_IN - ADMIN), body=_new_engagement
    ),
    Row("GET", "/api/v1/engagements/{id}/", expect(200, {*INSIDE, *ADMIN}), params=_engagement),
    Row(
        "POST",
        "/api/v1/engagements/{id}/declaration/",
        expect(409, INSIDE, forbidden=ADMIN),
        params=_engagement,
        body=lambda w: {"declaration": "Independent of Northwind Models."},
        note="auditor_inside has declared already",
    ),
    Row("GET", "/api/v1/engagements/{id}/items/", expect(200, INSIDE, forbidden=ADMIN), params=_engagement),
    # evidence requests
    Row(
        "POST",
        "/api/v1/engagements/{id}/items/{item_id}/evidence-requests/",
        expect(201, INSIDE, forbidden=ADMIN),
        params=_item,
        body=lambda w: {"message": "Please send the April log too.", "due_on": _soon(5)},
    ),
    Row("GET", "/api/v1/evidence-requests/", expect(200, SIGNED_IN), note="each sees their own, maybe none"),
    Row("GET", "/api/v1/evidence-requests/{id}/", expect(200, {"officer", *INSIDE}), params=_request),
    Row(
        "POST",
        "/api/v1/evidence-requests/{id}/replies/",
        expect(201, {"officer"}, forbidden=INSIDE),
        params=_request,
        body=lambda w: {"message": "And the April log follows."},
        format="multipart",
    ),
    Row(
        "POST",
        "/api/v1/evidence-requests/{id}/close/",
        expect(200, INSIDE, forbidden={"officer"}),
        params=_request,
    ),
    Row(
        "GET",
        "/api/v1/evidence-requests/{id}/replies/{reply_id}/file/",
        expect(200, {"officer", *INSIDE}),
        params=lambda w: {"id": w.extra["audits_request"].pk, "reply_id": w.extra["audits_reply"].pk},
    ),
    # workpapers
    Row(
        "GET",
        "/api/v1/engagements/{id}/items/{item_id}/workpaper/",
        expect(200, INSIDE, forbidden=ADMIN),
        params=_item,
    ),
    Row(
        "PUT",
        "/api/v1/engagements/{id}/items/{item_id}/workpaper/",
        expect(200, INSIDE, forbidden=ADMIN),
        params=_item,
        body=lambda w: PAPER,
    ),
    Row(
        "POST",
        "/api/v1/engagements/{id}/items/{item_id}/workpaper/sign-off/",
        expect(409, INSIDE, forbidden=ADMIN),
        params=_item,
        note="one auditor on the engagement: no second one to sign off",
    ),
    # findings
    Row(
        "PUT",
        "/api/v1/engagements/{id}/items/{item_id}/finding/",
        expect(200, INSIDE, forbidden=ADMIN),
        params=_item,
        body=lambda w: {"kind": "nonconformity", "description": "Late.", "recommended_action": "Staff it."},
    ),
    Row("GET", "/api/v1/findings/", expect(200, SIGNED_IN), note="each sees their own, maybe none"),
    Row(
        "GET",
        "/api/v1/findings/{id}/",
        expect(200, {"officer", *INSIDE}, forbidden=PAGE_READERS),
        params=_finding,
    ),
    Row(
        "PUT",
        "/api/v1/findings/{id}/response/",
        expect(200, {"officer"}, forbidden=PAGE_READERS | INSIDE),
        params=_finding,
        body=lambda w: {"company_response": "Case closers are named from November."},
    ),
    # attestations
    Row("GET", "/api/v1/attestations/", expect(200, ALL)),
    Row("GET", "/api/v1/attestations/{id}/", expect(200, ALL), params=_attestation),
    Row(
        "POST",
        "/api/v1/engagements/{id}/attestations/",
        expect(409, INSIDE, forbidden=ADMIN),
        params=_engagement,
        body=lambda w: _opinion(),
        note="the open engagement's audit is not complete",
    ),
    Row(
        "POST",
        "/api/v1/attestations/{id}/correction/",
        expect(201, INSIDE, forbidden=ADMIN),
        params=_attestation,
        body=lambda w: _opinion(reason="The statement named the wrong period."),
    ),
    # following up a corrective action in the next report (2024's, sent back: editable)
    Row(
        "GET",
        "/api/v1/reports/{id}/follow-ups/",
        expect(200, READERS),
        params=lambda w: {"id": w.report("changes_requested").pk},
    ),
    Row(
        "PUT",
        "/api/v1/reports/{id}/follow-ups/{finding_id}/",
        expect(200, {"officer", "contributor"}, forbidden=READERS - {"officer", "contributor"}),
        params=lambda w: {
            "id": w.report("changes_requested").pk,
            "finding_id": w.extra["audits_follow_up_finding"].pk,
        },
        body=lambda w: {"text": "Weekend staffing started on 1 November."},
    ),
]
