"""What every OSCAL document here shares: identifiers, times, text fields, properties, metadata,
evidence as back-matter resources, and the serialisation."""

from __future__ import annotations

import base64
import datetime
import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse

OSCAL_VERSION = "1.2.1"  # what compliance-trestle 5.2 models and validates
# Our own properties and part names are qualified by this namespace, as OSCAL asks of names it
# does not define itself.
NS = "urn:pledgeproof:oscal"
# Fixed forever: every uuid in every document is uuid5(ROOT, "<kind>:<our id>"), so a re-export
# gives the same identifiers and a reader can follow one subject across versions of a document.
ROOT = uuid.UUID("5c1f3f8e-7b1d-5d0a-9a57-1f2a8a4e0d16")


def uuid_for(kind: str, *ids: object) -> str:
    return str(uuid.uuid5(ROOT, ":".join([kind, *(str(i) for i in ids)])))


def moment(value: datetime.datetime | datetime.date) -> str:
    """A timestamp as OSCAL wants it (with its zone), in UTC; a date is its midnight UTC."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time(), tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def line(text: str | None) -> str:
    """`text` on one line with no leading or trailing space: what OSCAL's titles and values take.

    Any run of whitespace (line breaks included) becomes one space; empty when nothing is left.
    """
    return " ".join((text or "").split())


def prose(text: str | None, fallback: str) -> str:
    """Markdown text for a required multi-line field (descriptions, prose), `fallback` when blank."""
    return text.strip() if text and text.strip() else fallback


def prop(
    name: str, value: Any, *, ns: str | None = NS, remarks: str = "", cls: str = ""
) -> dict[str, Any] | None:
    """A property, or None when there is no value to state (OSCAL has no empty values)."""
    value = line(str(value)) if value is not None else ""
    if not value:
        return None
    found: dict[str, Any] = {"name": name}
    if ns:
        found["ns"] = ns
    found["value"] = value
    if cls:
        found["class"] = cls
    if remarks.strip():
        found["remarks"] = remarks.strip()
    return found


def props(*candidates: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [p for p in candidates if p is not None]


def with_optional(document: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """`document` with each field that has a value (OSCAL forbids empty lists and strings)."""
    for key, value in fields.items():
        if value:
            document[key.replace("_", "-")] = value
    return document


def site_url(path: str) -> str:
    return settings.SITE_URL + path


def platform_party() -> dict[str, Any]:
    return {
        "uuid": uuid_for("party", "platform"),
        "type": "organization",
        "name": "Pledgeproof",
        "links": [{"href": site_url("/"), "rel": "homepage"}],
    }


def metadata(
    *,
    title: str,
    last_modified: datetime.datetime | datetime.date,
    version: str,
    parties: Sequence[dict[str, Any]] = (),
    roles: Sequence[dict[str, Any]] = (),
    responsible_parties: Sequence[dict[str, Any]] = (),
    links: Sequence[dict[str, Any]] = (),
    properties: Sequence[dict[str, Any]] = (),
    remarks: str = "",
) -> dict[str, Any]:
    stamp = moment(last_modified)
    found = {
        "title": line(title) or "Pledgeproof OSCAL document",
        "published": stamp,
        "last-modified": stamp,
        "version": line(version),
        "oscal-version": OSCAL_VERSION,
    }
    return with_optional(
        found,
        props=list(properties),
        links=list(links),
        roles=list(roles),
        parties=[platform_party(), *parties],
        responsible_parties=list(responsible_parties),
        remarks=remarks.strip(),
    )


# --- evidence, by its hash ----------------------------------------------------------------------


def sha256_uri(sha256: str) -> str:
    """The RFC 6920 name of content with this SHA-256 (ni:///sha-256;<base64url>): a link to the
    bytes themselves, wherever they are kept (the audit bundle names evidence files by the hash)."""
    digest = base64.urlsafe_b64encode(bytes.fromhex(sha256)).rstrip(b"=").decode("ascii")
    return f"ni:///sha-256;{digest}"


def evidence_resource(entry: dict[str, Any], *, publication) -> dict[str, Any]:
    """One evidence entry of a published snapshot as a back-matter resource.

    Public evidence with its title and its public address; restricted evidence with nothing that
    describes it: that it exists, its kind, date, revision and SHA-256, as the open data states it.
    """
    public = entry.get("visibility") == "public"
    sha256 = entry.get("sha256") or ""
    hashes = [{"algorithm": "SHA-256", "value": sha256}] if sha256 else []
    rlinks = []
    if public and entry.get("kind") == "file" and sha256:
        report = publication.report
        period = report.period
        path = reverse(
            "public:evidence",
            args=[report.organisation.slug, period.framework.key, period.label, entry["id"]],
        )
        rlinks.append(
            with_optional({"href": site_url(path)}, media_type=line(entry.get("media_type")), hashes=hashes)
        )
    elif public and entry.get("url"):
        rlinks.append(with_optional({"href": entry["url"]}, hashes=hashes))
    if sha256:
        rlinks.append({"href": sha256_uri(sha256), "hashes": hashes})
    found = {
        "uuid": uuid_for("evidence", entry["id"]),
        "title": (line(entry.get("title")) or "Evidence") if public else "Restricted evidence",
        "props": props(
            prop("visibility", entry.get("visibility")),
            prop("evidence-kind", entry.get("kind")),
            prop("effective-date", entry.get("effective_date")),
            prop("revision", entry.get("revision")),
            prop("size-bytes", entry.get("size_bytes")) if public else None,
        ),
    }
    if not public:
        found["description"] = (
            "Held by the platform for reviewers and engaged auditors only; published as its SHA-256."
        )
    return with_optional(found, rlinks=rlinks)


def evidence_links(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"href": f"#{resource['uuid']}", "rel": "reference"} for resource in resources]


# --- serialised ---------------------------------------------------------------------------------


def to_bytes(document: dict[str, Any]) -> bytes:
    """The JSON file: UTF-8, two-space indents, keys in the order they were built, one final newline."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
