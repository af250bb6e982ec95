"""The API's HTML pages: the problem types a client may meet."""

from django.shortcuts import render

from api.problems import PROBLEM_TYPES


def problems_view(request):
    return render(request, "api/problems.html", {"problem_types": PROBLEM_TYPES.values()})
