"""tools/verify_bundle.py against a bundle built from test data: it accepts it as built, and refuses
it once any one byte of what it vouches for is changed, even when the manifest is made to agree:
the manifest is signed by the platform's key (manifest.json.p7s), so the files only it covers
(oscal/, VERIFY.md) rest on a signature as much as the PDFs do."""

import datetime
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bundles.services import BundleFailed, bundle_scope, bundle_write
from reports.pdf.signing import sign_detached
from tests.bundles.bundle_world import OTHER_FIRM_WORDS, bundle_world, write, zip_of
from tests.reports.pdf.tampering import rogue_key, sign_detached_with, sign_with, unsigned_original
from tests.reports.pdf.tsa import TSA_NAME, dead_url, local_tsa, tsa_keys_create
from tools import verify_bundle
from tools.verify_bundle import verify_bundle as check
from tools.verify_report import load_root

pytestmark = pytest.mark.django_db

TOOLS = Path(__file__).resolve().parents[2] / "tools"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key):
    with bundle_world(django_db_blocker) as built:
        yield built


def _failed(result) -> set[str]:
    return {c.key for c in result.checks if not c.ok}


def test_the_bundle_as_built_passes_every_check(world, tmp_path, signing_key):
    result = check(write(tmp_path, world.zip_bytes))

    assert result.ok, [c for c in result.checks if not c.ok]
    keys = {c.key for c in result.checks}
    assert {
        "archive",
        "manifest",
        "manifest_signature",
        "log_key",
        "checkpoint",
        "evidence",
        "ledger",
        "inclusion",
    } <= keys
    signature = next(c for c in result.checks if c.key == "manifest_signature")
    assert signature.detail.startswith("by “") and "chain ends at" in signature.detail
    assert result.manifest_signature["signer_sha256"] == signing_key.signer_fingerprint
    assert sum(1 for key in keys if key.startswith("pdf/") or key.startswith("pdf:")) == 2  # audit and public


def test_the_bundle_holds_what_the_issue_lists(world):
    files = world.files()
    names = set(files)

    assert {"root.pem", "log/checkpoint", "log/key", "VERIFY.md"} <= names
    assert {"manifest.json", "manifest.json.p7s"} <= names
    assert "manifest.json.p7s" not in json.loads(files["manifest.json"])["files"]
    assert {"ledger/entries.jsonl", "ledger/proofs.jsonl"} <= names
    assert any(name.startswith("log/tile/0/") for name in names)
    assert len([n for n in names if n.startswith("pdf/")]) == 2
    assert set(world.built.evidence) <= {
        n.removeprefix("evidence/") for n in names if n.startswith("evidence/")
    }
    assert "python tools/verify_bundle.py" in files["VERIFY.md"].decode()
    assert "openssl cms -verify -binary -inform DER -in manifest.json.p7s" in files["VERIFY.md"].decode()


def test_the_ledger_shows_this_engagements_work_and_withholds_another_firms(world):
    lines = [json.loads(line) for line in world.files()["ledger/entries.jsonl"].decode().splitlines()]
    shown = "".join(line["payload"] or "" for line in lines)

    assert "The escalation log is kept as described." in shown
    assert OTHER_FIRM_WORDS not in shown
    withheld = [line for line in lines if line["payload"] is None]
    assert [line["event"] for line in withheld] == ["finding.recorded"]
    assert all(line["report"] == world.report.pk for line in lines if line["report"] is not None)


def test_an_unpacked_bundle_is_checked_the_same(world, tmp_path):
    folder = tmp_path / "unpacked"
    for name, data in world.files().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)

    assert check(folder).ok


