from django.shortcuts import render

from commitments.selectors import framework_list


def home(request):
    return render(request, "home.html", {"frameworks": framework_list()})
