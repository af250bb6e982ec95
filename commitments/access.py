"""The access gate: who may do what, written once as a table, and the one way views, services and
templates ask it.

RULES below is the table: for each kind of object and each action, which roles may. A role is
what someone is to the object: their membership of its organisation (viewer, contributor,
officer) or their platform role (reviewer, program admin, auditor). A platform role marked
OUTSIDE counts only for organisations the person does not belong to (conflict of interest: a
reviewer never reviews their own organisation's report). Items and evidence are parts of their
report, periods part of the program, and each kind of signed PDF names the report or program
action it takes (DOCUMENTS), so none of them has rules of its own.

How it is asked:
- Views load the object an URL names with `report_for`, `item_for`, `evidence_for`,
  `artifact_for`, `period_for`, `organisation_for` (and `program_for` for program-wide pages).
  An object the user may do nothing with is a 404 exactly like an id that does not exist (same
  status, same words), decided before anything else: a 403, or another message, would tell the
  ids apart. A 403 is for an object the user may see but not act on this way. Objects that
  belong to no organisation (periods, the program) are the same for every id, so there the 403
  comes first and a missing id is a 404 only for those allowed.
- Services call `require`, which raises NotAllowed with the same words.
- Templates ask `can` (the `{% can %}` tag in commitments/templatetags/access.py, or flags a view
  computes with it) which buttons to show.
- Lists ask `reports_where` (`organisations_where`) for the reports (organisations) a user may
  act on, as a query.

Whether an action is open *now* (a report's state) is the state machine's rule, not this module's.

Auditors reach only what an audit engagement (audits/models.py) gives them (issue 14): the
cells marked ENGAGED count only for the organisations and periods of an engagement that is open
now (starts_at <= now < ends_at), of which they are an auditor who has declared their
independence, and never for an organisation they belong to; SEATED, on an engagement itself,
counts for its auditors while it is open, declared or not (so that they can declare). The
platform role alone opens nothing of any organisation.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from commitments.errors import NotAllowed
from commitments.models import (
    Evidence,
    ItemResponse,
    Membership,
    Organisation,
    ProgressReport,
    ReportingPeriod,
)
from reports.models import ArtifactKind, ReportArtifact

NOT_FOUND = "Not found, or not visible to your account."


class Role(StrEnum):
    VIEWER = Membership.Role.VIEWER.value
    CONTRIBUTOR = Membership.Role.CONTRIBUTOR.value
    OFFICER = Membership.Role.OFFICER.value
    REVIEWER = User.PlatformRole.REVIEWER.value
    PROGRAM_ADMIN = User.PlatformRole.PROGRAM_ADMIN.value
    AUDITOR = User.PlatformRole.AUDITOR.value


MEMBER_ROLES = frozenset({Role.VIEWER, Role.CONTRIBUTOR, Role.OFFICER})


class Action(StrEnum):
    READ = "read"
    EDIT = "edit"  # answer items, add evidence
    SUBMIT = "submit"
    COMMENT = "comment"
    RESPOND = "respond"  # the company response beside a verdict
    REVIEW = "review"  # start a review, record verdicts, request changes, verify
    PUBLISH = "publish"
    CORRECT = "correct"
    READ_DOCUMENTS = "read_documents"  # a report's documents page and public PDFs; the program's
    READ_AUDIT = "read_audit"  # the audit PDF: restricted evidence, verdicts, comments, ledger
    REQUEST_PDF = "request_pdf"  # generate (or retry) a signed PDF
    START_REPORT = "start_report"
    AUDIT = "audit"  # an engaged auditor's work: evidence requests, workpapers, findings, attestation
    DECLARE = "declare"  # an auditor's independence declaration, before anything else of the engagement
    MANAGE_ENGAGEMENTS = "manage_engagements"
    REVIEW_QUEUE = "review_queue"
    PROGRAM_OVERVIEW = "program_overview"
    INVITE = "invite"
    RESET_SECOND_FACTOR = "reset_second_factor"


class Kind(StrEnum):
    PROGRAM = "program"  # nothing of one organisation: program pages, reporting periods
    ORGANISATION = "organisation"
    REPORT = "report"  # with its items and evidence
    ENGAGEMENT = "engagement"  # an audit engagement itself (its pages, declarations, attestation)


class Cell(Enum):
    NO = "-"
    YES = "yes"
    OUTSIDE = "outside"  # yes, but never on an organisation they belong to
    ENGAGED = "engaged"  # yes, within an open engagement they declared independence for (never their own)
    SEATED = "seated"  # yes, for an engagement they are an auditor of, while it is open


@dataclass(frozen=True)
class Rule:
    cells: Mapping[Role, Cell]
    refusal: str  # what someone who may see the object, but not do this, is told
    # What members cannot do though their platform role could elsewhere: "…, so you cannot {conflict}."
    conflict: str = ""
    everyone: bool = False  # anyone at all, signed in or not


_, Y, OUT, ENG, SEAT = Cell.NO, Cell.YES, Cell.OUTSIDE, Cell.ENGAGED, Cell.SEATED
PLATFORM_ONLY = (Cell.OUTSIDE, Cell.ENGAGED, Cell.SEATED)  # cells about organisations one does not belong to


def _rule(
    viewer: Cell,
    contributor: Cell,
    officer: Cell,
    reviewer: Cell,
    admin: Cell,
    auditor: Cell,
    refusal: str,
    conflict: str = "",
) -> Rule:
    cells = (viewer, contributor, officer, reviewer, admin, auditor)
    if any(cell in PLATFORM_ONLY for cell in (viewer, contributor, officer)):
        raise ValueError(f"{refusal!r}: OUTSIDE and ENGAGED are for platform roles; members are inside.")
    if any(cell in (Cell.OUTSIDE, Cell.ENGAGED) for cell in cells) and not conflict:
        raise ValueError(f"{refusal!r}: a rule with OUTSIDE or ENGAGED cells says what members cannot do.")
    return Rule(MappingProxyType(dict(zip(Role, cells, strict=True))), refusal, conflict)


EVERYONE = Rule(MappingProxyType(dict.fromkeys(Role, Y)), refusal="", everyone=True)

# fmt: off
RULES: Mapping[Kind, Mapping[Action, Rule]] = MappingProxyType({
    Kind.REPORT: MappingProxyType({
        #                           viewer contributor officer reviewer admin auditor
        Action.READ:           _rule(Y,    Y,          Y,      Y,       Y,    ENG,
            "You can see this report's signed PDFs, not the report itself.",
            "read its report as an auditor"),
        Action.EDIT:           _rule(_,    Y,          Y,      _,       _,    _,
            "Only the organisation's officers and contributors can change its report."),
        Action.SUBMIT:         _rule(_,    _,          Y,      _,       _,    _,
            "Only the organisation's compliance officers can submit its report."),
        Action.COMMENT:        _rule(_,    Y,          Y,      OUT,     OUT,  _,
            "Only the report's reviewers and the organisation's officers and contributors can comment.",
            "comment on its report as a reviewer"),
        Action.RESPOND:        _rule(_,    _,          Y,      _,       _,    _,
            "Only the organisation's compliance officers can write its response."),
        Action.REVIEW:         _rule(_,    _,          _,      OUT,     OUT,  _,
            "Only program reviewers can review reports.", "review its report"),
        Action.PUBLISH:        _rule(_,    _,          _,      _,       OUT,  _,
            "Only program admins publish reports.", "publish its report"),
        Action.CORRECT:        _rule(_,    _,          _,      _,       OUT,  _,
            "Only program admins correct published reports.", "correct its report"),
        Action.READ_DOCUMENTS: _rule(Y,    Y,          Y,      Y,       Y,    ENG,
            "You may not see this report's documents.", "read its documents as an auditor"),
        Action.READ_AUDIT:     _rule(_,    _,          _,      OUT,     OUT,  ENG,
            "Audit reports are for program reviewers, admins and auditors outside the organisation.",
            "read or generate its audit report"),
        Action.AUDIT:          _rule(_,    _,          _,      _,       _,    ENG,
            "Only the auditors engaged for this report can audit it.", "audit its report"),
    }),
    Kind.ORGANISATION: MappingProxyType({
        #                           viewer contributor officer reviewer admin auditor
        Action.READ:           _rule(Y,    Y,          Y,      _,       _,    _,
            "You do not belong to this organisation."),
        Action.START_REPORT:   _rule(_,    _,          Y,      _,       Y,    _,
            "Only the organisation's compliance officers or a program admin can open a report."),
    }),
    Kind.ENGAGEMENT: MappingProxyType({
        #                           viewer contributor officer reviewer admin auditor
        Action.READ:           _rule(_,    _,          _,      _,       Y,    SEAT,
            "This engagement is for its auditors and the program's admins."),
        Action.DECLARE:        _rule(_,    _,          _,      _,       _,    SEAT,
            "Only the engagement's auditors declare their independence."),
        Action.AUDIT:          _rule(_,    _,          _,      _,       _,    ENG,
            "Only the engagement's auditors, once they have declared their independence, work on it.",
            "audit it"),
        Action.MANAGE_ENGAGEMENTS: _rule(_, _,         _,      _,       Y,    _,
            "Only program admins manage audit engagements."),
    }),
    Kind.PROGRAM: MappingProxyType({
        #                           viewer contributor officer reviewer admin auditor
        Action.READ:           EVERYONE,
        Action.REVIEW_QUEUE:   _rule(_,    _,          _,      Y,       Y,    _,
            "The review queue is for program reviewers."),
        Action.PROGRAM_OVERVIEW: _rule(_,  _,          _,      Y,       Y,    _,
            "The program overview is for program reviewers and admins."),
        Action.READ_DOCUMENTS: _rule(_,    _,          _,      Y,       Y,    ENG,
            "Documents are for program reviewers, admins and auditors during their engagement.",
            "read its documents"),
        Action.REQUEST_PDF:    _rule(_,    _,          _,      _,       Y,    _,
            "Only program admins generate the program summary."),
        Action.INVITE:         _rule(_,    _,          _,      _,       Y,    _,
            "Only program admins can invite people."),
        Action.RESET_SECOND_FACTOR: _rule(_, _,        _,      _,       Y,    _,
            "Only program admins can reset someone's second factor."),
        Action.MANAGE_ENGAGEMENTS: _rule(_, _,         _,      _,       Y,    _,
            "Only program admins manage audit engagements."),
    }),
})
# fmt: on


@dataclass(frozen=True)
class DocumentRule:
    """What reading and generating one kind of signed PDF take, as actions of RULES."""

    kind: Kind  # the report's rules, or the program's
    read: Action
    request: Action


DOCUMENTS: Mapping[str, DocumentRule] = MappingProxyType(
    {
        ArtifactKind.PUBLIC: DocumentRule(Kind.REPORT, read=Action.READ_DOCUMENTS, request=Action.PUBLISH),
        ArtifactKind.AUDIT: DocumentRule(Kind.REPORT, read=Action.READ_AUDIT, request=Action.READ_AUDIT),
        ArtifactKind.SUMMARY: DocumentRule(
            Kind.PROGRAM, read=Action.READ_DOCUMENTS, request=Action.REQUEST_PDF
        ),
    }
)


# The actions on the parts: an item or evidence is asked as its report, a period as the program,
# a PDF as DOCUMENTS says, an audit bundle (bundles.models) as what it holds: an engagement's bundle
# as the engagement's AUDIT, a report's as its audit PDF (READ_AUDIT).
ITEM_ACTIONS = (Action.READ, Action.EDIT, Action.COMMENT, Action.RESPOND, Action.REVIEW)
EVIDENCE_ACTIONS = (Action.READ,)
BUNDLE_ACTIONS = (Action.READ,)
ARTIFACT_ACTIONS = (Action.READ, Action.REQUEST_PDF)
PERIOD_ACTIONS = (Action.READ, Action.READ_DOCUMENTS, Action.REQUEST_PDF)


def document_action(kind: str, action: Action | str) -> Action:
    """The report or program action that reading (READ) or generating (REQUEST_PDF) this kind of PDF takes."""
    document = DOCUMENTS[kind]
    return document.read if _one_of(Action(action), ARTIFACT_ACTIONS) == Action.READ else document.request


# --- who someone is ---------------------------------------------------------------------------------


def _memberships(user: Any) -> dict[int, str]:
    """Organisation id → membership role, read once per user object (one query for every check)."""
    if not user.is_authenticated:
        return {}
    cache = user.__dict__.get("_access_memberships")
    if cache is None:
        cache = dict(Membership.objects.filter(user=user).values_list("organisation_id", "role"))
        user.__dict__["_access_memberships"] = cache
    return cache


def membership_role(user: Any, organisation: Organisation | int) -> str | None:
    """The user's role in the organisation (officer, contributor, viewer), or None."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    return _memberships(user).get(organisation_id)


