"""A signed PDF as a download: the web page's and the API's one way of sending it."""

from __future__ import annotations

import logging

from django.http import FileResponse, Http404

from commitments.evidence_storage import blob_response
from reports.models import ArtifactKind, ArtifactStatus, ReportArtifact
from reports.pdf.services import artifact_open

logger = logging.getLogger(__name__)


def artifact_file_response(artifact: ReportArtifact) -> FileResponse:
    """The ready PDF as an attachment; 404 while it is not ready or if its file is gone."""
    if artifact.status != ArtifactStatus.READY:
        raise Http404("This document is not ready.")
    try:
        handle = artifact_open(artifact)  # FileResponse closes it
    except FileNotFoundError:
        logger.error("The stored file of %s is missing: %s", artifact.document_id, artifact.storage_name)
        raise Http404("This document's file is not available.") from None
    response = blob_response(
        handle, as_attachment=True, filename=artifact.file_name, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{artifact.sha256}"'
    response["Cache-Control"] = "private, no-store" if artifact.kind == ArtifactKind.AUDIT else "private"
    return response
