"""Addresses of published reports and their items, built from the snapshot itself."""

from urllib.parse import quote

from django.urls import reverse

from reports.models import Publication
from reports.public.snapshots import snapshot


def report_url(publication: Publication, *, versioned: bool = False) -> str:
    data = snapshot(publication)
    args = [data["organisation"]["slug"], data["framework"]["key"], data["period"]["label"]]
    if versioned:
        return reverse("public:report_version", args=[*args, publication.version])
    return reverse("public:report", args=args)


def item_url(base_report_url: str, node_id: str) -> str:
    # Built by hand from the report's URL: reverse() per cell is the slow part of a large matrix.
    return f"{base_report_url}{quote(node_id, safe='')}/"
