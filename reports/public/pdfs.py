"""The signed PDFs listed next to published reports (the public kind, served by /verify/)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse

from reports.models import ArtifactKind, Publication, ReportArtifact


@dataclass(frozen=True)
class PublicPdf:
    document_id: str
    sha256: str
    size_bytes: int
    url: str


def public_pdfs(publications: Iterable[Publication]) -> dict[int, PublicPdf]:
    """The newest ready signed PDF of each publication, by publication id (one query)."""
    found = {}
    artifacts = (
        ReportArtifact.objects.public()
        .filter(kind=ArtifactKind.PUBLIC, publication__in=[p.pk for p in publications])
        .select_related("report__period")
        .order_by("version")
    )
    for artifact in artifacts:
        found[artifact.publication_id] = PublicPdf(
            document_id=artifact.document_id,
            sha256=artifact.sha256,
            size_bytes=artifact.size_bytes,
            url=reverse("verify:document", args=[artifact.document_id]),
        )
    return found
