"""The auditor's work on an engagement: workpapers, findings, the company's response, attestation.

One function per change, each in one transaction with its ledger entry. The access gate
(commitments/access.py) decides who may (Action.AUDIT on the engagement: its auditors, once they
declared their independence, while it is open; Action.RESPOND on the report for the
organisation's officers); these functions add the audit's own rules:

- An item is worked on only within the engagement's scope: its report's organisation and period
  are the engagement's.
- Four eyes: where an engagement has two or more auditors, a workpaper is signed off by an auditor
  other than its preparer, and every workpaper is signed off before the attestation. Saving a
  signed-off workpaper again clears its sign-off (the changed paper needs a fresh review) and
  makes whoever saved it its preparer; saving it unchanged changes nothing.
- A nonconformity names a recommended action. The organisation's officers write the company's
  response to an observation or a nonconformity; it is ledgered as FINDING_RECORDED with
  `"part": FindingPart.COMPANY_RESPONSE` in its data (the finding itself has FindingPart.FINDING).
- The attestation is signed once every item in scope has a finding. After it, the engagement's
  workpapers and findings (and responses) never change, except for the organisation's follow-up
  of a corrective action in its next report (audits/services/follow_up.py). A correction is a new
  attestation naming the one it replaces, with a reason: it restates the opinion, statement and
  date on the same record; the workpapers and findings stay as they were attested (what was
  wrong in them is said in the correction's statement and reason).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audits.models import Attestation, Engagement, Finding, Workpaper
from audits.selectors_work import attestation_missing, item_in_scope
from commitments import access
from commitments.errors import InvalidTransition, NotAllowed, ValidationFailed
from commitments.markdown import plain_text_problems
from commitments.models import ItemResponse
from commitments.services.ledger import ledger_append
from commitments.vocabulary import FindingKind, FindingPart, LedgerEvent, Opinion
from reports.opendata.services import opendata_rebuild_for_attestation

WORKPAPER_FIELDS = ("procedure", "population", "sample", "result", "conclusion")
ATTESTED = "This engagement is attested: its workpapers and findings no longer change."


def _texts(values: dict[str, str], *, required: tuple[str, ...]) -> dict[str, str]:
    """The texts stripped; ValidationFailed naming each field that is missing or too long."""
    cleaned = {name: (value or "").strip() for name, value in values.items()}
    problems: dict[str, list[str]] = {}
    for name, value in cleaned.items():
        if name in required and not value:
            problems[name] = ["This field is required."]
        elif value:
            too_long = plain_text_problems(value)
            if too_long:
                problems[name] = too_long
    if problems:
        raise ValidationFailed("Nothing was saved: see the problems below.", problems)
    return cleaned


def _engagement_lock(engagement: Engagement) -> Engagement:
    """The engagement's row, locked: its work and its attestation change one at a time."""
    return Engagement.objects.select_for_update().get(pk=engagement.pk)


def _open_work(engagement: Engagement, acting_user: User, item: ItemResponse | None = None) -> Engagement:
    """The engagement locked, once the gate lets the user audit it (and the item is in its scope)
    and it is not attested."""
    access.require(acting_user, access.Action.AUDIT, engagement)
    locked = _engagement_lock(engagement)
    if item is not None:
        if not item_in_scope(locked, item):
            raise NotAllowed("This item is not in the engagement's scope (its organisations and periods).")
        access.require(acting_user, access.Action.AUDIT, item.report)
    if Attestation.objects.filter(engagement=locked).exists():
        raise InvalidTransition(ATTESTED)
    return locked


def _auditor_count(engagement: Engagement) -> int:
    return engagement.auditors.count()