def forget(user: Any) -> None:
    """Drop what the gate read of this user object (memberships, engagements) after they change."""
    user.__dict__.pop("_access_memberships", None)
    user.__dict__.pop("_access_seats", None)


def _platform_role(user: Any) -> Role | None:
    role = getattr(user, "platform_role", "") if user.is_authenticated else ""
    return Role(role) if role else None


@dataclass(frozen=True)
class _Seat:
    """An engagement open now, as one of its auditors sees it."""

    engagement_id: int
    declared: bool
    organisation_ids: frozenset[int]
    period_ids: frozenset[int]


def _seats(user: Any) -> tuple[_Seat, ...]:
    """The open engagements the user is an auditor of, read once per user object (two queries)."""
    if not user.is_authenticated or _platform_role(user) is not Role.AUDITOR:
        return ()
    cache = user.__dict__.get("_access_seats")
    if cache is None:
        from audits.models import Engagement, EngagementAuditor

        seats = dict(
            EngagementAuditor.objects.filter(
                auditor=user, engagement__in=Engagement.objects.open_at()
            ).values_list("engagement_id", "declared_at")
        )
        scope: dict[int, tuple[set[int], set[int]]] = {pk: (set(), set()) for pk in seats}
        through_orgs = Engagement.organisations.through.objects.filter(engagement_id__in=seats)
        for engagement_id, organisation_id in through_orgs.values_list("engagement_id", "organisation_id"):
            scope[engagement_id][0].add(organisation_id)
        through_periods = Engagement.periods.through.objects.filter(engagement_id__in=seats)
        for engagement_id, period_id in through_periods.values_list("engagement_id", "reportingperiod_id"):
            scope[engagement_id][1].add(period_id)
        cache = tuple(
            _Seat(pk, declared_at is not None, frozenset(scope[pk][0]), frozenset(scope[pk][1]))
            for pk, declared_at in seats.items()
        )
        user.__dict__["_access_seats"] = cache
    return cache


