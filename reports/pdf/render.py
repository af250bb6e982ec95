"""HTML → tagged PDF/A-3b (PDF 1.7) with an embedded manifest.json, by WeasyPrint, fetching nothing
from outside.

The profile (issue 16): PDF/A-3b + tagged structure, PDF 1.7 throughout, signed with an RSA key.
Of the two consistent choices, PDF/A-3b on PDF 1.7 is the one archive validators (veraPDF,
Acrobat preflight, the EU's DSS) have checked for longest, it pairs with PDF/UA-1 (also PDF 1.7),
and any PAdES validator reads an RSA signature. An ECDSA signature is what forced PDF 2.0: pyHanko
registers ISO/TS 32002 for it and raises the catalog's version (reports/pdf/signing.py), which a
PDF/A-3 file may not declare; PDF/A-4f would have kept the EC key but needs PDF/UA-2 and
validators that know PDF 2.0.

WeasyPrint does most of it (`pdf_variant="pdf/a-3b"`, `pdf_tags=True`); `_finish` mends what it
leaves: it lists each embedded file once in the catalog's /AF (WeasyPrint 70 lists it twice),
marks the running page header and footer as artifacts (WeasyPrint numbers their content but
links it nowhere, and only PDF 2.0 lets it put them in the tree as artifacts), and states the
accessibility claim in the XMP (`pdfuaid:part` 1, with the extension schema PDF/A requires for a
property outside its predefined schemas). It also keeps the document information entries equal
to their XMP twins once pyHanko has signed (`_info_for_the_signer`). The signature's widget is
tagged when it is signed (signing.py). Tables are for tabular data only: the templates lay out
boxes side by side with flexbox, so that every tagged table has header cells.

No veraPDF run proves this (it is on neither PyPI nor Debian); tests/reports/pdf/test_pdf_profile.py
checks each claim with a PDF parser.

Templates refer to the app's own static files through STATIC_BASE (a reserved `.invalid` host, so
nothing could ever be fetched from it by mistake); the fetcher maps those to the files Django's
static finders know, serves `data:` URLs, and refuses every other URL — in a template or in text
a company wrote — without fetching it. Refusals are logged and counted.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import pydyf
from django.contrib.staticfiles import finders
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

STATIC_BASE = "https://pledgeproof.invalid/static/"
PDF_VARIANT = "pdf/a-3b"
PDF_VERSION = "1.7"  # what PDF/A-3 is built on; the signature must not raise it (signing.py)
PDF_UA_PART = 1


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
    data = document.write_pdf(
        pdf_variant=PDF_VARIANT,
        pdf_version=PDF_VERSION,
        pdf_tags=True,
        attachments=[attachment],
        uncompressed_pdf=False,
        finisher=_finish,
    )
    return RenderedPdf(data=data, refused_urls=tuple(fetcher.refused))


def _finish(document, pdf: pydyf.PDF) -> None:
    """WeasyPrint's finisher hook: runs on the assembled PDF objects just before they are written."""
    _associated_files_once(pdf)
    _margin_content_as_artifacts(pdf)
    _claim_accessibility(pdf)
    _info_for_the_signer(pdf)


# What XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF): WeasyPrint copies
# the <title> and the like into the XMP packet as they are, and one such character in a name makes
# the whole packet unreadable, and with it every claim the file makes.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _info_for_the_signer(pdf: pydyf.PDF) -> None:
    """PDF/A wants each document information entry equal to its XMP twin, after signing too.

    pyHanko sets the XMP producer to its own name when it signs, and appends its name to an
    Info /Producer it finds ("WeasyPrint …; pyHanko …"), so the two would differ: leave the Info
    entry out and pyHanko writes the same value in both. (The XMP keeps WeasyPrint's name until
    then.)
    """
    pdf.info.pop("Producer", None)
    # The same text in Info as in the XMP packet, which cannot hold what XML cannot.
    for key, value in list(pdf.info.items()):
        if isinstance(value, pydyf.String):
            pdf.info[key] = pydyf.String(_NOT_XML.sub("", value.string))