@transaction.atomic
def workpaper_save(
    *,
    engagement: Engagement,
    item: ItemResponse,
    acting_user: User,
    procedure: str,
    population: str,
    sample: str,
    result: str,
    conclusion: str,
) -> Workpaper:
    """Create or update the item's workpaper; whoever saves it is its preparer."""
    locked = _open_work(engagement, acting_user, item)
    texts = _texts(
        dict(zip(WORKPAPER_FIELDS, (procedure, population, sample, result, conclusion), strict=True)),
        required=WORKPAPER_FIELDS,
    )
    workpaper = Workpaper.objects.select_for_update().filter(engagement=locked, item=item).first()
    if workpaper is not None and all(getattr(workpaper, name) == texts[name] for name in WORKPAPER_FIELDS):
        return workpaper  # nothing changed: no new preparer, the sign-off stands
    now = timezone.now()
    sign_off_cleared = workpaper is not None and workpaper.reviewed_by_id is not None
    if workpaper is None:
        workpaper = Workpaper(engagement=locked, item=item)
    for name in WORKPAPER_FIELDS:
        setattr(workpaper, name, texts[name])
    workpaper.prepared_by = acting_user
    workpaper.prepared_at = now
    workpaper.reviewed_by = None
    workpaper.reviewed_at = None
    workpaper.save()
    ledger_append(
        event=LedgerEvent.WORKPAPER_SAVED,
        subject=workpaper,
        actor=acting_user,
        report_id=item.report_id,
        data={
            "engagement": locked.pk,
            "item": item.pk,
            "node": item.node.node_id,
            **texts,
            "sign_off_cleared": sign_off_cleared,
        },
    )
    return workpaper


@transaction.atomic
def workpaper_sign_off(*, workpaper: Workpaper, acting_user: User) -> Workpaper:
    """Four eyes: a second auditor of the engagement signs off the preparer's workpaper."""
    locked = _open_work(workpaper.engagement, acting_user)
    paper = Workpaper.objects.select_for_update().select_related("item__node").get(pk=workpaper.pk)
    if _auditor_count(locked) < 2:
        raise InvalidTransition(
            "This engagement has one auditor, so there is no second auditor to sign off its workpapers."
        )
    if paper.prepared_by_id == acting_user.pk:
        raise NotAllowed("You prepared this workpaper; another auditor of the engagement signs it off.")
    if paper.reviewed_by_id is not None:
        raise InvalidTransition("This workpaper is already signed off.")
    paper.reviewed_by = acting_user
    paper.reviewed_at = timezone.now()
    paper.save(update_fields=["reviewed_by", "reviewed_at"])
    ledger_append(
        event=LedgerEvent.WORKPAPER_SIGNED_OFF,
        subject=paper,
        actor=acting_user,
        report_id=paper.item.report_id,
        data={
            "engagement": locked.pk,
            "item": paper.item_id,
            "node": paper.item.node.node_id,
            "prepared_by": paper.prepared_by_id,
            "prepared_at": paper.prepared_at,
        },
    )
    return paper


@transaction.atomic
def finding_record(
    *,
    engagement: Engagement,
    item: ItemResponse,
    acting_user: User,
    kind: str,
    description: str,
    recommended_action: str = "",
    corrective_action: str = "",
) -> Finding:
    """Create or update the item's finding, until the engagement is attested."""
    locked = _open_work(engagement, acting_user, item)
    texts = _texts(
        {
            "description": description,
            "recommended_action": recommended_action,
            "corrective_action": corrective_action,
        },
        required=("description",),
    )
    problems: dict[str, list[str]] = {}
    if kind not in FindingKind.values:
        problems["kind"] = [f"Choose one of: {', '.join(str(label) for label in FindingKind.labels)}."]
    elif kind == FindingKind.NONCONFORMITY and not texts["recommended_action"]:
        problems["recommended_action"] = ["A nonconformity needs a recommended action."]
    if problems:
        raise ValidationFailed("The finding was not recorded: see the problems below.", problems)
    finding = Finding.objects.select_for_update().filter(engagement=locked, item=item).first()
    if finding is None:
        finding = Finding(engagement=locked, item=item)
    finding.kind = kind
    finding.description = texts["description"]
    finding.recommended_action = texts["recommended_action"]
    finding.corrective_action = texts["corrective_action"]
    finding.recorded_by = acting_user
    finding.recorded_at = timezone.now()
    finding.save()
    ledger_append(
        event=LedgerEvent.FINDING_RECORDED,
        subject=finding,
        actor=acting_user,
        report_id=item.report_id,
        data={
            "part": FindingPart.FINDING,
            "engagement": locked.pk,
            "item": item.pk,
            "node": item.node.node_id,
            "kind": kind,
            **texts,
        },
    )
    return finding


