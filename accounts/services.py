"""Writes for accounts: invitations, the password-reset email and the second factor."""

import math
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Invitation, User
from accounts.second_factor import CodeKind, code_kind
from accounts.selectors import invitation_token_hash, second_factor_summary
from accounts.throttles import security_log, wait_phrase
from commitments import access
from commitments.emails import email_queue
from commitments.errors import NotAllowed, TooManyAttempts, ValidationFailed
from commitments.models import Membership, Organisation


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
    access.require(acting_user, access.Action.INVITE)

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
    email_queue(template="invitation", to=[email], context=context, key=f"invitation:{invitation.pk}")
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
    with transaction.atomic():  # the outbox row is the whole change when no transaction surrounds it
        email_queue(template="password_reset", to=[user.email], context=context)


# --- Second factor -------------------------------------------------------------------------------
# Devices are django-otp's: one TOTPDevice (the authenticator app) and one StaticDevice whose
# tokens are the one-time recovery codes. User-management events are not in the report ledger
# (it records what reports say); they go to the "pledgeproof.security" log.

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
CODE_SHAPE_MESSAGE = (
    "Type the 6-digit code your authenticator app shows, or one of your recovery codes "
    "(8 letters and digits)."
)
TOTP_SHAPE_MESSAGE = "Type the 6-digit code your authenticator app shows."
_WRONG = {
    CodeKind.TOTP: (
        "That code is not right. Each code works once and changes every 30 seconds: "
        "type the newest one your app shows."
    ),
    CodeKind.RECOVERY: "That recovery code is not right, or it has already been used.",
}


def _device_verify(*, user: User, code: str, kind: CodeKind, confirmed: bool = True) -> Device:
    """The user's device of `kind` that accepts `code`; ValidationFailed or TooManyAttempts otherwise.

    Runs in a transaction of its own that commits django-otp's failure count (its exponential
    back-off per device) even when the code is refused: wrapped in a caller's transaction that
    then rolls back, a refusal would cost an attacker nothing.
    """
    model = TOTPDevice if kind is CodeKind.TOTP else StaticDevice
    locked_until = None
    with transaction.atomic():
        # Locked, so that one recovery code or time step cannot be accepted twice at once.
        for device in (
            model.objects.select_for_update().filter(user=user, confirmed=confirmed).order_by("-pk")
        ):
            allowed, details = device.verify_is_allowed()
            if not allowed:
                locked_until = max(filter(None, [locked_until, details["locked_until"]]))
                continue
            if device.verify_token(code):
                return device
    if locked_until is not None:
        wait = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
        raise TooManyAttempts(f"Too many wrong codes: try again {wait_phrase(wait)}.", retry_after=wait)
    raise ValidationFailed(_WRONG[kind], {"code": [_WRONG[kind]]})


def second_factor_code_verify(*, user: User, code: str) -> Device:
    """The device that accepts a normalised code: the app's 6 digits, or a recovery code (used up)."""
    kind = code_kind(code)
    if kind is None:
        raise ValidationFailed(CODE_SHAPE_MESSAGE, {"code": [CODE_SHAPE_MESSAGE]})
    return _device_verify(user=user, code=code, kind=kind)


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The authenticator being set up: the same unconfirmed one until it is confirmed.

    Keeping it means a QR code scanned before a reload still matches after it.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def totp_enrolment_confirm(*, user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the app being set up with a code it shows; returns it and new recovery codes.

    It replaces any earlier app, and the new recovery codes replace any earlier ones. The codes
    are returned once, to be shown once: only django-otp's device holds them afterwards. The
    caller makes sure a person who already has an app gave its code in this session first.
    """
    if code_kind(code) is not CodeKind.TOTP:
        raise ValidationFailed(TOTP_SHAPE_MESSAGE, {"code": [TOTP_SHAPE_MESSAGE]})
    if not TOTPDevice.objects.filter(user=user, confirmed=False).exists():
        message = "Start the set-up again: scan the new QR code, then type the code it shows."
        raise ValidationFailed(message, {"code": [message]})
    device = _device_verify(user=user, code=code, kind=CodeKind.TOTP, confirmed=False)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
    security_log.info("Second factor set up by %s (user %s)", user.email, user.pk)
    return device, codes


def recovery_codes_regenerate(*, user: User, code: str) -> list[str]:
    """New recovery codes in place of the old ones, after a code from the app (or a recovery code)."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationFailed("Set up an authenticator app first; recovery codes come with it.")
    second_factor_code_verify(user=user, code=code)
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
    security_log.info("Recovery codes regenerated by %s (user %s)", user.email, user.pk)
    return codes


def second_factor_turn_off(*, user: User, code: str) -> None:
    """Remove the app and recovery codes, after a code; never for a role that requires them."""
    if user.second_factor_required:
        raise NotAllowed(
            "Your role requires a second factor, so it cannot be turned off. To move to another "
            "phone, set up the new app instead: it replaces the old one."
        )
    second_factor_code_verify(user=user, code=code)
    with transaction.atomic():
        _devices_delete(user)
    security_log.info("Second factor turned off by %s (user %s)", user.email, user.pk)


@transaction.atomic
def second_factor_reset(*, acting_user: User, user: User) -> None:
    """A program admin removes someone's app and recovery codes (a lost phone).

    At their next sign-in a person whose role requires a second factor sets up a new app
    before anything else opens; their current sessions lose their verification at once. They
    are told by email, in case it was not them who asked.
    """
    access.require(acting_user, access.Action.RESET_SECOND_FACTOR)
    if acting_user.pk == user.pk:
        raise NotAllowed("Replace your own authenticator app from your Security page instead.")
    if second_factor_summary(user=user).authenticator is None:
        raise ValidationFailed(f"{user.email} has no second factor set up: there is nothing to reset.")
    _devices_delete(user)
    security_log.warning(
        "Second factor of %s (user %s) reset by program admin %s (user %s)",
        user.email,
        user.pk,
        acting_user.email,
        acting_user.pk,
    )
    context = {
        "name": user.full_name or user.email,
        "email": user.email,
        "reset_by": str(acting_user),
        "required": user.second_factor_required,
        "security_url": settings.SITE_URL + reverse("accounts:security"),
    }
    email_queue(template="second_factor_reset", to=[user.email], context=context)


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME)
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in codes)
    return sorted(codes)


def _devices_delete(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