def _seated(user: Any, scope: "_Target", *, declared: bool) -> bool:
    """Whether an open engagement of the user covers the object (and is declared, if asked)."""
    for seat in _seats(user):
        if declared and not seat.declared:
            continue
        if scope.engagement_id is not None and seat.engagement_id != scope.engagement_id:
            continue
        if scope.organisation_id is not None and scope.organisation_id not in seat.organisation_ids:
            continue
        if scope.period_id is not None and scope.period_id not in seat.period_ids:
            continue
        return True
    return False


# --- the table, asked -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """An object as the table sees it: the rules it follows, what it belongs to, the action meant."""

    kind: Kind
    organisation_id: int | None
    action: Action
    visible_by: tuple[Action, ...] | None = None  # None: any action of its kind makes it visible
    period_id: int | None = None  # what an engagement must cover, with the organisation
    engagement_id: int | None = None


def _allowed(user: Any, rule: Rule, scope: _Target) -> bool:
    if rule.everyone:
        return True
    if not user.is_authenticated:
        return False
    platform = _platform_role(user)
    cell = rule.cells[platform] if platform else Cell.NO
    if cell is Cell.YES:
        return True
    member = membership_role(user, scope.organisation_id) if scope.organisation_id is not None else None
    if member is not None:
        return rule.cells[Role(member)] is Cell.YES
    if cell in (Cell.ENGAGED, Cell.SEATED):
        return _seated(user, scope, declared=cell is Cell.ENGAGED)
    return cell is Cell.OUTSIDE


