"""`manage.py export_oscal --out DIR` writes every OSCAL document."""

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command

from reports.oscal.documents import all_documents
from tests.reports.oscal.oscal_checks import validated

pytestmark = pytest.mark.django_db


def test_it_writes_every_document_and_prints_their_hashes(attested, tmp_path):
    out = io.StringIO()
    call_command("export_oscal", "--out", str(tmp_path / "oscal"), stdout=out)

    written = {path.name: path.read_bytes() for path in (tmp_path / "oscal").iterdir()}
    assert written == all_documents()
    assert len(written) == 3
    for name, content in written.items():
        validated(content)
        assert f"{hashlib.sha256(content).hexdigest()}  {name}" in out.getvalue()
    assert "Wrote 3 OSCAL document(s)" in out.getvalue()


def test_a_second_run_writes_the_same_bytes(attested, tmp_path):
    call_command("export_oscal", "--out", str(tmp_path / "a"), stdout=io.StringIO())
    call_command("export_oscal", "--out", str(tmp_path / "b"), stdout=io.StringIO())

    assert {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()
    }


def test_it_refuses_an_out_that_is_a_file(framework, tmp_path):
    target = tmp_path / "taken"
    target.write_text("not a folder")

    with pytest.raises(CommandError, match="Cannot write into"):
        call_command("export_oscal", "--out", str(target), stdout=io.StringIO())
