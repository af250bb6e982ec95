"""The access ladder, asked of the gate (commitments.access) for every role, object kind and action.

LADDER is what the product promises, written out cell by cell: for each (object kind, action), what
each role gets from the gate: the object ("ok"), 404 (they may do nothing with it: as unknown as
an id never issued) or 403 (they may see it, not do this). The tests check that the gate's loaders
answer exactly that, that `can` (what templates and views ask) and `require` (what services ask)
agree with them, that the review queue's query agrees with `can`, and that LADDER covers every
action the gate's table has. Changing a rule means changing RULES and LADDER together.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from commitments import access
from commitments.access import Action, Kind
from commitments.errors import NotAllowed
from commitments.models import Evidence, Organisation, ProgressReport
from reports.models import ArtifactKind
from reports.pdf.services import artifact_request
from tests.audits.builders import engagement_for
from tests.builders import period_for, small_framework
from tests.factories import MembershipFactory, UserFactory
from tests.reports.public_builders import committed_org, officer_of, published

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "other_officer",  # an officer of another organisation
    "viewer",
    "contributor",
    "officer",
    "reviewer",
    "own_reviewer",  # a reviewer who is also a viewer of the organisation
    "auditor",  # the platform role, engaged for nothing
    "engaged",  # an auditor engaged for Northwind and the period, now, independence declared
    "program_admin",
)

# fmt: off
LADDER = {
    # anonymous, other_officer, viewer, contributor, officer, reviewer, own_reviewer, auditor, engaged,
    # program_admin
    ("report", "read"):                "404 404 ok  ok  ok  ok  ok  404 ok  ok",
    ("report", "edit"):                "404 404 403 ok  ok  403 403 404 403 403",
    ("report", "submit"):              "404 404 403 403 ok  403 403 404 403 403",
    ("report", "comment"):             "404 404 403 ok  ok  ok  403 404 403 ok",
    ("report", "respond"):             "404 404 403 403 ok  403 403 404 403 403",
    ("report", "review"):              "404 404 403 403 403 ok  403 404 403 ok",
    ("report", "publish"):             "404 404 403 403 403 403 403 404 403 ok",
    ("report", "correct"):             "404 404 403 403 403 403 403 404 403 ok",
    # An auditor reaches a report only through an engagement (issue 14).
    ("report", "read_documents"):      "404 404 ok  ok  ok  ok  ok  404 ok  ok",
    ("report", "read_audit"):          "404 404 403 403 403 ok  403 404 ok  ok",
    ("report", "audit"):               "404 404 403 403 403 403 403 404 ok  403",
    ("item", "read"):                  "404 404 ok  ok  ok  ok  ok  404 ok  ok",
    ("item", "edit"):                  "404 404 403 ok  ok  403 403 404 403 403",
    ("item", "comment"):               "404 404 403 ok  ok  ok  403 404 403 ok",
    ("item", "respond"):               "404 404 403 403 ok  403 403 404 403 403",
    ("item", "review"):                "404 404 403 403 403 ok  403 404 403 ok",
    # Restricted evidence too: members, program staff and the engaged auditor.
    ("evidence", "read"):              "404 404 ok  ok  ok  ok  ok  404 ok  ok",
    ("public_pdf", "read"):            "404 404 ok  ok  ok  ok  ok  404 ok  ok",
    ("public_pdf", "request_pdf"):     "404 404 403 403 403 403 403 404 403 ok",
    ("audit_pdf", "read"):             "404 404 404 404 404 ok  404 404 ok  ok",
    ("audit_pdf", "request_pdf"):      "404 404 404 404 404 ok  404 404 ok  ok",
    ("summary_pdf", "read"):           "404 404 404 404 404 ok  ok  404 ok  ok",
    ("summary_pdf", "request_pdf"):    "404 404 404 404 404 403 403 404 403 ok",
    ("period", "read"):                "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("period", "read_documents"):      "403 403 403 403 403 ok  ok  403 ok  ok",
    ("period", "request_pdf"):         "403 403 403 403 403 403 403 403 403 ok",
    ("organisation", "read"):          "404 404 ok  ok  ok  404 ok  404 404 403",
    ("organisation", "start_report"):  "404 404 403 403 ok  404 403 404 404 ok",
    ("engagement", "read"):            "404 404 404 404 404 404 404 404 ok  ok",
    ("engagement", "declare"):         "404 404 404 404 404 404 404 404 ok  403",
    ("engagement", "audit"):           "404 404 404 404 404 404 404 404 ok  403",
    ("engagement", "manage_engagements"): "404 404 404 404 404 404 404 404 403 ok",
    ("program", "read"):               "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("program", "review_queue"):       "403 403 403 403 403 ok  ok  403 403 ok",
    ("program", "program_overview"):   "403 403 403 403 403 ok  ok  403 403 ok",
    ("program", "read_documents"):     "403 403 403 403 403 ok  ok  403 ok  ok",
    ("program", "request_pdf"):        "403 403 403 403 403 403 403 403 403 ok",
    ("program", "invite"):             "403 403 403 403 403 403 403 403 403 ok",
    ("program", "reset_second_factor"): "403 403 403 403 403 403 403 403 403 ok",
    ("program", "manage_engagements"): "403 403 403 403 403 403 403 403 403 ok",
}
# fmt: on


def _expected(kind: str, action: str) -> dict[str, str]:
    return dict(zip(ROLES, LADDER[(kind, action)].split(), strict=True))


@dataclass
class World:
    users: dict[str, Any]
    report: ProgressReport  # Northwind's, published, with restricted evidence
    item: Any
    evidence: Evidence
    pdfs: dict[str, Any]  # public_pdf, audit_pdf, summary_pdf: pending artifacts
    period: Any
    organisation: Any
    engagement: Any

    def user(self, role: str) -> Any:
        # A fresh object each time, as each request has: the gate caches memberships on it.
        user = self.users[role]
        return user if role == "anonymous" else type(user).objects.get(pk=user.pk)

    def subject(self, kind: str) -> Any:
        """The object `can` is asked about, as the gate's loader returns it."""
        return {
            "report": self.report,
            "item": self.item,
            "evidence": self.evidence,
            "period": self.period,
            "organisation": self.organisation,
            "engagement": self.engagement,
            "program": None,
            **self.pdfs,
        }[kind]

    def open(self, kind: str, user: Any, action: Action) -> Any:
        """What the gate's loader for this kind returns for this user and action."""
        loaders: dict[str, Callable[[], Any]] = {
            "report": lambda: access.report_for(user, self.report.pk, action=action),
            "item": lambda: access.item_for(user, self.report.pk, self.item.pk, action=action),
            "evidence": lambda: access.evidence_for(user, self.evidence.pk, action=action),
            "period": lambda: access.period_for(user, self.period.pk, action=action),
            "organisation": lambda: access.organisation_for(user, self.organisation.slug, action=action),
            "engagement": lambda: access.engagement_for(user, self.engagement.pk, action=action),
            "program": lambda: access.program_for(user, action=action),
            **{
                name: (lambda pk=pdf.pk: access.artifact_for(user, pk, action=action))
                for name, pdf in self.pdfs.items()
            },
        }
        return loaders[kind]()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    # Built once for the module, in a transaction rolled back at its end (tests/reports/pdf/verify_world.py).
    with django_db_blocker.unblock(), transaction.atomic():
        framework = small_framework()
        period = period_for(framework)
        northwind = committed_org(framework, "Northwind Models", "northwind-models")
        bluefin = committed_org(framework, "Bluefin Labs", "bluefin-labs")
        reviewer = UserFactory(platform_role="reviewer")
        admin = UserFactory(platform_role="program_admin", is_staff=True)
        own_reviewer = UserFactory(platform_role="reviewer")
        MembershipFactory(user=own_reviewer, organisation=northwind, role="viewer")
        users = {
            "anonymous": AnonymousUser(),
            "other_officer": officer_of(bluefin),
            "viewer": MembershipFactory(organisation=northwind, role="viewer").user,
            "contributor": MembershipFactory(organisation=northwind, role="contributor").user,
            "officer": officer_of(northwind),
            "reviewer": reviewer,
            "own_reviewer": own_reviewer,
            "auditor": UserFactory(platform_role="auditor"),
            "engaged": UserFactory(platform_role="auditor"),
            "program_admin": admin,
        }
        report = published(
            northwind, period, reviewer=reviewer, admin=admin, restricted_title="Internal memo"
        )
        pdfs = {
            "public_pdf": artifact_request(kind="public", acting_user=admin, report=report, queue=False),
            "audit_pdf": artifact_request(kind="audit", acting_user=admin, report=report, queue=False),
            "summary_pdf": artifact_request(kind="summary", acting_user=admin, period=period, queue=False),
        }
        engagement = engagement_for(
            users["engaged"], organisations=[northwind], periods=[period], admin=admin
        )
        try:
            yield World(
                users=users,
                report=report,
                item=report.items.select_related("report").order_by("node__position").first(),
                evidence=Evidence.objects.select_related("item__report").get(
                    item__report=report, visibility="restricted", item__node__position=1
                ),
                pdfs=pdfs,
                period=period,
                organisation=northwind,
                engagement=engagement,
            )
        finally:
            transaction.set_rollback(True)


