"""Reading a PDF's conformance claims and its structure tree as a validator would (issue 16).

pypdf reads the objects; nothing here trusts what the renderer meant to write.
"""

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cached_property

from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject, IndirectObject, NameObject

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
PDFUAID = "{http://www.aiim.org/pdfua/ns/id/}"
PDFA_SCHEMA = "{http://www.aiim.org/pdfa/ns/schema#}"
DC = "{http://purl.org/dc/elements/1.1/}"
XMP = "{http://ns.adobe.com/xap/1.0/}"
PDF = "{http://ns.adobe.com/pdf/1.3/}"


@dataclass(frozen=True)
class Element:
    """One structure element: its type, alt text, and the ids of the marked content it holds."""

    tag: str
    alt: str | None
    depth: int
    attributes: DictionaryObject | None


@dataclass
class Structure:
    data: bytes

    @cached_property
    def reader(self) -> PdfReader:
        return PdfReader(io.BytesIO(self.data))

    @property
    def catalog(self) -> DictionaryObject:
        return self.reader.trailer["/Root"]

    @property
    def header_version(self) -> str:
        return self.data[5:8].decode("ascii")

    @cached_property
    def xmp(self) -> ET.Element:
        packet = self.catalog["/Metadata"].get_object().get_data()
        return ET.fromstring(packet[packet.index(b"<x:xmpmeta") : packet.rindex(b"</x:xmpmeta>") + 12])

    def xmp_property(self, namespace: str, name: str) -> list[str]:
        """Every value of a property, written as an attribute or as an element, across Descriptions."""
        values = []
        for description in self.xmp.iter(f"{RDF}Description"):
            if f"{namespace}{name}" in description.attrib:
                values.append(description.attrib[f"{namespace}{name}"])
            values += [child.text or "" for child in description.findall(f"{namespace}{name}")]
        return values

    def xmp_text(self, namespace: str, name: str) -> str | None:
        """A property's value as a string: an attribute, an element's text, or its first rdf:li."""
        for description in self.xmp.iter(f"{RDF}Description"):
            if f"{namespace}{name}" in description.attrib:
                return description.attrib[f"{namespace}{name}"]
            element = description.find(f"{namespace}{name}")
            if element is not None:
                item = element.find(f".//{RDF}li")
                return (item if item is not None else element).text
        return None

    def extension_schemas(self) -> set[tuple[str, str]]:
        """(namespace URI, prefix) of each PDF/A extension schema, however the XMP writer spelled
        them (child elements, attributes, or the URI as rdf:resource as pyHanko rewrites it)."""
        found = set()
        for description in self.xmp.iter():
            key = f"{PDFA_SCHEMA}prefix"
            prefix = description.attrib.get(key) or description.findtext(key)
            uri = description.find(f"{PDFA_SCHEMA}namespaceURI")
            if prefix is None or uri is None:
                continue
            found.add((uri.text or uri.attrib.get(f"{RDF}resource", ""), prefix))
        return found

    @property
    def info(self) -> DictionaryObject:
        """The document information dictionary (empty when the file has none)."""
        info = self.reader.trailer.get("/Info")
        return info.get_object() if info is not None else DictionaryObject()

    @cached_property
    def elements(self) -> list[Element]:
        """The structure tree in document order (depth first), without the root."""
        found: list[Element] = []

        def walk(node, depth: int) -> None:
            node = node.get_object()
            kids = node.get("/K")
            if kids is None:
                return
            kids = kids if isinstance(kids, list) else [kids]
            for kid in kids:
                target = kid.get_object() if isinstance(kid, IndirectObject) else kid
                if isinstance(target, DictionaryObject) and target.get("/Type") != "/OBJR" and "/S" in target:
                    attributes = target.get("/A")
                    found.append(
                        Element(
                            tag=str(target["/S"])[1:],
                            alt=str(target["/Alt"]) if "/Alt" in target else None,
                            depth=depth,
                            attributes=attributes.get_object() if attributes is not None else None,
                        )
                    )
                    walk(target, depth + 1)

        walk(self.catalog["/StructTreeRoot"], 0)
        return found

    def descendants(self, index: int) -> list[Element]:
        """The elements under `elements[index]`, in document order."""
        depth = self.elements[index].depth
        found = []
        for element in self.elements[index + 1 :]:
            if element.depth <= depth:
                break
            found.append(element)
        return found

    def tags(self) -> list[str]:
        return [element.tag for element in self.elements]

    def reachable_parents(self) -> set[int]:
        """Object numbers of every structure element reachable from the root."""
        seen: set[int] = set()
        pending = [self.catalog.raw_get("/StructTreeRoot")]
        while pending:
            reference = pending.pop()
            if not isinstance(reference, IndirectObject) or reference.idnum in seen:
                continue
            seen.add(reference.idnum)
            kids = reference.get_object().get("/K")
            if kids is None:
                continue
            kids = kids if isinstance(kids, list) else [kids]
            pending += [kid for kid in kids if isinstance(kid, IndirectObject)]
        return seen

    def marked_content(self, page_number: int) -> list[tuple[str, int | None]]:
        """(tag, MCID) of every marked-content sequence opened in a page's content stream."""
        page = self.reader.pages[page_number]
        stream = ContentStream(page.get_contents(), self.reader)
        found = []
        for operands, operator in stream.operations:
            if operator == b"BDC":
                properties = operands[1]
                mcid = properties.get("/MCID") if isinstance(properties, DictionaryObject) else None
                found.append((str(operands[0]), int(mcid) if mcid is not None else None))
            elif operator == b"BMC":
                found.append((str(operands[0]), None))
        return found

    def _parent_tree(self) -> dict[int, object]:
        nums = self.catalog["/StructTreeRoot"]["/ParentTree"].get_object()["/Nums"]
        return {int(nums[index]): nums[index + 1] for index in range(0, len(nums), 2)}

    def parent_of_annotation(self, key: int) -> IndirectObject | None:
        """The structure element the parent tree names for an annotation's /StructParent."""
        found = self._parent_tree().get(int(key))
        return found if isinstance(found, IndirectObject) else None

    def parent_of(self, page_number: int, mcid: int) -> IndirectObject | None:
        """The structure element the parent tree names for a page's marked content id."""
        page = self.reader.pages[page_number]
        key = page["/StructParents"]
        nums = self.catalog["/StructTreeRoot"]["/ParentTree"].get_object()["/Nums"]
        for index in range(0, len(nums), 2):
            if nums[index] == key:
                mapping = nums[index + 1].get_object()
                return mapping[mcid] if mcid < len(mapping) else None
        return None


def name(value: str) -> NameObject:
    return NameObject(value)
