"""HTML → PDF/A-3b with an embedded manifest.json, by WeasyPrint, fetching nothing from outside.

Templates refer to the app's own static files through STATIC_BASE (a reserved `.invalid` host, so
nothing could ever be fetched from it by mistake); the fetcher maps those to the files Django's
static finders know, serves `data:` URLs, and refuses every other URL — in a template or in text
a company wrote — without fetching it. Refusals are logged and counted.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

STATIC_BASE = "https://pledgeproof.invalid/static/"
PDF_VARIANT = "pdf/a-3b"


class URLRefused(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """Serves the app's static files and data: URLs; refuses everything else."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith(STATIC_BASE):
            return self._static(url)
        if url.lower().startswith("data:"):
            return super().fetch(url, headers)
        self.refused.append(url)
        logger.warning("PDF rendering refused to fetch %s", url[:200])
        raise URLRefused(f"Refused to fetch {url[:200]}: PDFs use only the app's own static files.")

    def _static(self, url: str) -> URLFetcherResponse:
        relative = posixpath.normpath(unquote(urlsplit(url).path[len(urlsplit(STATIC_BASE).path) :]))
        if relative.startswith(("/", "..")) or relative == ".":
            self.refused.append(url)
            raise URLRefused(f"Refused static path {relative!r}.")
        found = finders.find(relative)
        if not found:
            self.refused.append(url)
            raise URLRefused(f"No static file {relative!r}.")
        media_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
        with open(found, "rb") as handle:
            body = handle.read()
        return URLFetcherResponse(url, body, {"Content-Type": media_type})


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    refused_urls: tuple[str, ...]


def html_to_pdf(html: str, *, manifest_json: bytes, title: str = "") -> RenderedPdf:
    """Render `html` as PDF/A-3b with `manifest_json` attached as manifest.json (relationship Data)."""
    fetcher = StaticOnlyFetcher()
    attachment = Attachment(
        string=manifest_json,
        name="manifest.json",
        description="Pledgeproof manifest: what this report states, with hashes",
        relationship="Data",
        url_fetcher=fetcher,
    )
    document = HTML(string=html, base_url=STATIC_BASE, url_fetcher=fetcher)
    data = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=[attachment], uncompressed_pdf=False)
    return RenderedPdf(data=data, refused_urls=tuple(fetcher.refused))
