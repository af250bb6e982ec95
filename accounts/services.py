"""Writes for accounts: invitations and the password-reset email."""

import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, User
from accounts.selectors import invitation_token_hash
from commitments.errors import NotAllowed, ValidationFailed
from commitments.models import Membership, Organisation
from commitments.tasks import email_send_task


def _normalise_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("accounts:invitation_accept", kwargs={"token": token})


@transaction.atomic
def invitation_create(
    *,
    acting_user: User,
    email: str,
    organisation: Organisation | None = None,
    role: str = "",
    platform_role: str = "",
) -> tuple[Invitation, str]:
    """Invite a person by email; returns the invitation and the raw token (only ever emailed)."""
    if not (acting_user.is_authenticated and acting_user.is_program_admin):
        raise NotAllowed("Only program admins can invite people.")

    problems: dict[str, list[str]] = {}
    email = _normalise_email(email or "")
    try:
        validate_email(email)
    except ValidationError:
        problems["email"] = ["Enter a valid email address."]

    wants_membership = organisation is not None or bool(role)
    if wants_membership == bool(platform_role):
        problems["__all__"] = [
            "Invite the person either to an organisation with a role, or as program staff "
            "(reviewer, auditor or program admin), not both."
        ]
    elif wants_membership:
        if organisation is None:
            problems["organisation"] = ["Choose the organisation."]
        if role not in Membership.Role.values:
            problems["role"] = ["Choose the person's role in the organisation."]
    elif platform_role not in Invitation.PlatformRole.values:
        problems["platform_role"] = ["Choose reviewer, auditor or program admin."]

    if not problems:
        existing = User.objects.filter(email__iexact=email).first()
        if existing and organisation is not None:
            current_role = (
                Membership.objects.filter(user=existing, organisation=organisation)
                .values_list("role", flat=True)
                .first()
            )
            if current_role is not None:
                problems["email"] = [f"{email} is already a member of {organisation}."]
        elif existing and existing.platform_role == platform_role:
            problems["email"] = [f"{email} already is a {existing.get_platform_role_display().lower()}."]
    if problems:
        raise ValidationFailed("The invitation could not be sent.", problems)

    raw_token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        organisation=organisation,
        role=role if organisation else "",
        platform_role="" if organisation else platform_role,
        token_hash=invitation_token_hash(raw_token),
        invited_by=acting_user,
    )
    context = {
        "invite_url": invitation_url(raw_token),
        "invited_by": str(acting_user),
        "target": invitation.target_label,
        "organisation": str(organisation) if organisation else "",
        "expires_at": timezone.localtime(invitation.expires_at).strftime("%d %B %Y, %H:%M %Z"),
    }
    transaction.on_commit(lambda: email_send_task.delay(template="invitation", to=[email], context=context))
    return invitation, raw_token


@transaction.atomic
def invitation_accept(
    *, token: str, password: str = "", full_name: str = "", acting_user: User | None = None
) -> User:
    """Accept an invitation once, creating the account or adding the role to an existing one.

    A new account gets `password` (checked by the password validators). An existing account
    must be the signed-in `acting_user`: the link alone never grants a role to an account
    someone else may hold the password of.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(token_hash=invitation_token_hash(token or ""))
        .first()
    )
    if invitation is None:
        raise ValidationFailed("This invitation link is not valid. Check that you copied all of it.")
    if invitation.is_accepted:
        raise ValidationFailed("This invitation has already been used. Sign in with your email and password.")
    if invitation.expires_at <= timezone.now():
        raise ValidationFailed("This invitation has expired. Ask the program team to send you a new one.")

    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is not None:
        if acting_user is None or acting_user.pk != user.pk:
            raise NotAllowed(
                f"An account for {invitation.email} already exists. Sign in to it to accept the invitation."
            )
    else:
        user = User(email=invitation.email, full_name=full_name.strip())
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise ValidationFailed("Choose a stronger password.", {"password": list(exc.messages)}) from None
        user.set_password(password)
        user.save()

    if invitation.organisation_id:
        Membership.objects.update_or_create(
            user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
        )
    else:
        user.platform_role = invitation.platform_role
        user.save(update_fields=["platform_role"])
    if full_name.strip() and not user.full_name:
        user.full_name = full_name.strip()
        user.save(update_fields=["full_name"])

    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    return user


def password_reset_email_queue(*, user: User, reset_url: str) -> None:
    """Send the password-reset link once the surrounding transaction (if any) commits."""
    context = {"reset_url": reset_url, "name": user.full_name or user.email, "email": user.email}
    to = [user.email]
    transaction.on_commit(lambda: email_send_task.delay(template="password_reset", to=to, context=context))
