from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.forms import (
    EmailLoginForm,
    EmailPasswordResetForm,
    InvitationAcceptForm,
    InvitationForm,
    ResetSetPasswordForm,
)
from accounts.models import User
from accounts.second_factor import second_factor_step, step_url
from accounts.selectors import invitation_get_by_token, invitation_list
from accounts.services import invitation_accept, invitation_create
from accounts.throttles import (
    PASSWORD_RESETS_PER_ADDRESS,
    PASSWORD_RESETS_PER_EMAIL,
    security_log,
    too_many_response,
    wait_phrase,
)
from commitments import access
from commitments.errors import NotAllowed, ValidationFailed

# Invitation acceptance logs the new person in without going through authenticate().
_LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = EmailLoginForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        # Straight on to the code step (or the set-up) when the account owes a second factor;
        # the middleware would send the person there anyway, one redirect later.
        url = super().get_success_url()
        step = second_factor_step(self.request.user)
        return step_url(step, url) if step else url


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = EmailPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request, *args, **kwargs):
        wait = PASSWORD_RESETS_PER_ADDRESS.wait(request)
        if wait is not None:
            return too_many_response(
                request,
                heading="Too many password-reset requests",
                reason=f"Too many password-reset requests from your network; try again {wait_phrase(wait)}.",
                explanation=(
                    f"One network may ask for {settings.PASSWORD_RESETS_PER_ADDRESS} password-reset "
                    "emails an hour. A link already sent keeps working for a few days: look for it "
                    "in your inbox (and your spam folder)."
                ),
                retry_after=wait,
            )
        PASSWORD_RESETS_PER_ADDRESS.count(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        if PASSWORD_RESETS_PER_EMAIL.wait(self.request, key=email) is not None:
            # The page of a sent link, and nothing sent: the limit must not tell anyone whether
            # the address has an account.
            security_log.info("Password-reset request over the per-email limit; nothing sent")
            return HttpResponseRedirect(self.get_success_url())
        PASSWORD_RESETS_PER_EMAIL.count(self.request, key=email)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = ResetSetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


def _add_problems(form, exc: ValidationFailed) -> None:
    if not exc.problems:
        form.add_error(None, str(exc))
    for field, problems in exc.problems.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    access.program_for(request.user, action=access.Action.INVITE)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = invitation_create(acting_user=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            _add_problems(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email} as {invitation.target_label}.")
            return redirect("accounts:invite")
    status = 400 if form.is_bound and form.errors else 200
    context = {
        "form": form,
        "invitations": invitation_list()[:200],
        "ttl_days": getattr(settings, "INVITATION_TTL_DAYS", 7),
    }
    return render(request, "accounts/invite.html", context, status=status)


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_get_by_token(token=token)
    if invitation is None:
        raise Http404("No such invitation.")
    existing = User.objects.filter(email__iexact=invitation.email).first()
    signed_in_as_invitee = existing is not None and request.user.pk == existing.pk
    context = {
        "invitation": invitation,
        "existing": existing,
        "signed_in_as_invitee": signed_in_as_invitee,
        "login_url": f"{reverse('accounts:login')}?{urlencode({'next': request.path})}",
    }
    if invitation.is_accepted or invitation.is_expired:
        # Gone: the link worked once or has run out; say which, and what to do.
        return render(request, "accounts/invitation_accept.html", context, status=410)

    form = InvitationAcceptForm(request.POST or None) if existing is None else None
    context["form"] = form
    if request.method == "POST":
        if existing is not None:
            if not signed_in_as_invitee:
                raise PermissionDenied("Sign in to the invited account to accept.")
            try:
                user = invitation_accept(token=token, acting_user=request.user)
            except (ValidationFailed, NotAllowed) as exc:
                messages.error(request, str(exc))
                return render(request, "accounts/invitation_accept.html", context, status=400)
        elif form.is_valid():
            try:
                user = invitation_accept(
                    token=token,
                    password=form.cleaned_data["password1"],
                    full_name=form.cleaned_data["full_name"],
                )
            except ValidationFailed as exc:
                if "password" in exc.problems:
                    exc.problems["password1"] = exc.problems.pop("password")
                _add_problems(form, exc)
                return render(request, "accounts/invitation_accept.html", context, status=400)
            login(request, user, backend=_LOGIN_BACKEND)
        else:
            return render(request, "accounts/invitation_accept.html", context, status=400)
        messages.success(request, f"Welcome to Pledgeproof. You are now {invitation.target_label}.")
        return redirect("home")
    return render(request, "accounts/invitation_accept.html", context)