def _answer(world: World, kind: str, user: Any, action: Action) -> tuple[str, str]:
    return _outcome(lambda: world.open(kind, user, action))


@pytest.mark.parametrize(("kind", "action"), list(LADDER))
def test_the_gate_answers_every_role_as_the_ladder_says(world, kind, action):
    answers = {role: _answer(world, kind, world.user(role), Action(action)) for role in ROLES}

    assert {role: status for role, (status, _) in answers.items()} == _expected(kind, action)
    for role, (status, message) in answers.items():
        if status == "404":
            assert message == access.NOT_FOUND, role  # the same words as an id never issued
        if status == "403":
            assert message == access.refusal(world.user(role), action, world.subject(kind)), role


@pytest.mark.parametrize(("kind", "action"), list(LADDER))
def test_can_and_require_say_what_the_gate_does(world, kind, action):
    for role, status in _expected(kind, action).items():
        user = world.user(role)
        subject = world.subject(kind)

        assert access.can(user, action, subject) is (status == "ok"), role
        if status == "ok":
            access.require(user, action, subject)
        else:
            with pytest.raises(NotAllowed):
                access.require(user, action, subject)


@pytest.mark.parametrize("action", list(access.RULES[Kind.REPORT]))
def test_the_reports_a_list_shows_are_those_can_allows(world, action):
    for role in ROLES:
        user = world.user(role)
        listed = ProgressReport.objects.filter(
            access.reports_where(user, action), pk=world.report.pk
        ).exists()

        assert listed is access.can(user, action, world.report), role


