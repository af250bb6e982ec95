"""Publications are immutable snapshots written by report_publish (and its corrections, which
supersede rather than edit), each with its ledger entry: staff may look, not change."""

from django.contrib import admin

from commitments.admin import ReadOnlyAdminMixin
from reports.models import Publication


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["report", "version", "published_at", "published_by", "short_sha256"]
    list_select_related = ["report__organisation", "report__period__framework", "published_by"]
    search_fields = ["report__organisation__name", "snapshot_sha256"]

    @admin.display(description="snapshot SHA-256")
    def short_sha256(self, obj):
        return obj.snapshot_sha256[:12]
