from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


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
    says whether the person is program staff (admin, reviewer) or an independent auditor.
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

    @property
    def is_program_admin(self) -> bool:
        return self.platform_role == self.PlatformRole.PROGRAM_ADMIN

    @property
    def is_reviewer(self) -> bool:
        # Program admins are program staff too and may review.
        return self.platform_role in (self.PlatformRole.REVIEWER, self.PlatformRole.PROGRAM_ADMIN)

    @property
    def is_auditor(self) -> bool:
        return self.platform_role == self.PlatformRole.AUDITOR
