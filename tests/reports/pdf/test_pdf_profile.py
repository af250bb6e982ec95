"""The signed PDFs are what they claim to be (issue 16, part 3): tagged PDF/A-3b on PDF 1.7, the
manifest listed once as associated data, a structure tree a screen reader can follow, and a
signature that pyHanko's validator accepts.

One world is rendered for the module (documents_world): the public report, the audit report and
the program summary, each signed by the platform's key, read back with pypdf.
"""

import io
from html import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from reports.pdf.render import html_to_pdf
from tests.reports.pdf.documents_world import documents_world
from tests.reports.pdf.structure import DC, PDF, PDFAID, PDFUAID, RDF, XMP, Structure
from tools.verify_report import load_root

pytestmark = pytest.mark.django_db

KINDS = ("public", "audit", "summary")
HEADINGS = ("H1", "H2", "H3", "H4", "H5", "H6")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key):
    with documents_world(django_db_blocker) as built:
        yield built


def _structure(world, kind: str) -> Structure:
    return Structure(getattr(world, kind).pdf.data)


# --- one profile: PDF/A-3b on PDF 1.7 -------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_signed_file_stays_pdf_1_7_in_its_header_and_its_catalog(world, kind):
    pdf = _structure(world, kind)

    assert pdf.header_version == "1.7"
    # A catalog /Version overrides the header; signing with an EC key used to set it to 2.0.
    assert pdf.catalog.get("/Version") in (None, "/1.7")
    extensions = pdf.catalog.get("/Extensions", {})
    assert "/ISO_" not in extensions  # ISO/TS 32002 (ECDSA) is a PDF 2.0 extension
    for extension in extensions.values():
        assert str(extension.get_object()["/BaseVersion"]) == "/1.7"


@pytest.mark.parametrize("kind", KINDS)
def test_the_xmp_claims_pdf_a_3b_and_pdf_ua_1_and_describes_the_pdf_ua_property(world, kind):
    pdf = _structure(world, kind)

    assert len(pdf.xmp.findall(f"{RDF}RDF")) == 1
    assert pdf.xmp_property(PDFAID, "part") == ["3"]
    assert pdf.xmp_property(PDFAID, "conformance") == ["B"]
    assert pdf.xmp_property(PDFUAID, "part") == ["1"]
    # PDF/A admits a property outside its predefined schemas only with an extension schema.
    assert ("http://www.aiim.org/pdfua/ns/id/", "pdfuaid") in pdf.extension_schemas()
    # PDF/UA: the title is in the metadata and is what a viewer shows.
    title = pdf.xmp_text(DC, "title")
    assert title and getattr(world, kind).pdf.contains(title)  # the title the pages show
    assert pdf.catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True


@pytest.mark.parametrize("kind", KINDS)
def test_each_document_information_entry_equals_its_xmp_twin_after_signing(world, kind):
    pdf = _structure(world, kind)
    info = pdf.info
    twins = {
        "/Title": pdf.xmp_text(DC, "title"),
        "/Author": pdf.xmp_text(DC, "creator"),
        "/Subject": pdf.xmp_text(DC, "description"),
        "/Keywords": pdf.xmp_text(PDF, "Keywords"),
        "/Producer": pdf.xmp_text(PDF, "Producer"),
    }

    assert "/Title" in info and "/Producer" in info  # the signer rewrote it: the case that matters
    for key, xmp_value in twins.items():
        if key in info:
            assert str(info[key]) == xmp_value, key
    created = str(info["/CreationDate"])  # D:YYYYMMDDHHmmSS+00'00
    xmp_created = pdf.xmp_text(XMP, "CreateDate")
    assert xmp_created.startswith(
        f"{created[2:6]}-{created[6:8]}-{created[8:10]}T{created[10:12]}:{created[12:14]}:{created[14:16]}"
    )
    assert "." not in xmp_created  # no fraction of a second the Info entry cannot hold


@pytest.mark.parametrize("kind", KINDS)
def test_the_manifest_is_listed_once_in_the_associated_files_as_data(world, kind):
    pdf = _structure(world, kind)
    names = pdf.catalog["/Names"]["/EmbeddedFiles"]["/Names"]
    embedded = {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}

    associated = pdf.catalog["/AF"]
    assert list(embedded) == ["manifest.json"]
    assert len(associated) == 1
    assert associated[0].idnum == embedded["manifest.json"].idnum
    spec = associated[0].get_object()
    assert spec["/AFRelationship"] == "/Data"
    assert spec["/F"] == spec["/UF"] == "manifest.json"


# --- tagged for accessibility ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_pdf_is_marked_tagged_and_in_english(world, kind):
    pdf = _structure(world, kind)

    assert pdf.catalog["/MarkInfo"]["/Marked"].value is True
    assert pdf.catalog["/Lang"] == "en"
    assert pdf.tags()[0] == "Document"
    for page in pdf.reader.pages:
        assert page["/Tabs"] == "/S"  # keyboard order follows the structure


@pytest.mark.parametrize("kind", KINDS)
def test_headings_start_at_one_title_and_never_skip_a_level(world, kind):
    headings = [int(tag[1]) for tag in _structure(world, kind).tags() if tag in HEADINGS]

    assert headings[0] == 1 and headings.count(1) == 1
    assert 2 in headings
    for previous, current in zip(headings, headings[1:], strict=False):
        assert current <= previous + 1, headings


