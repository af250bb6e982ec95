"""The product's URLs plus two views that exist only for bench/bench_matrix.py.

/bench/trivial/ is the baseline: the whole request cycle and middleware, no work in the view.
/bench/uncached/ is the matrix with the cache emptied first, for the figure without caching.
Never part of config.urls.
"""

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns
from reports.public.views import matrix_view


def trivial_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def uncached_matrix_view(request: HttpRequest) -> HttpResponse:
    cache.clear()
    return matrix_view(request)


urlpatterns = [
    path("bench/trivial/", trivial_view),
    path("bench/uncached/", uncached_matrix_view),
    *product_urlpatterns,
]
