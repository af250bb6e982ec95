from django.contrib import admin

from bundles.models import AuditBundle


@admin.register(AuditBundle)
class AuditBundleAdmin(admin.ModelAdmin):
    """Read-only: a bundle is made by its job and downloaded through the access gate, never here."""

    list_display = (
        "pk",
        "engagement",
        "report",
        "requested_by",
        "status",
        "files_done",
        "files_total",
        "built_at",
    )
    list_filter = ("status",)
    readonly_fields = [field.name for field in AuditBundle._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