@pytest.mark.parametrize("kind", KINDS)
def test_tables_have_rows_header_cells_and_data_cells_linked_to_their_headers(world, kind):
    pdf = _structure(world, kind)
    tags = pdf.tags()

    assert tags.count("Table") >= 2
    assert "TR" in tags and "TH" in tags and "TD" in tags
    cells = [element for element in pdf.elements if element.tag == "TD"]
    assert any(cell.attributes is not None and cell.attributes.get("/Headers") for cell in cells)


@pytest.mark.parametrize("kind", KINDS)
def test_every_table_is_a_data_table_with_header_cells_none_is_used_for_layout(world, kind):
    pdf = _structure(world, kind)

    tables = [index for index, element in enumerate(pdf.elements) if element.tag == "Table"]
    assert tables
    for index in tables:
        assert "TH" in {element.tag for element in pdf.descendants(index)}, f"table #{tables.index(index)}"


@pytest.mark.parametrize("kind", KINDS)
def test_lists_are_tagged_as_lists_with_items(world, kind):
    tags = _structure(world, kind).tags()

    assert "L" in tags and "LI" in tags and "LBody" in tags


@pytest.mark.parametrize("kind", KINDS)
def test_every_figure_has_alternative_text_the_qr_code_and_the_charts_included(world, kind):
    figures = [element for element in _structure(world, kind).elements if element.tag == "Figure"]

    assert len(figures) >= 2  # the QR code and at least one chart
    assert all(figure.alt and figure.alt.strip() for figure in figures), figures
    alts = [figure.alt for figure in figures]
    assert "QR code of the verification URL" in alts
    assert any(alt != "QR code of the verification URL" for alt in alts)  # a chart, by its <title>


@pytest.mark.parametrize("kind", KINDS)
def test_all_content_is_in_the_structure_tree_or_an_artifact_the_running_header_included(world, kind):
    pdf = _structure(world, kind)
    reachable = pdf.reachable_parents()

    for page_number in range(len(pdf.reader.pages)):
        marked = pdf.marked_content(page_number)
        for tag, mcid in marked:
            if tag == "/Artifact":
                continue
            assert mcid is not None, f"page {page_number + 1}: {tag} content with no MCID"
            parent = pdf.parent_of(page_number, mcid)
            assert parent is not None and parent.idnum in reachable, (
                f"page {page_number + 1}: MCID {mcid} ({tag}) is not in the structure tree"
            )
        # The page furniture (the running header and footer) is there on every page, as an artifact.
        assert any(tag == "/Artifact" for tag, _ in marked)
    # What the header says is still on every page for sighted readers.
    document_id = getattr(world, kind).artifact.document_id
    assert all(document_id in text.replace("\n", "") for text in getattr(world, kind).pdf.pages)


# --- the signature ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_invisible_signature_is_a_named_form_field_in_the_structure_tree(world, kind):
    pdf = _structure(world, kind)
    (field_ref,) = pdf.catalog["/AcroForm"]["/Fields"]
    widget = field_ref.get_object()

    assert widget["/FT"] == "/Sig" and widget["/TU"] == "Pledgeproof certification signature"
    assert widget["/F"] & 2 == 0  # not hidden: PDF/A forbids it; so PDF/UA wants it tagged
    form = pdf.parent_of_annotation(widget["/StructParent"])
    assert form is not None and form.idnum in pdf.reachable_parents()
    element = form.get_object()
    assert element["/S"] == "/Form" and element["/Alt"] == "Pledgeproof certification signature"
    assert element["/K"]["/Type"] == "/OBJR" and element["/K"].raw_get("/Obj").idnum == field_ref.idnum
    assert "Form" in pdf.tags()


@pytest.mark.parametrize("kind", KINDS)
def test_pyhankos_validator_accepts_the_rsa_signature_of_the_tagged_file(world, kind, signing_key):
    reader = PdfFileReader(io.BytesIO(getattr(world, kind).pdf.data))
    (signature,) = reader.embedded_signatures
    context = ValidationContext(trust_roots=[load_root(signing_key.root_pem)], allow_fetching=False)

    status = validate_pdf_signature(signature, signer_validation_context=context)

    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.pkcs7_signature_mechanism.startswith(("rsassa_pkcs1v15", "sha256_rsa"))


# --- what no text can break ----------------------------------------------------------------------

HOSTILE_TITLES = st.one_of(
    st.sampled_from(
        [
            "</rdf:RDF></x:xmpmeta><?xpacket end='w'?>",  # closes the XMP packet early, if unescaped
            '<rdf:Description pdfuaid:part="9"/>',  # a second, contradicting claim
            "]]><!-- & \" ' -->",
            "\u202eevil\u2066 title",  # bidi overrides
            "Name\x01with\x1fcontrol\x0bcharacters",  # not XML: once made the whole XMP unreadable
            "x" * 5000,  # oversized
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
)


@settings(max_examples=10, deadline=None)
@given(title=HOSTILE_TITLES)
def test_no_title_breaks_the_conformance_claims_or_the_single_associated_file(title):
    html = f'<html lang="en"><head><title>{escape(title)}</title></head><body><h1>T</h1></body></html>'

    pdf = Structure(html_to_pdf(html, manifest_json=b"{}").data)

    assert pdf.xmp_property(PDFAID, "part") == ["3"]
    assert pdf.xmp_property(PDFUAID, "part") == ["1"]
    assert len(pdf.catalog["/AF"]) == 1
    assert pdf.header_version == "1.7"
    if "/Title" in pdf.info:
        assert str(pdf.info["/Title"]) == (pdf.xmp_text(DC, "title") or "")