def _conflict(user: Any, rule: Rule, scope: _Target) -> str | None:
    """The words for someone whose platform role would allow this, but who belongs to the organisation."""
    platform = _platform_role(user)
    if (
        platform is not None
        and rule.cells[platform] in (Cell.OUTSIDE, Cell.ENGAGED)
        and scope.organisation_id is not None
        and membership_role(user, scope.organisation_id) is not None
        and not _allowed(user, rule, scope)
    ):
        return f"You belong to this organisation, so you cannot {rule.conflict}."
    return None


def _refusal(user: Any, rule: Rule, scope: _Target) -> str:
    return _conflict(user, rule, scope) or rule.refusal


def _sees(user: Any, scope: _Target) -> bool:
    """Whether the user may do anything at all with an object of this kind and scope."""
    return any(_allowed(user, rule, scope) for rule in RULES[scope.kind].values())


def _target(action: Action | str, obj: Any) -> _Target:
    target = _part(Action(action), obj)
    if target.action not in RULES[target.kind]:
        raise ValueError(f"{target.action} is not an action on {type(obj).__name__} ({target.kind} rules).")
    return target


def _part(action: Action, obj: Any) -> _Target:
    from audits.models import Engagement

    if obj is None:
        return _Target(Kind.PROGRAM, None, action)
    if isinstance(obj, ReportingPeriod):
        return _Target(Kind.PROGRAM, None, action, period_id=obj.pk)
    if isinstance(obj, Organisation):
        return _Target(Kind.ORGANISATION, obj.pk, action)
    if isinstance(obj, Engagement):
        return _Target(Kind.ENGAGEMENT, None, action, engagement_id=obj.pk)
    if isinstance(obj, ProgressReport):
        return _Target(Kind.REPORT, obj.organisation_id, action, period_id=obj.period_id)
    if isinstance(obj, ItemResponse):
        report = obj.report
        return _Target(
            Kind.REPORT, report.organisation_id, _one_of(action, ITEM_ACTIONS), period_id=report.period_id
        )
    if isinstance(obj, Evidence):
        _one_of(action, EVIDENCE_ACTIONS)
        report = obj.item.report
        return _Target(Kind.REPORT, report.organisation_id, Action.READ, (Action.READ,), report.period_id)
    if _is_bundle(obj):
        _one_of(action, BUNDLE_ACTIONS)
        if obj.engagement_id is not None:
            return _Target(
                Kind.ENGAGEMENT, None, Action.AUDIT, (Action.AUDIT,), engagement_id=obj.engagement_id
            )
        report = obj.report
        return _Target(
            Kind.REPORT, report.organisation_id, Action.READ_AUDIT, (Action.READ_AUDIT,), report.period_id
        )
    if isinstance(obj, ReportArtifact):
        document = DOCUMENTS[obj.kind]
        on_report = document.kind == Kind.REPORT
        return _Target(
            document.kind,
            obj.report.organisation_id if on_report else None,
            document_action(obj.kind, action),
            (document.read,),
            obj.report.period_id if on_report else obj.period_id,
        )
    raise TypeError(f"The access gate has no rules for {type(obj).__name__}.")


