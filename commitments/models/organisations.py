from django.conf import settings
from django.db import models

from commitments.models.frameworks import Framework


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OFFICER = "officer", "Compliance officer"
        CONTRIBUTOR = "contributor", "Contributor"
        VIEWER = "viewer", "Viewer (read-only)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation} ({self.get_role_display()})"


class Commitment(models.Model):
    """An organisation has signed a framework and promised to report on it."""

    class Cadence(models.TextChoices):
        QUARTERLY = "quarterly", "Quarterly"
        ANNUAL = "annual", "Annual"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="commitments")
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="commitments")
    signed_on = models.DateField()
    signatory = models.CharField(max_length=200, help_text="Name and title of who signed.")
    statement_url = models.URLField(max_length=500, blank=True)
    cadence = models.CharField(max_length=20, choices=Cadence.choices, default=Cadence.ANNUAL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "framework"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "framework"], name="one_commitment_per_framework")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} signed {self.framework}"


class ReportingPeriod(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="periods")
    label = models.CharField(max_length=50, help_text="e.g. '2025' or '2025-Q3'.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["framework", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "label"], name="period_label_unique"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.framework.key} {self.label}"
