"""The API's HTML pages: the problem types a client may meet, and one's own API tokens."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api.forms import TokenCreateForm
from api.problems import PROBLEM_TYPES
from api.selectors import tokens_of
from api.services import api_token_create, api_token_revoke
from commitments.errors import ValidationFailed

# The new token's secret, kept in the session from the POST that made it to the one page that shows it.
NEW_TOKEN_SESSION_KEY = "api_new_token"


def problems_view(request: HttpRequest) -> HttpResponse:
    return render(request, "api/problems.html", {"problem_types": PROBLEM_TYPES.values()})


@never_cache
@login_required
def tokens_view(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        try:
            issued = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=timezone.now() + datetime.timedelta(days=int(days)) if days else None,
            )
        except ValidationFailed as exc:
            for field, problems in exc.problems.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {"id": issued.token.pk, "secret": issued.secret}
            return redirect("api_tokens:list")
    new = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    return render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens_of(request.user), "new_token": new, "now": timezone.now()},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(tokens_of(request.user), pk=pk)
    api_token_revoke(token=token, by=request.user)
    messages.success(request, f"Revoked “{token.name}”: it no longer works.")
    return redirect("api_tokens:list")