def _is_bundle(obj: Any) -> bool:
    from bundles.models import AuditBundle

    return isinstance(obj, AuditBundle)


def _one_of(action: Action, actions: tuple[Action, ...]) -> Action:
    if action not in actions:
        raise ValueError(f"{action} is not an action on this kind of object ({', '.join(actions)}).")
    return action


def _visible(user: Any, target: _Target) -> bool:
    if target.visible_by is None:
        return _sees(user, target)
    rules = RULES[target.kind]
    return any(_allowed(user, rules[action], target) for action in target.visible_by)


def can(user: Any, action: Action | str, obj: Any = None) -> bool:
    """Whether the user may do `action` on `obj` (None: the program itself)."""
    target = _target(action, obj)
    return _allowed(user, RULES[target.kind][target.action], target)


def refusal(user: Any, action: Action | str, obj: Any = None) -> str | None:
    """Why the user may not do `action` on `obj`, in words for them; None when they may."""
    target = _target(action, obj)
    rule = RULES[target.kind][target.action]
    if _allowed(user, rule, target):
        return None
    return _refusal(user, rule, target)


def conflict(user: Any, action: Action | str, obj: Any = None) -> str | None:
    """Why the user may not do `action` on `obj` when it is only because they belong to its organisation."""
    target = _target(action, obj)
    return _conflict(user, RULES[target.kind][target.action], target)


