"""URLs of the reports app, one module per part, all mounted here (config.urls includes this at /).

Each part keeps its own namespace, and its addresses are stable: the verify and data paths are
printed on PDFs and published in the README.
"""

from django.urls import include, path

urlpatterns = [
    path("program/", include("reports.urls.program")),  # "reports": program administration
    path("data/", include("reports.urls.data")),  # "data": open data downloads
    path("verify/", include("reports.urls.verify")),  # "verify": public verification of PDFs
    path("documents/", include("reports.urls.documents")),  # "documents": signed PDFs, signed in
    path("", include("reports.urls.public")),  # "public": the transparency pages
]
