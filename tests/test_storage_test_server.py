"""The S3 server the storage tests start: without moto they skip locally, but fail under CI=true."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("ci,outcome", [("true", "1 error"), ("", "1 skipped")])
def test_without_moto_the_bucket_tests_skip_only_outside_ci(tmp_path, ci, outcome):
    (tmp_path / "conftest.py").write_text(
        "import sys\n"
        "sys.modules['moto'] = None  # as if moto were not installed\n"
        "from tests.storage_backends import s3_endpoint  # noqa: F401\n"
    )
    (tmp_path / "test_bucket.py").write_text("def test_needs_a_bucket(s3_endpoint):\n    pass\n")
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT)}

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            "-rs",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert outcome in result.stdout, result.stdout + result.stderr
    assert "moto[server] is not installed" in result.stdout
    if ci:
        assert "under CI=true the S3 storage tests must run" in result.stdout