def can_document(user: Any, kind: str, action: Action | str, obj: Any = None) -> bool:
    """Whether the user may read or generate (REQUEST_PDF) a PDF of this kind, of a report or period."""
    return can(user, document_action(kind, action), obj)


def require(user: Any, action: Action | str, obj: Any = None) -> None:
    """For services: NotAllowed, with the refusal's words, unless the user may."""
    reason = refusal(user, action, obj)
    if reason is not None:
        raise NotAllowed(reason)


def reports_where(user: Any, action: Action) -> Q:
    """The reports the user may do `action` on, as a filter (a subquery, no query of its own)."""
    return _where(user, RULES[Kind.REPORT][action], organisation="organisation", period="period")


def organisations_where(user: Any, action: Action) -> Q:
    """The organisations the user may do `action` on, as a filter (a subquery, no query of its own)."""
    return _where(user, RULES[Kind.ORGANISATION][action], organisation="pk")


def _where(user: Any, rule: Rule, *, organisation: str, period: str | None = None) -> Q:
    """`rule` as a filter on rows whose organisation (and period, for engagements) are these fields."""
    platform = _platform_role(user)
    cell = rule.cells[platform] if platform else Cell.NO
    if cell is Cell.YES:
        return Q()
    if not user.is_authenticated:
        return Q(pk__in=[])
    mine = Membership.objects.filter(user=user)
    roles = [role for role in MEMBER_ROLES if rule.cells[role] is Cell.YES]
    allowed = Q(**{f"{organisation}__in": mine.filter(role__in=roles).values("organisation")})
    not_mine = ~Q(**{f"{organisation}__in": mine.values("organisation")})
    if cell is Cell.OUTSIDE:
        allowed |= not_mine
    if cell is Cell.ENGAGED:
        for seat in _seats(user):
            if seat.declared:
                engaged = Q(**{f"{organisation}__in": seat.organisation_ids})
                if period is not None:
                    engaged &= Q(**{f"{period}__in": seat.period_ids})
                allowed |= engaged & not_mine
    return allowed


# --- the gate: the object an URL names, or 404 / 403 ------------------------------------------------


def _deny(user: Any, target: _Target) -> None:
    rule = RULES[target.kind][target.action]
    if not _allowed(user, rule, target):
        raise PermissionDenied(_refusal(user, rule, target))


def _seen(user: Any, obj: Any, action: Action) -> _Target:
    """404 unless the user may see `obj` (None: it does not exist), alike in status and words."""
    if obj is None:
        raise Http404(NOT_FOUND)
    target = _target(action, obj)
    if not _visible(user, target):
        raise Http404(NOT_FOUND)
    return target


