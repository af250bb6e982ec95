"""Hostile archives given to tools/verify_bundle.py are refused cleanly: a failed `archive` check
and exit status 1, nothing written outside, no exception and no memory blown up."""

import io
import stat
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools import verify_bundle
from tools.verify_bundle import verify_bundle as check


def _zip(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def _refused(tmp_path, data: bytes) -> str:
    path = tmp_path / "hostile.zip"
    path.write_bytes(data)
    result = check(path)
    assert not result.ok
    archive = [c for c in result.checks if c.key == "archive" and not c.ok]
    assert archive, result.checks
    return archive[0].detail


@pytest.mark.parametrize(
    "name",
    [
        "../evil.txt",
        "evidence/../../evil.txt",
        "/etc/passwd",
        "C:/evil.txt",
        "evidence\\..\\evil.txt",
        "./a",
        "a//b",
    ],
)
def test_a_name_that_leaves_the_folder_is_refused(tmp_path, name):
    detail = _refused(tmp_path, _zip([("manifest.json", b"{}"), (name, b"x")]))

    assert "file name" in detail
    assert not (tmp_path.parent / "evil.txt").exists()


def test_a_duplicate_name_is_refused(tmp_path):
    with pytest.warns(UserWarning):  # zipfile itself warns, and writes both
        data = _zip([("manifest.json", b"{}"), ("root.pem", b"one"), ("root.pem", b"two")])

    assert "twice" in _refused(tmp_path, data)


def test_names_that_differ_only_in_case_are_refused(tmp_path):
    data = _zip([("evidence/AB", b"one"), ("evidence/ab", b"two")])

    assert "twice" in _refused(tmp_path, data)


def test_a_symbolic_link_is_refused(tmp_path):
    link = zipfile.ZipInfo("root.pem")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16

    assert "not a regular file" in _refused(tmp_path, _zip([(link, b"/etc/passwd")]))


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    data = _zip([("evidence/" + "0" * 64, b"\0" * (8 << 20))])  # 8 MiB of zeros in a few KiB

    assert "ZIP bomb" in _refused(tmp_path, data)


def test_a_file_declaring_a_huge_size_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(verify_bundle, "MAX_MEMBER_BYTES", 1000)

    assert "declares" in _refused(tmp_path, _zip([("root.pem", b"x" * 1001)]))


def test_too_many_files_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(verify_bundle, "MAX_MEMBERS", 3)

    data = _zip([(f"evidence/{i}", b"x") for i in range(4)])

    assert "entries" in _refused(tmp_path, data)


def test_a_member_lying_about_its_size_is_refused_when_read(tmp_path):
    data = bytearray(
        _zip([("manifest.json", b'{"format": "pledgeproof-audit-bundle", "files": {}}' + b" " * 100)])
    )
    # Shrink the size the central directory declares: zipfile then stops short and the CRC fails.
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")

    path = tmp_path / "lying.zip"
    path.write_bytes(bytes(data))

    result = check(path)

    assert not result.ok
    assert any("cannot be read from the archive" in c.detail for c in result.checks if not c.ok)


def test_a_file_that_is_no_zip_is_refused(tmp_path):
    assert "not a readable ZIP" in _refused(tmp_path, b"%PDF-1.7 not a zip at all")


def test_an_unpacked_folder_with_a_link_is_refused(tmp_path):
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / "root.pem").symlink_to("/etc/passwd")

    result = check(folder)

    assert [c.key for c in result.checks if not c.ok] == ["archive"]


def test_hostile_input_exits_1_and_a_missing_file_2(tmp_path, capsys):
    path = tmp_path / "hostile.zip"
    path.write_bytes(_zip([("../evil", b"x")]))

    assert verify_bundle.main([str(path)]) == 1
    assert "Verdict: NOT VERIFIED" in capsys.readouterr().out
    assert verify_bundle.main([str(tmp_path / "absent.zip")]) == 2


@settings(max_examples=60, deadline=None)
@given(members=st.lists(st.tuples(st.text(min_size=1, max_size=40), st.binary(max_size=200)), max_size=6))
def test_any_archive_gets_a_verdict_never_an_exception(tmp_path_factory, members):
    path = tmp_path_factory.mktemp("any") / "any.zip"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members:
            try:
                archive.writestr(name, data)
            except (ValueError, UnicodeEncodeError, IndexError):  # zipfile: a name it cuts to nothing
                continue
    path.write_bytes(out.getvalue())

    result = check(path)

    assert result.ok is False


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2000))
def test_any_bytes_get_a_verdict_never_an_exception(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "any.zip"
    path.write_bytes(data)

    assert check(path).ok is False
