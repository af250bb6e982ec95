"""Walking a report to a state through the same services a person's actions go through.

seed_demo, seed_scale, the test builders and the benchmarks all need reports in a given state.
They get them here, so that the data passes the same rules and leaves the same ledger as real use,
and so that a change to the state machine changes one walk, not four copies of it.

The route is read from the state machine's table (TRANSITIONS): the fewest moves from where the
report is to where it should be, e.g. draft → submitted → in review → verified → published, or
changes requested → submitted (a resubmission). Each move is made by its service, by the person
whose move it is; the hooks let a caller do what people do between the moves.
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import User
from commitments.errors import InvalidTransition
from commitments.models import ItemResponse, ProgressReport, ReportStatus, Verdict
from commitments.services.reports import (
    TRANSITIONS,
    item_verdict_record,
    report_changes_request,
    report_review_start,
    report_submit,
    report_verify,
)
from reports.services import report_publish

Step = Callable[[ProgressReport], object]
# (index of the item in framework order, the item as stored) -> (verdict, justification)
VerdictFor = Callable[[int, ItemResponse], tuple[str, str]]


@dataclass(frozen=True)
class People:
    """Who walks a report: the officer submits, the reviewer reviews, the program admin publishes.
    A walk needs only the ones its route needs."""

    officer: User | None = None
    reviewer: User | None = None
    admin: User | None = None


# Which of the People makes the move to each state (a test holds it to TRANSITIONS).
MOVED_BY = {
    ReportStatus.SUBMITTED: "officer",
    ReportStatus.IN_REVIEW: "reviewer",
    ReportStatus.CHANGES_REQUESTED: "reviewer",
    ReportStatus.VERIFIED: "reviewer",
    ReportStatus.PUBLISHED: "admin",
}


def every_item_verified(justification: str = "Policy document seen.") -> VerdictFor:
    return lambda _index, _item: (Verdict.VERIFIED, justification)


def report_route(start: ReportStatus | str, to: ReportStatus | str) -> list[ReportStatus]:
    """The states a report passes through from `start` to `to` (not `start` itself), by the fewest
    moves of TRANSITIONS; [] when it is there already. InvalidTransition when no moves lead there."""
    start, to = ReportStatus(start), ReportStatus(to)
    routes: dict[ReportStatus, list[ReportStatus]] = {start: []}
    reached = [start]
    while reached and to not in routes:
        following = []
        for state in reached:
            for target, move in TRANSITIONS.items():
                if state in move.sources and target not in routes:
                    routes[target] = [*routes[state], target]
                    following.append(target)
        reached = following
    if to not in routes:
        raise InvalidTransition(f"No moves lead a report from {start.label.lower()} to {to.label.lower()}.")
    return routes[to]


def report_walk(
    report: ProgressReport,
    *,
    by: People,
    to: ReportStatus | str,
    fill: Step | None = None,
    review: Step | None = None,
    verdict: VerdictFor | None = None,
    changes_item: int = 0,
    changes_message: str = "More detail",
    verified: Step | None = None,
    render_pdf: bool = True,
    rebuild_open_data: bool = True,
) -> ProgressReport:
    """Move `report` from its state to `to` through the transition services; return it as it is then.

    The walk starts from the state stored (an object the services were given keeps its old status);
    each move is made `by` the person whose move it is. Between the moves:

    - `fill(report)` answers the items, just before submitting;
    - `review(report)` runs once the review has started (comments, a first verdict);
    - requesting changes names the item at index `changes_item` (framework order) with `changes_message`;
    - before verifying, every item gets `verdict(index, item)` (by default verified);
    - `verified(report)` runs once verified, before publishing (a company response);
    - publishing queues the public PDF unless `render_pdf` is false, and the period's open-data
      files unless `rebuild_open_data` is false (bulk seeding).
    """
    verdict = verdict or every_item_verified()
    route = report_route(ProgressReport.objects.values_list("status", flat=True).get(pk=report.pk), to)
    # Checked before the first move, so that a walk missing someone leaves the report as it was.
    for state in route:
        if getattr(by, MOVED_BY[state]) is None:
            raise TypeError(
                f"report_walk needs People.{MOVED_BY[state]} to move a report to {state.label.lower()}."
            )
    for state in route:
        if state == ReportStatus.SUBMITTED:
            if fill is not None:
                fill(report)
            report = report_submit(report=report, acting_user=by.officer)
        elif state == ReportStatus.IN_REVIEW:
            report = report_review_start(report=report, acting_user=by.reviewer)
            if review is not None:
                review(report)
        elif state == ReportStatus.CHANGES_REQUESTED:
            items = list(report.items.select_related("node"))
            report = report_changes_request(
                report=report,
                acting_user=by.reviewer,
                items=[items[changes_item]],
                message=changes_message,
            )
        elif state == ReportStatus.VERIFIED:
            for index, item in enumerate(report.items.select_related("node")):
                decision, justification = verdict(index, item)
                item_verdict_record(
                    item=item, acting_user=by.reviewer, verdict=decision, justification=justification
                )
            report = report_verify(report=report, acting_user=by.reviewer)
            if verified is not None:
                verified(report)
        elif state == ReportStatus.PUBLISHED:
            report = report_publish(
                report=report,
                acting_user=by.admin,
                render_pdf=render_pdf,
                rebuild_open_data=rebuild_open_data,
            ).report
    return report