def _open(user: Any, obj: Any, action: Action) -> Any:
    """404 unless the user may see `obj`, then 403 unless they may do `action` on it."""
    _deny(user, _seen(user, obj, action))
    return obj


def _reports() -> QuerySet[ProgressReport]:
    return ProgressReport.objects.select_related("organisation", "period__framework")


def report_for(
    user: Any, pk: int, *, action: Action, queryset: QuerySet[ProgressReport] | None = None
) -> ProgressReport:
    """The report, read with `queryset` (a selector's, for what the page shows)."""
    queryset = _reports() if queryset is None else queryset
    return _open(user, queryset.filter(pk=pk).first(), action)


def item_for(
    user: Any,
    report_pk: int,
    item_pk: int,
    *,
    action: Action,
    reports: QuerySet[ProgressReport] | None = None,
    items: QuerySet[ItemResponse] | None = None,
) -> ItemResponse:
    """An item of the report, with `.report` set to the report as `reports` reads it.

    The report is seen first, so an item's existence is told only to those who may see the report;
    then a missing item is a 404, and an action the user may not do a 403.
    """
    reports = _reports() if reports is None else reports
    report = reports.filter(pk=report_pk).first()
    target = _seen(user, report, _one_of(action, ITEM_ACTIONS))
    if items is None:
        items = ItemResponse.objects.select_related("node")
    item = items.filter(pk=item_pk, report_id=report.pk).first()
    if item is None:
        raise Http404(NOT_FOUND)
    _deny(user, target)
    item.report = report
    return item


def evidence_for(user: Any, pk: int, *, action: Action = Action.READ) -> Evidence:
    """Evidence of a report the user may read; restricted files included (members see them)."""
    evidence = Evidence.objects.select_related("item__report__organisation").filter(pk=pk).first()
    return _open(user, evidence, action)


def artifact_for(user: Any, pk: int, *, action: Action) -> ReportArtifact:
    """A signed PDF; one the user may not read is as unknown as an id never issued."""
    artifact = (
        ReportArtifact.objects.select_related("report__organisation", "report__period", "period")
        .filter(pk=pk)
        .first()
    )
    return _open(user, artifact, action)


def organisation_for(user: Any, slug: str, *, action: Action) -> Organisation:
    """An organisation by slug; one the user has nothing to do with is as unknown as a made-up slug."""
    return _open(user, Organisation.objects.filter(slug=slug).first(), action)


def program_for(user: Any, *, action: Action) -> None:
    """Program-wide pages have no object to hide: 403 unless the user may."""
    _deny(user, _target(action, None))


def period_for(user: Any, pk: int, *, action: Action) -> ReportingPeriod:
    """A reporting period. 403 comes before the lookup: the answer is the same for any id."""
    _deny(user, _target(_one_of(action, PERIOD_ACTIONS), None))
    period = ReportingPeriod.objects.select_related("framework").filter(pk=pk).first()
    if period is None:
        raise Http404(NOT_FOUND)
    return period


def engagement_for(user: Any, pk: int, *, action: Action):
    """An audit engagement; one the user may do nothing with (another's, or outside its window) is
    as unknown as an id never issued."""
    from audits.models import Engagement

    return _open(user, Engagement.objects.filter(pk=pk).first(), action)


def bundle_for(user: Any, pk: int, *, action: Action = Action.READ):
    """An audit bundle (bundles.models): its requester's alone, since it holds what they may see,
    and only while they still may (the engagement open, their role unchanged). Anyone else's, or
    one they may no longer read, is as unknown as an id never issued."""
    from bundles.models import AuditBundle

    bundle = (
        AuditBundle.objects.select_related("report__organisation", "report__period", "engagement")
        .filter(pk=pk, requested_by_id=getattr(user, "pk", None))
        .first()
    )
    return _open(user, bundle, action)