def _flip_in(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _hex_flip(text: bytes, marker: bytes) -> bytes:
    """Change the first hex digit after `marker` to another hex digit: still well-formed."""
    at = text.index(marker) + len(marker)
    digit = text[at : at + 1]
    return text[:at] + (b"1" if digit != b"1" else b"2") + text[at + 1 :]


def _evidence(files):
    name = sorted(n for n in files if n.startswith("evidence/"))[0]
    return name, _flip_in(files[name], len(files[name]) // 2)


def _ledger_line(files):
    text = files["ledger/entries.jsonl"]
    # A letter of the first payload: the JSON stays valid, the hashed text does not.
    at = text.index(b'\\"event\\":\\"') + len(b'\\"event\\":\\"')
    return "ledger/entries.jsonl", text[:at] + (b"X" if text[at : at + 1] != b"X" else b"Y") + text[at + 1 :]


def _proof(files):
    lines = files["ledger/proofs.jsonl"].split(b"\n")
    index = next(i for i, line in enumerate(lines) if b'"hashes":["' in line)
    lines[index] = _hex_flip(lines[index], b'"hashes":["')
    return "ledger/proofs.jsonl", b"\n".join(lines)


def _pdf(files):
    name = sorted(n for n in files if n.startswith("pdf/"))[0]
    return name, _flip_in(files[name], len(files[name]) // 2)


def _checkpoint(files):
    note = files["log/checkpoint"]
    first_line = note.index(b"\n")
    return "log/checkpoint", _flip_in(note, first_line + 1)  # a digit of the tree size


def _oscal(files):
    """A letter of a control's title in the catalog: still valid OSCAL, saying something else."""
    name = next(n for n in sorted(files) if n.startswith("oscal/catalog"))
    text = files[name]
    at = text.index(b'"title": "') + len(b'"title": "')
    return name, text[:at] + (b"X" if text[at : at + 1] != b"X" else b"Y") + text[at + 1 :]


def _verify_text(files):
    text = files["VERIFY.md"]
    return "VERIFY.md", text.replace(b"--root root-you-trust.pem", b"--root anything.pem", 1)


# What is changed, and the check of that file: None for the files that only the manifest (and,
# once the manifest is made to agree, only its signature) vouches for.
TAMPERING = {
    "evidence": (_evidence, "evidence"),
    "ledger line": (_ledger_line, "ledger"),
    "proof": (_proof, "inclusion"),
    "pdf": (_pdf, "pdf:"),
    "checkpoint": (_checkpoint, "checkpoint"),
    "oscal": (_oscal, None),
    "VERIFY.md": (_verify_text, None),
}


@pytest.mark.parametrize("what", TAMPERING)
@pytest.mark.parametrize("fix_manifest", [False, True], ids=["manifest-as-built", "manifest-made-to-agree"])
def test_changing_one_byte_is_refused_by_the_check_of_that_file(world, tmp_path, what, fix_manifest):
    change, failing = TAMPERING[what]
    files = world.files()
    name, changed = change(files)
    assert changed != files[name]
    files[name] = changed

    result = check(write(tmp_path, zip_of(files, fix_manifest=fix_manifest)))

    assert not result.ok
    failed = _failed(result)
    if failing is not None:
        assert any(key.startswith(failing) for key in failed), failed
    if fix_manifest:
        assert "manifest_signature" in failed
        assert "manifest.json is not the file that was signed" in _detail(result, "manifest_signature")
    else:
        assert "manifest" in failed
    if failing is None:
        assert failed == ({"manifest_signature"} if fix_manifest else {"manifest"})


def _detail(result, key: str) -> str:
    return next(c.detail for c in result.checks if c.key == key)


# --- the manifest's signature ------------------------------------------------------------------


def test_a_bundle_without_the_manifests_signature_is_refused(world, tmp_path):
    files = world.files()
    del files["manifest.json.p7s"]

    result = check(write(tmp_path, zip_of(files)))

    assert _failed(result) == {"manifest_signature"}
    assert "no manifest.json.p7s" in _detail(result, "manifest_signature")


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _nested(depth: int) -> bytes:
    inner = b""
    for _ in range(depth):
        inner = _der(0x30, inner)
    return inner


def _attached(files) -> bytes:
    """A genuine signature, but enveloping its own content rather than detached."""
    from asn1crypto import cms

    info = cms.ContentInfo.load(files["manifest.json.p7s"])
    signed = info["content"]
    signed["encap_content_info"] = {"content_type": "data", "content": b"something else"}
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


GARBAGE = {
    "empty": lambda files: b"",
    "random bytes": lambda files: bytes(range(256)) * 4,
    "text": lambda files: b"signed, trust me\n",
    "PEM armour": lambda files: b"-----BEGIN PKCS7-----\nAAAA\n-----END PKCS7-----\n",
    "cut short": lambda files: files["manifest.json.p7s"][:-40],
    "trailing bytes": lambda files: files["manifest.json.p7s"] + b"\0",
    "a certificate": lambda files: load_root(files["root.pem"]).dump(),
    "a PDF": lambda files: files[next(n for n in sorted(files) if n.startswith("pdf/"))][:4096],
    "nested 5000 deep": lambda files: _nested(5000),
    "not detached": _attached,
}


@pytest.mark.parametrize("what", GARBAGE)
def test_a_garbage_manifest_signature_fails_its_check_and_nothing_else(world, tmp_path, what):
    files = world.files()
    files["manifest.json.p7s"] = GARBAGE[what](files)

    result = check(write(tmp_path, zip_of(files)))

    assert _failed(result) == {"manifest_signature"}, result.checks
    assert _detail(result, "manifest_signature").startswith("manifest.json.p7s")


def test_an_oversized_manifest_signature_is_refused_unparsed(world, tmp_path, monkeypatch):
    monkeypatch.setattr(verify_bundle, "MAX_SIGNATURE_BYTES", 1000)

    result = check(write(tmp_path, world.zip_bytes))

    assert _failed(result) == {"manifest_signature"}
    assert "larger than 1000 bytes" in _detail(result, "manifest_signature")


def test_the_manifest_signed_under_another_root_is_refused(world, tmp_path):
    """Someone who rewrites the manifest and signs it with their own key (chain inside) does not
    chain to the platform's root, whether it is pinned or only bundled."""
    files = world.files()
    name, changed = _oscal(files)
    files[name] = changed
    files["manifest.json"] = _unzipped(zip_of(files, fix_manifest=True))["manifest.json"]
    files["manifest.json.p7s"] = sign_detached_with(files["manifest.json"], rogue_key(tmp_path / "rogue"))
    path = write(tmp_path, zip_of(files))

    unpinned = check(path)
    pinned = check(path, root=load_root(world.built.root_pem))

    assert _failed(unpinned) == _failed(pinned) == {"manifest_signature"}
    assert "does not chain to the given root" in _detail(unpinned, "manifest_signature")


def test_a_forger_who_also_swaps_root_pem_meets_the_pdfs_and_the_log(world, tmp_path):
    """With the manifest re-signed under a rogue root and root.pem swapped for it, the signature
    checks out against root.pem: the PDFs, which only the platform's root vouches for and the log
    records, do not; and a root you give names the swap."""
    rogue = rogue_key(tmp_path / "rogue")
    files = world.files()
    name, changed = _oscal(files)
    files[name] = changed
    files["root.pem"] = rogue.chain.read_bytes()
    files["manifest.json"] = _unzipped(zip_of(files, fix_manifest=True))["manifest.json"]
    files["manifest.json.p7s"] = sign_detached_with(files["manifest.json"], rogue)
    path = write(tmp_path, zip_of(files))

    unpinned = check(path)
    pinned = check(path, root=load_root(world.built.root_pem))

    assert {key for key in _failed(unpinned) if key.startswith("pdf:")}
    assert "root" in _failed(pinned)


def _unzipped(data: bytes) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_manifest_signature_check_and_its_signer_are_in_the_json_output(world, tmp_path, capsys):
    files = world.files()
    del files["manifest.json.p7s"]

    assert verify_bundle.main([str(write(tmp_path, world.zip_bytes)), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert next(c for c in data["checks"] if c["key"] == "manifest_signature")["ok"] is True
    assert data["manifest_signature"]["signing_time"] and data["manifest_signature"]["timestamp_time"] is None
    assert verify_bundle.main([str(write(tmp_path, zip_of(files), "unsigned.zip")), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert [c["key"] for c in data["checks"] if not c["ok"]] == ["manifest_signature"]


@settings(max_examples=40, deadline=None)
@given(signature=st.binary(max_size=4000))
def test_any_bytes_as_the_manifest_signature_get_a_verdict_never_an_exception(
    world, tmp_path_factory, signature
):
    files = world.files()
    files["manifest.json.p7s"] = signature

    result = check(write(tmp_path_factory.mktemp("p7s"), zip_of(files)))

    assert _failed(result) == {"manifest_signature"}


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_a_genuine_signature_with_one_byte_changed_gets_a_verdict_never_an_exception(
    world, tmp_path_factory, data
):
    """Some bytes of a CMS are signed by nothing (e.g. the copy of the root inside it), so a change
    may pass; whatever it is, it gets a verdict on the signature alone, never an exception."""
    files = world.files()
    genuine = files["manifest.json.p7s"]
    at = data.draw(st.integers(min_value=0, max_value=len(genuine) - 1))
    files["manifest.json.p7s"] = _flip_in(genuine, at)

    result = check(write(tmp_path_factory.mktemp("flip"), zip_of(files)))

    assert _failed(result) <= {"manifest_signature"}


def test_a_timestamp_on_the_manifest_signature_is_shown_and_vouched_for_by_the_root_given(
    world, tmp_path, settings, capsys
):
    keys = tsa_keys_create()
    stamped_at = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    files = world.files()
    with local_tsa(keys, fixed_time=stamped_at) as tsa:
        settings.PLEDGEPROOF_TSA_URL = tsa.url
        files["manifest.json.p7s"] = sign_detached(files["manifest.json"])
    path = write(tmp_path, zip_of(files))
    tsa_root = write(tmp_path, keys.root_pem, "tsa-root.pem")

    unproven = check(path)
    assert verify_bundle.main([str(path), "--tsa-root", str(tsa_root), "--json"]) == 0
    vouched = json.loads(capsys.readouterr().out)

    assert unproven.ok
    assert "not vouched for" in _detail(unproven, "manifest_signature")
    assert unproven.manifest_signature["certificates_judged_at"] is None  # judged now
    signature = vouched["manifest_signature"]
    assert signature["timestamp_trusted"] is True and TSA_NAME in signature["timestamp_authority"]
    assert signature["timestamp_time"] == signature["certificates_judged_at"] == stamped_at.isoformat()
    assert verify_bundle.main([str(path), "--tsa-root", str(tmp_path / "absent.pem")]) == 2


def test_a_bundle_whose_manifest_the_authority_does_not_timestamp_fails_and_says_why(world, settings):
    settings.PLEDGEPROOF_TSA_URL = dead_url()  # the PDFs are made already: only the manifest is signed

    with pytest.raises(BundleFailed) as raised:
        bundle_write(bundle_scope(engagement=world.engagement, holder=world.auditor), io.BytesIO())

    assert "The manifest could not be signed" in str(raised.value)
    assert settings.PLEDGEPROOF_TSA_URL in str(raised.value)


def test_a_missing_file_is_refused(world, tmp_path):
    files = world.files()
    name = sorted(n for n in files if n.startswith("evidence/"))[0]
    del files[name]

    result = check(write(tmp_path, zip_of(files)))

    assert {"manifest", "evidence"} <= _failed(result)
    assert f"{name} is missing" in next(c.detail for c in result.checks if c.key == "manifest")


def test_an_extra_file_is_refused(world, tmp_path):
    files = world.files()
    files["evidence/notes.txt"] = b"added later\n"

    result = check(write(tmp_path, zip_of(files)))

    assert {"manifest", "evidence"} <= _failed(result)
    assert "evidence/notes.txt is not in the manifest" in next(
        c.detail for c in result.checks if c.key == "manifest"
    )


def test_a_checkpoint_saved_earlier_is_extended_by_the_bundles(world, tmp_path):
    saved = write(tmp_path, world.earlier_checkpoint, "saved-checkpoint")

    result = check(write(tmp_path, world.zip_bytes), saved_checkpoint=saved.read_bytes())

    assert result.ok
    assert next(c for c in result.checks if c.key == "saved_checkpoint").ok


def test_a_saved_checkpoint_the_log_key_did_not_sign_fails(world, tmp_path):
    forged = _flip_in(world.earlier_checkpoint, world.earlier_checkpoint.index(b"\n") + 3)

    result = check(write(tmp_path, world.zip_bytes), saved_checkpoint=forged)

    assert _failed(result) == {"saved_checkpoint"}


def test_a_log_key_swapped_with_the_checkpoint_is_refused(world, tmp_path):
    """Someone who re-signs the checkpoint with their own key must also replace log/key, which the
    signed PDFs do not name."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tools.tlog import note

    files = world.files()
    origin = files["log/checkpoint"].decode().split("\n", 1)[0]
    body = files["log/checkpoint"].decode().split("\n\n", 1)[0] + "\n"
    rogue = Ed25519PrivateKey.generate()
    files["log/checkpoint"] = note.note_sign(body, name=origin, private_key=rogue).encode()
    files["log/key"] = (str(note.verifier_key(origin, rogue)) + "\n").encode()

    result = check(write(tmp_path, zip_of(files, fix_manifest=True)))

    assert "log_key" in _failed(result)


def test_json_output_and_exit_status(world, tmp_path, capsys):
    path = write(tmp_path, world.zip_bytes)

    assert verify_bundle.main([str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    files = world.files()
    name, changed = _evidence(files)
    files[name] = changed
    assert verify_bundle.main([str(write(tmp_path, zip_of(files), "bad.zip"))]) == 1
    assert "Verdict: NOT VERIFIED" in capsys.readouterr().out
    assert verify_bundle.main([str(tmp_path / "nothing-here.zip")]) == 2


def test_it_runs_standalone_without_django(world, tmp_path):
    """`python -I` with only a copy of the tools folder importable: no Django, no project."""
    copy = tmp_path / "standalone"
    (copy / "tools" / "tlog").mkdir(parents=True)
    for source in [TOOLS / "__init__.py", TOOLS / "verify_report.py", TOOLS / "verify_bundle.py"]:
        (copy / "tools" / source.name).write_bytes(source.read_bytes())
    for source in (TOOLS / "tlog").glob("*.py"):
        (copy / "tools" / "tlog" / source.name).write_bytes(source.read_bytes())
    path = write(tmp_path, world.zip_bytes)
    probe = (
        "import sys, runpy; sys.modules['django'] = None; sys.argv = sys.argv[1:]; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )

    done = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(copy / "tools" / "verify_bundle.py"), str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8"},
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verdict: VERIFIED" in done.stdout


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
FIELDS = {
    "ledger/entries.jsonl": ["sequence", "prev_hash", "entry_hash", "payload"],
    "ledger/proofs.jsonl": ["sequence", "leaf_index", "tree_size", "hashes"],
}


@settings(max_examples=40, deadline=None)
@given(data=st.data(), value=JSON)
def test_a_ledger_or_proof_line_with_any_value_gets_a_verdict_never_an_exception(
    world, tmp_path_factory, data, value
):
    """Any value in a field that is checked; a payload may only be withheld (null), which is how the
    bundle keeps another engagement's work from its holder."""
    file = data.draw(st.sampled_from(sorted(FIELDS)))
    field = data.draw(st.sampled_from(FIELDS[file]))
    assume(not (field == "payload" and value is None))
    files = world.files()
    lines = files[file].decode().splitlines()
    first = json.loads(lines[0])
    if first.get(field, object()) == value:
        return
    first[field] = value
    lines[0] = json.dumps(first)
    files[file] = ("\n".join(lines) + "\n").encode()

    result = check(write(tmp_path_factory.mktemp("fuzz"), zip_of(files, fix_manifest=True)))

    # The manifest made to agree fails its signature anyway; the line itself must fail its check too.
    assert _failed(result) & {"ledger", "inclusion"}, _failed(result)


def test_the_root_you_give_must_be_the_bundled_one(world, tmp_path):
    path = write(tmp_path, world.zip_bytes)

    genuine = check(path, root=load_root(world.built.root_pem))
    rogue = check(path, root=load_root(rogue_key(tmp_path / "rogue").chain.read_bytes()))

    assert genuine.ok
    assert "the root you gave" in next(c.detail for c in genuine.checks if c.key == "root")
    assert _failed(rogue) == {"root"}


def test_pdfs_re_signed_with_another_root_are_refused_with_or_without_the_root_given(world, tmp_path):
    """A forger who re-signs the PDFs and swaps root.pem still meets the log, which records the
    SHA-256 of each PDF the platform issued; and the root you give names the swap."""
    rogue = rogue_key(tmp_path / "rogue")
    files = world.files()
    for name in [n for n in files if n.startswith("pdf/")]:
        files[name] = sign_with(unsigned_original(files[name]), rogue)
    files["root.pem"] = rogue.chain.read_bytes()
    path = write(tmp_path, zip_of(files, fix_manifest=True))

    unpinned = check(path)
    pinned = check(path, root=load_root(world.built.root_pem))

    assert {key for key in _failed(unpinned) if key.startswith("pdf:")}
    assert "The log records the issue of this very file" in " ".join(c.detail for c in unpinned.checks)
    assert "root" in _failed(pinned)
