from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Invitation, User

# Second-factor devices change only through accounts.services: set up by their owner, reset by a
# program admin (logged, and the person told). In the admin anyone with the right could give
# someone else's account an app whose secret they know.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "platform_role", "is_staff", "is_active"]
    list_filter = ["platform_role", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "platform_role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """For looking things up only: invitations are sent from the Invitations page, which emails the link."""

    list_display = ["email", "target_label", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["platform_role", "role", "organisation"]
    search_fields = ["email"]
    list_select_related = ["organisation", "invited_by"]
    readonly_fields = [
        "email",
        "organisation",
        "role",
        "platform_role",
        "token_hash",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_user",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Viewing only; expiring an invitation early is done by deleting it.
        return False
