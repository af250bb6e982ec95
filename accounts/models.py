import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone

from commitments.models.organisations import Membership, Organisation


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("platform_role", User.PlatformRole.PROGRAM_ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an email address.

    Organisation roles (officer, contributor, viewer) live on Membership; the platform role
    says whether the person is program staff (admin, reviewer) or an independent auditor. What
    each role may do is the access gate's table (commitments.access), not properties here.
    """

    class PlatformRole(models.TextChoices):
        NONE = "", "None"
        PROGRAM_ADMIN = "program_admin", "Program admin"
        REVIEWER = "reviewer", "Reviewer"
        AUDITOR = "auditor", "Auditor"

    username = None
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    platform_role = models.CharField(
        max_length=20, choices=PlatformRole.choices, default=PlatformRole.NONE, blank=True
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        # A person's name is `full_name`, as they gave it. AbstractUser's version joins first_name
        # and last_name, which nothing here fills in: pages that asked it showed email addresses.
        return self.full_name.strip()

    @property
    def second_factor_required(self) -> bool:
        """Program staff, auditors and whoever can open the admin site must use a second factor.

        Everyone else may set one up, and once they have, it is asked for just the same.
        """
        return self.platform_role != self.PlatformRole.NONE or self.is_staff or self.is_superuser


def _invitation_ttl() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "INVITATION_TTL_DAYS", 7))


def invitation_default_expiry() -> datetime.datetime:
    return timezone.now() + _invitation_ttl()


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A program admin's invitation to join an organisation with a role, or the program staff.

    Only the SHA-256 of the token is stored: the raw token exists in the emailed link alone,
    so a database leak does not hand out working invitations. Created and accepted only by
    accounts.services.
    """

    class PlatformRole(models.TextChoices):
        # The platform roles one can be invited to (a subset of User.PlatformRole).
        REVIEWER = "reviewer", "Reviewer"
        AUDITOR = "auditor", "Auditor"
        PROGRAM_ADMIN = "program_admin", "Program admin"

    email = models.EmailField()
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    role = models.CharField(max_length=20, choices=Membership.Role.choices, blank=True)
    platform_role = models.CharField(max_length=20, choices=PlatformRole.choices, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the emailed token.")
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=invitation_default_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_accepted"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="invitation_org_role_xor_platform_role",
                condition=(models.Q(organisation__isnull=False, platform_role="") & ~models.Q(role=""))
                | models.Q(organisation__isnull=True, role="") & ~models.Q(platform_role=""),
            )
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} as {self.target_label}"

    @property
    def target_label(self) -> str:
        if self.organisation_id:
            return f"{self.get_role_display()} of {self.organisation}"
        return self.get_platform_role_display()

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None

    @property
    def is_expired(self) -> bool:
        return not self.is_accepted and self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        if self.is_accepted:
            return "accepted"
        return "expired" if self.is_expired else "pending"
