import shutil
from pathlib import Path

import pytest
from django.conf import settings

from reports.pdf.services import artifact_request
from reports.pdf.signing import signing_material
from tests.reports.public_builders import published


@pytest.mark.django_db
def test_scratch(org, period, reviewer, program_admin, django_capture_on_commit_callbacks):
    report = published(org, period, reviewer=reviewer, admin=program_admin, restricted_title="Internal audit")
    out = Path("/tmp/vscratch")
    for kind in ("public",):
        with django_capture_on_commit_callbacks(execute=True):
            a = artifact_request(kind=kind, acting_user=program_admin, report=report)
        a.refresh_from_db()
        assert a.status == "ready", a.failure_reason
        shutil.copy(Path(settings.MEDIA_ROOT) / a.storage_name, out / f"{kind}.pdf")
        (out / f"{kind}.manifest.json").write_text(a.manifest)
    (out / "root.pem").write_bytes(signing_material().root_pem)
    shutil.copytree(settings.PLEDGEPROOF_SIGNING_DIR, out / "signing", dirs_exist_ok=True)
    shutil.copytree(settings.MEDIA_ROOT, out / "media", dirs_exist_ok=True)