@pytest.mark.parametrize("action", list(access.RULES[Kind.ORGANISATION]))
def test_the_organisations_a_list_shows_are_those_can_allows(world, action):
    for role in ROLES:
        user = world.user(role)
        listed = Organisation.objects.filter(
            access.organisations_where(user, action), pk=world.organisation.pk
        ).exists()

        assert listed is access.can(user, action, world.organisation), role


def _outcome(load: Callable[[], Any]) -> tuple[str, str]:
    try:
        load()
    except Http404 as exc:
        return "404", str(exc)
    except PermissionDenied as exc:
        return "403", str(exc)
    return "ok", ""


def test_the_ladder_covers_every_action_of_the_gate():
    by_kind = {
        "report": access.RULES[Kind.REPORT],
        "item": access.ITEM_ACTIONS,
        "evidence": access.EVIDENCE_ACTIONS,
        **{f"{kind}_pdf": access.ARTIFACT_ACTIONS for kind in ArtifactKind.values},
        "period": access.PERIOD_ACTIONS,
        "organisation": access.RULES[Kind.ORGANISATION],
        "engagement": access.RULES[Kind.ENGAGEMENT],
        "program": access.RULES[Kind.PROGRAM],
    }
    gate = {(kind, str(action)) for kind, actions in by_kind.items() for action in actions}

    assert gate == set(LADDER)


@pytest.mark.parametrize(
    ("kind", "action", "words"),
    [
        ("report", "review", "review its report"),
        ("item", "review", "review its report"),
        ("report", "read_audit", "read or generate its audit report"),
        ("report", "comment", "comment on its report as a reviewer"),
    ],
)
def test_a_reviewer_refused_for_belonging_is_told_so(world, kind, action, words):
    _status, message = _answer(world, kind, world.user("own_reviewer"), Action(action))

    assert message == f"You belong to this organisation, so you cannot {words}."


def test_someone_refused_for_their_role_is_told_the_rule(world):
    status, message = _answer(world, "report", world.user("viewer"), Action.SUBMIT)

    assert (status, message) == ("403", "Only the organisation's compliance officers can submit its report.")


def test_an_action_that_is_not_of_the_object_is_a_programming_error(world):
    with pytest.raises(ValueError, match="not an action"):
        access.can(world.user("officer"), Action.PUBLISH, world.item)
    with pytest.raises(ValueError, match="not an action"):
        access.can(world.user("officer"), Action.START_REPORT, world.report)
