"""report_walk: the one way seeding, builders and benchmarks move a report to a state."""

import pytest

from commitments.errors import InvalidTransition
from commitments.models import (
    Comment,
    CompanyResponse,
    ItemVerdict,
    LedgerEntry,
    ProgressReport,
    ReportStatus,
)
from commitments.services.reports import TRANSITIONS
from commitments.services.reviews import comment_add, company_response_add
from demo.walk import MOVED_BY, People, report_route, report_walk
from tests.builders import advance, answer_all

pytestmark = pytest.mark.django_db

S = ReportStatus


def _moves(report) -> list[str]:
    events = LedgerEntry.objects.filter(report_id=report.pk).values_list("event", flat=True)
    moves = {move.event for move in TRANSITIONS.values()}
    return [event for event in events.order_by("sequence") if event in moves]


@pytest.mark.parametrize(
    "to,moves",
    [
        (S.DRAFT, []),
        (S.SUBMITTED, ["report.submitted"]),
        (S.IN_REVIEW, ["report.submitted", "report.review_started"]),
        (S.CHANGES_REQUESTED, ["report.submitted", "report.review_started", "report.changes_requested"]),
        (S.VERIFIED, ["report.submitted", "report.review_started", "report.verified"]),
        (S.PUBLISHED, ["report.submitted", "report.review_started", "report.verified", "report.published"]),
    ],
)
def test_it_walks_a_draft_to_each_state_by_the_services_moves(
    to, moves, report, officer, reviewer, program_admin
):
    walked = advance(report, to, officer=officer, reviewer=reviewer, admin=program_admin)

    assert walked.status == to
    assert ProgressReport.objects.get(pk=report.pk).status == to
    assert _moves(report) == moves


def test_it_resubmits_a_report_sent_back_and_carries_it_on_to_published(
    report, officer, reviewer, program_admin
):
    sent_back = advance(report, S.CHANGES_REQUESTED, officer=officer, reviewer=reviewer, admin=program_admin)

    published = report_walk(
        sent_back,
        to=S.PUBLISHED,
        by=People(officer=officer, reviewer=reviewer, admin=program_admin),
    )

    assert (published.status, published.revision) == (S.PUBLISHED, 2)
    assert _moves(report)[3:] == [
        "report.submitted",
        "report.review_started",
        "report.verified",
        "report.published",
    ]


def test_each_hook_runs_at_its_place_between_the_moves(report, officer, reviewer, program_admin):
    seen = []

    def review(report):
        seen.append(("review", report.status))
        comment_add(item=report.items.first(), acting_user=reviewer, body="Which products?")

    def verified(report):
        seen.append(("verified", report.status))
        company_response_add(item=report.items.first(), acting_user=officer, body="All of them.")

    def fill(report):
        seen.append(("fill", report.status))
        answer_all(report, officer)

    published = report_walk(
        report,
        to=S.PUBLISHED,
        by=People(officer=officer, reviewer=reviewer, admin=program_admin),
        fill=fill,
        review=review,
        verdict=lambda index, item: (
            "verified" if index else "partially_verified",
            f"Seen {item.node.node_id}.",
        ),
        verified=verified,
    )

    assert seen == [("fill", S.DRAFT), ("review", S.IN_REVIEW), ("verified", S.VERIFIED)]
    verdicts = ItemVerdict.objects.filter(item__report=report).order_by("item__node__position")
    assert [(v.verdict, v.justification) for v in verdicts] == [
        ("partially_verified", "Seen tiny.p1.m1."),
        ("verified", "Seen tiny.p1.m2."),
        ("verified", "Seen tiny.p1.m3."),
    ]
    assert Comment.objects.filter(item__report=report).count() == 1
    assert CompanyResponse.objects.filter(item__report=report).count() == 1
    assert '"All of them."' in published.publications.get().snapshot


def test_requesting_changes_names_the_chosen_item_with_the_message(report, officer, reviewer, program_admin):
    report_walk(
        report,
        to=S.CHANGES_REQUESTED,
        by=People(officer=officer, reviewer=reviewer),
        fill=lambda report: answer_all(report, officer),
        changes_item=2,
        changes_message="State the reporting window.",
    )

    entry = LedgerEntry.objects.filter(report_id=report.pk, event="report.changes_requested").get()
    assert '"items":["tiny.p1.m3"]' in entry.payload
    assert '"message":"State the reporting window."' in entry.payload


def test_a_walk_backwards_is_refused_and_changes_nothing(report, officer, reviewer, program_admin):
    submitted = advance(report, S.SUBMITTED, officer=officer, reviewer=reviewer, admin=program_admin)
    entries = LedgerEntry.objects.count()

    with pytest.raises(InvalidTransition, match="No moves lead a report from submitted to draft"):
        report_walk(submitted, to=S.DRAFT, by=People(officer=officer, reviewer=reviewer))

    assert ProgressReport.objects.get(pk=report.pk).status == S.SUBMITTED
    assert LedgerEntry.objects.count() == entries


def test_a_walk_missing_someone_is_refused_before_the_first_move(report, officer, reviewer):
    answer_all(report, officer)
    entries = LedgerEntry.objects.count()

    with pytest.raises(TypeError, match="needs People.admin to move a report to published"):
        report_walk(report, to=S.PUBLISHED, by=People(officer=officer, reviewer=reviewer))

    assert ProgressReport.objects.get(pk=report.pk).status == S.DRAFT
    assert LedgerEntry.objects.count() == entries


def test_someone_makes_every_move_of_the_state_machine():
    assert set(MOVED_BY) == set(TRANSITIONS)


@pytest.mark.parametrize("start", list(S))
@pytest.mark.parametrize("to", list(S))
def test_every_route_is_a_chain_of_allowed_moves_ending_where_asked(start, to):
    try:
        route = report_route(start, to)
    except InvalidTransition:
        # Nothing leads back to a draft, nor back from verified, nor on from published.
        assert start != to
        assert to == S.DRAFT or start == S.PUBLISHED or (start == S.VERIFIED and to != S.PUBLISHED)
        return

    for source, target in zip([start, *route], route, strict=False):
        assert source in TRANSITIONS[target].sources
    assert (route[-1] if route else start) == to
    assert len(route) == len(set(route))


def test_it_walks_on_from_the_stored_state_when_given_an_object_the_services_left_behind(
    report, officer, reviewer
):
    advance(report, S.SUBMITTED, officer=officer, reviewer=reviewer)
    assert report.status == S.DRAFT  # the object given to the services is left as it was

    walked = report_walk(report, to=S.IN_REVIEW, by=People(reviewer=reviewer))

    assert walked.status == S.IN_REVIEW
    assert _moves(report) == ["report.submitted", "report.review_started"]
