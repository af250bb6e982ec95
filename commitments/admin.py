"""Staff housekeeping.

Organisations, memberships, commitments and reporting periods are plain records staff keep
up to date here. Everything else is written elsewhere and only shown: frameworks by the YAML
loader (a change is a new version), reports and everything in them by the services in
commitments.services, each change with its ledger entry in the same transaction, and the
ledger itself only by ledger_append.
"""

from django.contrib import admin
from django.db import models

from commitments.models import (
    Comment,
    Commitment,
    CompanyResponse,
    CrosswalkLink,
    Evidence,
    Framework,
    FrameworkNode,
    ItemResponse,
    ItemVerdict,
    LedgerEntry,
    Membership,
    MetricDefinition,
    Organisation,
    ProgressReport,
    ReportingPeriod,
)
from commitments.vocabulary import LedgerEvent


class ReadOnlyAdminMixin:
    """Staff may look but not add, change or delete (works for ModelAdmin and inlines)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HttpsUrlsMixin:
    """Web addresses typed without a scheme are taken as https:// (as Django 6.0 will by default)."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


# The paths from an item response to what its __str__ shows: the report's organisation and
# period (whose __str__ names its framework) and the node.
ITEM_RELATED = ("item__report__organisation", "item__report__period__framework", "item__node")


# --- frameworks: loaded from YAML, read-only here ------------------------------------------------


class FrameworkNodeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FrameworkNode
    fields = ["node_id", "kind", "code", "title", "reportable", "unconfirmed"]
    ordering = ["position"]
    show_change_link = True
    extra = 0


@admin.register(Framework)
class FrameworkAdmin(HttpsUrlsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "version", "title", "publisher", "published_on", "loaded_at"]
    search_fields = ["key", "title"]
    inlines = [FrameworkNodeInline]


@admin.register(FrameworkNode)
class FrameworkNodeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["node_id", "framework", "kind", "code", "title", "reportable"]
    list_filter = ["framework", "kind", "reportable"]
    list_select_related = ["framework"]
    search_fields = ["node_id", "title"]


@admin.register(MetricDefinition)
class MetricDefinitionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "name", "unit", "node", "required"]
    list_filter = ["unit", "required"]
    list_select_related = ["node"]
    search_fields = ["key", "name", "node__node_id"]


@admin.register(CrosswalkLink)
class CrosswalkLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["source", "target", "note"]
    list_select_related = ["source", "target"]
    search_fields = ["source__node_id", "target__node_id"]


# --- organisations and what they signed: edited by staff -----------------------------------------


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(HttpsUrlsMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "website", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__email", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(Commitment)
class CommitmentAdmin(HttpsUrlsMixin, admin.ModelAdmin):
    list_display = ["organisation", "framework", "signed_on", "signatory", "cadence"]
    list_filter = ["framework", "cadence"]
    list_select_related = ["organisation", "framework"]
    search_fields = ["organisation__name", "signatory"]
    autocomplete_fields = ["organisation"]


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(admin.ModelAdmin):
    list_display = ["label", "framework", "starts_on", "ends_on", "due_on"]
    list_filter = ["framework"]
    list_select_related = ["framework"]


# --- reports: written only through the services, each change with its ledger entry ---------------


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "revision", "reviewer", "submitted_at", "published_at"]
    list_filter = ["status", "period__framework"]
    list_select_related = ["organisation", "period__framework", "reviewer"]
    search_fields = ["organisation__name"]


@admin.register(ItemResponse)
class ItemResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "version", "carried_forward", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["report__organisation", "report__period__framework", "node"]
    search_fields = ["node__node_id", "report__organisation__name"]


@admin.register(Evidence)
class EvidenceAdmin(HttpsUrlsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "item", "kind", "visibility", "revision", "short_sha256", "created_at"]
    list_filter = ["kind", "visibility"]
    list_select_related = ITEM_RELATED
    search_fields = ["title", "sha256"]

    @admin.display(description="SHA-256")
    def short_sha256(self, obj):
        return obj.sha256[:12]


@admin.register(ItemVerdict)
class ItemVerdictAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["item", "report_revision", "verdict", "reviewer", "created_at"]
    list_filter = ["verdict"]
    list_select_related = [*ITEM_RELATED, "reviewer"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["item", "author", "created_at"]
    list_select_related = [*ITEM_RELATED, "author"]


@admin.register(CompanyResponse)
class CompanyResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["item", "author", "created_at"]
    list_select_related = [*ITEM_RELATED, "author"]


# --- the ledger: append-only ----------------------------------------------------------------------


class LedgerEventFilter(admin.SimpleListFilter):
    """Every event the platform appends, by its name in the history, whether the ledger has one yet."""

    title = "event"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return LedgerEvent.choices

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["sequence", "created_at", "event", "subject_type", "subject_id", "short_hash"]
    list_filter = [LedgerEventFilter]
    # The columns read from the payload are not form fields, so the page lists them all itself.
    fields = readonly_fields = [
        "sequence",
        "created_at",
        "event",
        "actor_id",
        "subject_type",
        "subject_id",
        "report_id",
        "payload",
        "prev_hash",
        "entry_hash",
    ]
    search_fields = ["event"]
    ordering = ["-sequence"]
    # Counting a long ledger on every page is the slowest part of the list.
    show_full_result_count = False

    @admin.display(description="hash")
    def short_hash(self, obj):
        return obj.entry_hash[:12]
