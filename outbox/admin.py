"""Operators see here what is stuck in the outbox; `manage.py dispatch_outbox` retries it."""

from django.contrib import admin
from django.template.defaultfilters import truncatechars

from commitments.admin import ReadOnlyAdminMixin
from outbox.models import OutboxEntry


# Rows are written by the outbox alone: an email payload edited here would be sent as edited.
@admin.register(OutboxEntry)
class OutboxEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "kind", "status", "key", "attempts", "next_attempt_at", "error", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("key",)
    date_hierarchy = "created_at"
    fields = (
        "kind",
        "status",
        "key",
        "payload",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "last_error",
        "created_at",
        "updated_at",
        "done_at",
    )
    readonly_fields = fields

    @admin.display(description="last error")
    def error(self, entry: OutboxEntry) -> str:
        return truncatechars(entry.last_error, 120)
