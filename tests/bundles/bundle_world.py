"""An engagement's audit bundle, built once per test module from a published report.

Northwind's report is published with restricted evidence, its public and audit PDFs are signed,
an auditor is engaged for it (independence declared) and has recorded a finding; another
engagement's finding on the same report is audit work this auditor may not read. Everything is
made through the services, inside a transaction rolled back at the end of the module
(tests/reports/pdf/verify_world.py).
"""

import hashlib
import io
import json
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audits.services.work import finding_record
from bundles.services import bundle_scope, bundle_write
from commitments.services.ledger.checkpoints import checkpoint_latest, checkpoint_sign
from commitments.vocabulary import FindingKind
from tests.audits.builders import engagement_for
from tests.factories import UserFactory
from tests.reports.pdf.verify_world import rendered_world


@dataclass
class World:
    built: Any  # tests.reports.pdf.verify_world.World
    engagement: Any
    auditor: Any
    other_engagement: Any
    zip_bytes: bytes
    earlier_checkpoint: bytes  # signed before the engagement's work: a checkpoint an auditor saved

    @property
    def report(self):
        return self.built.report

    def files(self) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(self.zip_bytes)) as archive:
            return {name: archive.read(name) for name in archive.namelist()}


def zip_of(files: dict[str, bytes], *, fix_manifest: bool = False) -> bytes:
    """A ZIP of these files; `fix_manifest`: with manifest.json listing them as they are now, as
    someone who altered a file and wants the manifest to agree would write it (its signature,
    manifest.json.p7s, is left as it was: they do not hold the platform's key)."""
    files = dict(files)
    if fix_manifest:
        manifest = json.loads(files["manifest.json"])
        manifest["files"] = {
            name: hashlib.sha256(data).hexdigest()
            for name, data in files.items()
            if name not in ("manifest.json", "manifest.json.p7s")
        }
        files["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def write(tmp_path: Path, data: bytes, name: str = "bundle.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


OTHER_FIRM_WORDS = "Another firm's observation, not for Harbourside's eyes."


def _observe(engagement, item, auditor, description):
    return finding_record(
        engagement=engagement,
        item=item,
        acting_user=auditor,
        kind=FindingKind.OBSERVATION,
        description=description,
    )


@contextmanager
def bundle_world(django_db_blocker):
    with rendered_world(django_db_blocker, audit=True) as built:
        earlier = checkpoint_sign().note.encode()
        auditor = UserFactory(platform_role="auditor", email="auditor@harbourside.example")
        engagement = engagement_for(
            auditor,
            organisations=[built.report.organisation],
            periods=[built.report.period],
            admin=built.admin,
        )
        first_item = built.report.items.order_by("node__position").first()
        _observe(engagement, first_item, auditor, "The escalation log is kept as described.")
        other_auditor = UserFactory(platform_role="auditor")
        other = engagement_for(
            other_auditor,
            organisations=[built.report.organisation],
            periods=[built.report.period],
            admin=built.admin,
            title="Another firm's engagement",
        )
        _observe(other, first_item, other_auditor, OTHER_FIRM_WORDS)
        out = io.BytesIO()
        bundle_write(bundle_scope(engagement=engagement, holder=auditor), out)
        assert checkpoint_latest() is not None
        yield World(
            built=built,
            engagement=engagement,
            auditor=auditor,
            other_engagement=other,
            zip_bytes=out.getvalue(),
            earlier_checkpoint=earlier,
        )
