"""Independent audits (issue 14).

An engagement is what lets an auditor in: auditor(s) × organisation(s) × reporting period(s) ×
a time window. Outside it (another organisation, another period, the minute before it starts or
after it ends) the auditor reaches nothing of an organisation: the access gate
(commitments/access.py) asks `Engagement.objects.active_for` and nothing else. The platform
role "auditor" only says someone may be engaged.

Each auditor declares their independence before they read anything of the engagement. Per item
the auditor keeps a workpaper (procedure, population and sample, result, conclusion; signed off
by a second auditor where there are two) and records a finding; at the end one of them signs an
attestation with an opinion. An attestation is never changed: a correction is a new one that
names the one it replaces, as publications are corrected.

The words (finding kinds, opinions, request states) are in commitments/vocabulary.py; every
change goes through audits/services.py, which appends it to the ledger in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from commitments.models import Evidence, ItemResponse, Organisation, ReportingPeriod
from commitments.models.ledger import LedgerImmutableError
from commitments.vocabulary import FindingKind, Opinion, RequestStatus


class EngagementQuerySet(models.QuerySet):
    def open_at(self, moment=None) -> EngagementQuerySet:
        """Engagements whose window holds `moment` (now): starts_at <= moment < ends_at."""
        moment = moment or timezone.now()
        return self.filter(starts_at__lte=moment, ends_at__gt=moment)

    def active_for(self, user, moment=None) -> EngagementQuerySet:
        """The engagements that give `user` access now: open, with them as an auditor who has
        declared their independence."""
        return (
            self.open_at(moment)
            .filter(auditors__auditor=user, auditors__declared_at__isnull=False)
            .distinct()
        )


class Engagement(models.Model):
    title = models.CharField(max_length=200)
    firm = models.CharField(
        max_length=200,
        blank=True,
        help_text="The audit firm, shown on public pages with the auditors' names.",
    )
    standard = models.CharField(
        max_length=200, help_text="The audit standard or terms followed, e.g. “ISAE 3000, limited assurance”."
    )
    scope_statement = models.TextField(
        help_text="What is in scope and what the auditor is asked to conclude on."
    )
    organisations = models.ManyToManyField(Organisation, related_name="audit_engagements")
    periods = models.ManyToManyField(ReportingPeriod, related_name="audit_engagements")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EngagementQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="window_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, moment=None) -> bool:
        moment = moment or timezone.now()
        return self.starts_at <= moment < self.ends_at


class EngagementAuditor(models.Model):
    """An auditor of an engagement, with their independence declaration (none until declared)."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="auditors")
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="engagements"
    )
    declaration = models.TextField(blank=True)
    declared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["engagement", "pk"]
        constraints = [models.UniqueConstraint(fields=["engagement", "auditor"], name="one_seat_per_auditor")]

    def __str__(self) -> str:
        return f"{self.auditor} on {self.engagement}"


class EvidenceRequest(models.Model):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="requests")
    item = models.ForeignKey(ItemResponse, on_delete=models.PROTECT, related_name="audit_requests")
    message = models.TextField()
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return f"Evidence request {self.pk} ({self.get_status_display()})"


class EvidenceRequestReply(models.Model):
    """The organisation's answer to a request: a reply, a file for the auditor, or both.

    A file given in answer is stored like evidence (hashed, content-checked, content-addressed)
    but belongs to the reply, not to the item: the report the reviewer verified and the public saw
    stays as it was (see audits/services/requests.py).
    """

    request = models.ForeignKey(EvidenceRequest, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField(blank=True)
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    file_name = models.CharField(max_length=255, blank=True, help_text="The name it was uploaded under.")
    storage_name = models.CharField(max_length=300, blank=True, help_text="Content-addressed path.")
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    media_type = models.CharField(max_length=100, blank=True, help_text="Sniffed from the content.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Reply {self.pk} to request {self.request_id}"


class Workpaper(models.Model):
    """The auditor's record of testing one item: what was done, to what, with what result."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="workpapers")
    item = models.ForeignKey(ItemResponse, on_delete=models.PROTECT, related_name="audit_workpapers")
    procedure = models.TextField(help_text="The test procedure performed.")
    population = models.TextField(help_text="What was examined: the population tested.")
    sample = models.TextField(help_text="The sample: which evidence and which records.")
    result = models.TextField()
    conclusion = models.TextField()
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["engagement", "item__node__position"]
        constraints = [models.UniqueConstraint(fields=["engagement", "item"], name="one_workpaper_per_item")]

    def __str__(self) -> str:
        return f"Workpaper {self.pk} of {self.engagement_id}"


class Finding(models.Model):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="findings")
    item = models.ForeignKey(ItemResponse, on_delete=models.PROTECT, related_name="audit_findings")
    kind = models.CharField(max_length=20, choices=FindingKind.choices)
    description = models.TextField()
    recommended_action = models.TextField(blank=True)
    company_response = models.TextField(blank=True)
    corrective_action = models.TextField(blank=True)
    # A nonconformity's corrective action is followed up by the organisation in its next report
    # (audits/services/follow_up.py): written while that report is editable, published with it.
    # The auditor's part above never changes once attested; this part is the organisation's.
    followed_up_in = models.ForeignKey(
        "commitments.ProgressReport", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    follow_up = models.TextField(
        blank=True, help_text="What the organisation did about the corrective action."
    )
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    followed_up_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["engagement", "item__node__position"]
        constraints = [models.UniqueConstraint(fields=["engagement", "item"], name="one_finding_per_item")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.engagement_id})"


class AttestationQuerySet(models.QuerySet):
    def current(self) -> AttestationQuerySet:
        """Attestations no later one corrects."""
        return self.filter(corrected_by__isnull=True)

    def update(self, **kwargs):
        raise LedgerImmutableError("An attestation is never changed: sign a correction instead.")

    def delete(self):
        raise LedgerImmutableError("An attestation is never deleted: sign a correction instead.")


class Attestation(models.Model):
    """The auditor's signed conclusion. Immutable: a correction is a new attestation naming this one."""

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="attestations")
    opinion = models.CharField(max_length=20, choices=Opinion.choices)
    statement = models.TextField()
    attested_on = models.DateField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by"
    )
    correction_reason = models.TextField(blank=True)

    objects = AttestationQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_opinion_display()} opinion on {self.engagement_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise LedgerImmutableError("An attestation is never changed: sign a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutableError("An attestation is never deleted: sign a correction instead.")