@transaction.atomic
def finding_respond(*, finding: Finding, acting_user: User, company_response: str) -> Finding:
    """The organisation's officer writes the company's response to an observation or nonconformity."""
    finding = Finding.objects.select_related("item__report", "item__node").get(pk=finding.pk)
    access.require(acting_user, access.Action.RESPOND, finding.item.report)
    _engagement_lock(finding.engagement)
    finding = (
        Finding.objects.select_for_update().select_related("item__report", "item__node").get(pk=finding.pk)
    )
    if Attestation.objects.filter(engagement_id=finding.engagement_id).exists():
        raise InvalidTransition("The engagement is attested: the company's response can no longer change.")
    if finding.kind == FindingKind.CONFORMS:
        raise InvalidTransition("The auditor found this item conforms; there is nothing to respond to.")
    response = _texts({"company_response": company_response}, required=("company_response",))
    finding.company_response = response["company_response"]
    finding.save(update_fields=["company_response"])
    ledger_append(
        event=LedgerEvent.FINDING_RECORDED,
        subject=finding,
        actor=acting_user,
        report_id=finding.item.report_id,
        data={
            "part": FindingPart.COMPANY_RESPONSE,
            "engagement": finding.engagement_id,
            "item": finding.item_id,
            "node": finding.item.node.node_id,
            "company_response": finding.company_response,
        },
    )
    return finding


def _attestation_input(opinion: str, statement: str, attested_on: datetime.date | None) -> dict:
    texts = _texts({"statement": statement}, required=("statement",))
    problems: dict[str, list[str]] = {}
    if opinion not in Opinion.values:
        problems["opinion"] = [f"Choose one of: {', '.join(str(label) for label in Opinion.labels)}."]
    if not isinstance(attested_on, datetime.date):
        problems["attested_on"] = ["Give the date of the attestation."]
    elif attested_on > timezone.localdate():
        problems["attested_on"] = ["An attestation cannot be dated in the future."]
    if problems:
        raise ValidationFailed("The attestation was not signed: see the problems below.", problems)
    return {"opinion": opinion, "statement": texts["statement"], "attested_on": attested_on}


def _attestation_ledger(attestation: Attestation, acting_user: User, **extra) -> None:
    ledger_append(
        event=LedgerEvent.ATTESTATION_SIGNED,
        subject=attestation,
        actor=acting_user,
        data={
            "engagement": attestation.engagement_id,
            "opinion": attestation.opinion,
            "statement": attestation.statement,
            "attested_on": attestation.attested_on.isoformat(),
            **extra,
        },
    )
    # What the public sees changes with it: the open data of the periods in scope, the pages.
    opendata_rebuild_for_attestation(attestation)


@transaction.atomic
def attestation_sign(
    *,
    engagement: Engagement,
    acting_user: User,
    opinion: str,
    statement: str,
    attested_on: datetime.date | None,
) -> Attestation:
    """The auditor's signed opinion, once every item in scope has a finding (and, with two
    auditors, every workpaper is signed off). One per engagement: later, a correction."""
    locked = _open_work(engagement, acting_user)
    values = _attestation_input(opinion, statement, attested_on)
    missing = attestation_missing(locked)
    if missing:
        raise InvalidTransition(f"The engagement cannot be attested yet: {missing.sentence()}")
    attestation = Attestation.objects.create(
        engagement=locked, signed_by=acting_user, signed_at=timezone.now(), **values
    )
    _attestation_ledger(attestation, acting_user)
    return attestation


@transaction.atomic
def attestation_correct(
    *,
    attestation: Attestation,
    acting_user: User,
    opinion: str,
    statement: str,
    attested_on: datetime.date | None,
    reason: str,
) -> Attestation:
    """A new attestation that replaces `attestation`, which stays readable as it was signed."""
    access.require(acting_user, access.Action.AUDIT, attestation.engagement)
    locked = _engagement_lock(attestation.engagement)
    values = _attestation_input(opinion, statement, attested_on)
    reason = _texts({"reason": reason}, required=("reason",))["reason"]
    current = Attestation.objects.current().filter(engagement=locked).first()
    if current is None or current.pk != attestation.pk:
        raise InvalidTransition("This attestation has already been corrected; correct the latest one.")
    correction = Attestation.objects.create(
        engagement=locked,
        signed_by=acting_user,
        signed_at=timezone.now(),
        corrects=current,
        correction_reason=reason,
        **values,
    )
    _attestation_ledger(correction, acting_user, corrects=current.pk, reason=reason)
    return correction
