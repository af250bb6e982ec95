from django.db import models

from commitments.models.organisations import Organisation, ReportingPeriod


class ReminderSent(models.Model):
    """Claims one deadline reminder for one organisation and period, so it is sent once only."""

    class Kind(models.TextChoices):
        DUE_IN_14_DAYS = "due_14", "Due in 14 days"
        DUE_IN_3_DAYS = "due_3", "Due in 3 days"
        OVERDUE = "overdue", "Overdue"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "period", "kind"], name="reminder_sent_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder to {self.organisation} for {self.period}"
