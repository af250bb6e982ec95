"""The product's URLs plus two views that exist only for bench/bench_matrix.py.

/bench/trivial/ is the baseline: the whole request cycle and middleware, no work in the view.
/bench/uncached/ is the matrix with the cache emptied first, for the figure without caching.
/bench/whole-response/ serves the matrix's whole response body from the cache, rendered once per
publication: what caching the entire page for anonymous visitors would give (an experiment: the
body includes one visitor's CSRF token, which a real whole-page cache must leave out).
Never part of config.urls.
"""

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns
from reports.cache import public_cached
from reports.views.public import matrix_view


def trivial_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def uncached_matrix_view(request: HttpRequest) -> HttpResponse:
    cache.clear()
    return matrix_view(request)


def whole_response_matrix_view(request: HttpRequest) -> HttpResponse:
    body = public_cached("bench-whole-matrix", {}, lambda: matrix_view(request).content)
    return HttpResponse(body)


urlpatterns = [
    path("bench/trivial/", trivial_view),
    path("bench/uncached/", uncached_matrix_view),
    path("bench/whole-response/", whole_response_matrix_view),
    *product_urlpatterns,
]