def _object(pdf: pydyf.PDF, reference) -> object:
    return pdf.objects[int(_as_text(reference).split()[0])]


def _as_text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _associated_files_once(pdf: pydyf.PDF) -> None:
    """PDF/A-3 lists every embedded file in the catalog's /AF, once."""
    associated = pdf.catalog.get("AF")
    if associated is None:
        return
    seen: list[str] = []
    for reference in associated:
        if _as_text(reference) not in seen:
            seen.append(_as_text(reference))
    pdf.catalog["AF"] = pydyf.Array(seen)


def _reachable(pdf: pydyf.PDF, root_reference) -> set[str]:
    """References of every structure element under the structure tree root."""
    found: set[str] = set()
    pending = [root_reference]
    while pending:
        reference = _as_text(pending.pop())
        if reference in found:
            continue
        found.add(reference)
        element = _object(pdf, reference)
        kids = element.get("K", []) if isinstance(element, dict) else []
        pending.extend(kid for kid in kids if isinstance(kid, (bytes, str)) and _as_text(kid).endswith(" R"))
    return found


def _margin_content_as_artifacts(pdf: pydyf.PDF) -> None:
    """Content WeasyPrint marked but left out of the structure tree (the running header and footer
    in the page margins) becomes an artifact, as PDF/UA requires of repeated page furniture."""
    root_reference = pdf.catalog.get("StructTreeRoot")
    if root_reference is None:
        return
    root = _object(pdf, root_reference)
    reachable = _reachable(pdf, root_reference)
    nums = _object(pdf, root["ParentTree"])["Nums"]
    pages = pdf.page_references
    for index in range(0, len(nums), 2):
        page_number, mapping = nums[index], nums[index + 1]
        if not isinstance(mapping, pydyf.Array) or page_number >= len(pages):
            continue  # an annotation's entry, not a page's
        orphans = {mcid for mcid, ref in enumerate(mapping) if _as_text(ref) not in reachable}
        if not orphans:
            continue
        contents = _object(pdf, _object(pdf, pages[page_number])["Contents"])
        _unmark(contents.stream, orphans)
        for mcid in orphans:
            mapping[mcid] = "null"


def _unmark(operations: list, mcids: set[int]) -> None:
    """Turn `/Tag <</MCID n>> BDC` into `/Artifact BMC` for each n in `mcids`, in place."""
    for position in range(len(operations) - 2):
        properties = operations[position + 1]
        if (
            operations[position + 2] == b"BDC"
            and isinstance(properties, pydyf.Dictionary)
            and properties.get("MCID") in mcids
        ):
            operations[position] = "/Artifact"
            operations[position + 1] = b""
            operations[position + 2] = b"BMC"


_UA_EXTENSION = """<rdf:Description rdf:about=""
xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="{part}"/>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>part</pdfaProperty:name>
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>
<pdfaProperty:category>internal</pdfaProperty:category>
<pdfaProperty:description>Indicates, which part of ISO 14289 standard is followed</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
"""


def _claim_accessibility(pdf: pydyf.PDF) -> None:
    """Add pdfuaid:part to the XMP packet WeasyPrint wrote for PDF/A, inside its one rdf:RDF."""
    metadata = _object(pdf, pdf.catalog["Metadata"])
    packet = b"".join(part if isinstance(part, bytes) else str(part).encode() for part in metadata.stream)
    packet = _NOT_XML.sub("", packet.decode("utf-8")).encode("utf-8")
    # The Info /CreationDate holds whole seconds; its XMP twin must state the same moment.
    packet = re.sub(rb"(<xmp:CreateDate>[0-9T:-]{19})\.[0-9]+", rb"\1", packet)
    addition = _UA_EXTENSION.format(part=PDF_UA_PART).encode("utf-8")
    packet, count = re.subn(rb"</rdf:RDF>", lambda _: addition + b"</rdf:RDF>", packet, count=1)
    if count != 1:
        raise ValueError("WeasyPrint's XMP packet has no rdf:RDF element to extend")
    metadata.stream = [packet]
