"""What every evidence check shares: the accepted media types, their names, and the settings."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

PDF = "application/pdf"
TEXT = "text/plain"
MARKDOWN = "text/markdown"
CSV = "text/csv"
JSON = "application/json"

DEFAULT_ALLOWED_MEDIA_TYPES = (PDF, TEXT, MARKDOWN, CSV, JSON)
TEXT_TYPES = frozenset({TEXT, MARKDOWN, CSV, JSON})
LABELS = {PDF: "PDF", TEXT: "plain text", MARKDOWN: "Markdown", CSV: "CSV", JSON: "JSON"}
# The extension every download of a stored file gets, from what its content proved to be.
EXTENSIONS = {PDF: ".pdf", TEXT: ".txt", MARKDOWN: ".md", CSV: ".csv", JSON: ".json"}

# The platform's rule, in every message that refuses a picture.
DESCRIBE_NOT_DEPICT = (
    "Evidence describes, it never depicts: export a text-only version of the document, "
    "or describe the figure in words."
)


def allowed_media_types() -> frozenset[str]:
    # Only the default types can ever be produced, so the setting can narrow the set but never
    # open the door to images, archives or executables.
    configured = getattr(settings, "EVIDENCE_ALLOWED_MEDIA_TYPES", DEFAULT_ALLOWED_MEDIA_TYPES)
    return frozenset(configured) & frozenset(DEFAULT_ALLOWED_MEDIA_TYPES)


def pdf_images_allowed() -> bool:
    # EVIDENCE_PDF_IMAGES is "refuse" or "allow", validated in config/settings.py.
    return getattr(settings, "EVIDENCE_PDF_IMAGES", "refuse") == "allow"


def allowed_labels(allowed: Iterable[str]) -> list[str]:
    allowed = frozenset(allowed)
    return [LABELS[media_type] for media_type in DEFAULT_ALLOWED_MEDIA_TYPES if media_type in allowed]


def describe_allowed(allowed: Iterable[str]) -> str:
    """'PDF, plain text, Markdown, CSV or JSON', in a stable order."""
    labels = allowed_labels(allowed)
    if not labels:
        return "nothing (evidence uploads are switched off)"
    if len(labels) == 1:
        return labels[0]
    return f"{', '.join(labels[:-1])} or {labels[-1]}"
