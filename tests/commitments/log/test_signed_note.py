"""Checkpoints as C2SP signed notes: checked by a verifier written here from the specs alone
(c2sp.org/signed-note, c2sp.org/tlog-checkpoint), and hostile notes refused by our parser."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from tools.tlog import note

NAME = "pledgeproof.test/log"
ROOT = hashlib.sha256(b"root").digest()


@pytest.fixture(scope="module")
def private_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def key(private_key):
    return note.verifier_key(NAME, private_key)


def signed(private_key, size=42, root=ROOT, extensions=()):
    body = note.CheckpointBody(origin=NAME, size=size, root=root, extensions=extensions)
    return note.note_sign(body.text(), name=NAME, private_key=private_key)


def spec_verify(note_text: str, verifier: str) -> tuple[str, int, bytes]:
    """An independent reader of the specs: verifier key, signature line, checkpoint body."""
    name, key_id_hex, key_b64 = verifier.split("+", 2)  # base64 may hold "+"
    key_bytes = base64.b64decode(key_b64)
    assert key_bytes[0] == 0x01 and len(key_bytes) == 33
    assert hashlib.sha256(name.encode() + b"\n\x01" + key_bytes[1:]).digest()[:4].hex() == key_id_hex
    text, _, signatures = note_text.rpartition("\n\n")
    text += "\n"
    for line in signatures.splitlines():
        dash, signer, sig_b64 = line.split(" ")
        assert dash == "\u2014"
        sig = base64.b64decode(sig_b64)
        if signer == name and sig[:4].hex() == key_id_hex:
            Ed25519PublicKey.from_public_bytes(key_bytes[1:]).verify(sig[4:], text.encode())
            origin, size, root = text.splitlines()[:3]
            return origin, int(size), base64.b64decode(root)
    raise AssertionError("no signature by the key")


def test_a_signed_checkpoint_verifies_with_an_implementation_written_from_the_spec(private_key, key):
    text = signed(private_key)
    assert text.startswith(f"{NAME}\n42\n{base64.b64encode(ROOT).decode()}\n\n\u2014 {NAME} ")
    assert spec_verify(text, str(key)) == (NAME, 42, ROOT)
    assert note.checkpoint_open(text, key) == note.CheckpointBody(NAME, 42, ROOT)


def test_the_verifier_key_string_is_name_key_id_and_typed_public_key(private_key, key):
    public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    expected_id = hashlib.sha256(NAME.encode() + b"\n" + b"\x01" + public).digest()[:4]
    typed = base64.b64encode(b"\x01" + public).decode()
    assert str(key) == f"{NAME}+{expected_id.hex()}+{typed}"
    assert str(note.VerifierKey.parse(str(key))) == str(key)


def test_signatures_by_other_keys_are_ignored_and_one_by_ours_is_enough(private_key, key):
    other = Ed25519PrivateKey.generate()
    text = signed(private_key)
    cosigned = (
        text
        + note.note_sign(text.split("\n\n")[0] + "\n", name="witness.example/w1", private_key=other).split(
            "\n\n"
        )[1]
    )
    assert note.checkpoint_open(cosigned, key).size == 42
    only_other = note.note_sign(text.split("\n\n")[0] + "\n", name=NAME, private_key=other)
    with pytest.raises(note.NoteError, match="no signature by the log"):
        note.checkpoint_open(only_other, key)


def test_a_checkpoint_with_an_edited_size_or_root_is_refused(private_key, key):
    text = signed(private_key)
    for forged in (
        text.replace("\n42\n", "\n43\n"),
        text.replace(base64.b64encode(ROOT).decode(), base64.b64encode(bytes(32)).decode()),
    ):
        with pytest.raises(note.NoteError, match="does not verify"):
            note.checkpoint_open(forged, key)


def _resign(private_key, body_text):
    return note.note_sign(body_text, name=NAME, private_key=private_key)


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda t: t.encode("utf-8").replace(b"\xe2\x80\x94", b"\xff\xfe\x94"), "not UTF-8"),
        (lambda t: t.replace("\u2014 ", "- "), "em dash"),
        (lambda t: t[:-10] + "!!!!!!!!!\n", "base64"),
        (lambda t: t.rstrip("\n"), "newline"),
        (lambda t: t.replace("\n\n", "\n"), "signature block"),
        (lambda t: t + "\u2014 extra\n", "reads"),
        (lambda t: t + "trailing text\n", "em dash"),
        (lambda t: t.replace("\n42\n", "\n4\t2\n"), "control characters"),
        (lambda t: t + ("\u2014 x AAAAAAAA\n" * 100), "too many"),
        (lambda t: t + " " * (70 * 1024), "too large"),
        (lambda t: t.replace(f"\u2014 {NAME} ", f"\u2014 {NAME}  "), "reads"),
    ],
)
def test_hostile_notes_are_refused(private_key, key, mangle, message):
    with pytest.raises(note.NoteError, match=message):
        note.checkpoint_open(mangle(signed(private_key)), key)


def test_a_wrong_key_id_under_our_name_is_ignored_so_the_note_is_refused(private_key, key):
    text = signed(private_key)
    signature = base64.b64decode(text.rsplit(" ", 1)[1])
    forged = (
        text.rsplit(" ", 1)[0] + " " + base64.b64encode(b"\x00\x00\x00\x00" + signature[4:]).decode() + "\n"
    )
    with pytest.raises(note.NoteError, match="no signature by the log"):
        note.checkpoint_open(forged, key)


@pytest.mark.parametrize(
    "body, message",
    [
        (f"{NAME}\n{2**63}\n{base64.b64encode(ROOT).decode()}\n", "tree size"),
        (f"{NAME}\n{'9' * 400}\n{base64.b64encode(ROOT).decode()}\n", "tree size"),
        (f"{NAME}\n-1\n{base64.b64encode(ROOT).decode()}\n", "tree size"),
        (f"{NAME}\n042\n{base64.b64encode(ROOT).decode()}\n", "tree size"),
        (f"{NAME}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n", "32 bytes"),
        (f"{NAME}\n42\nnot base64\n", "base64"),
        (f"{NAME}\n42\n", "three"),
        (f"other.example/log\n42\n{base64.b64encode(ROOT).decode()}\n", "is for the log"),
    ],
)
def test_signed_but_malformed_checkpoint_bodies_are_refused(private_key, key, body, message):
    with pytest.raises(note.NoteError, match=message):
        note.checkpoint_open(_resign(private_key, body), key)


def test_extension_lines_are_kept_and_signed(private_key, key):
    text = signed(private_key, extensions=("ext one",))
    assert note.checkpoint_open(text, key).extensions == ("ext one",)


@pytest.mark.parametrize(
    "verifier",
    [
        "",
        "name+00000000",
        "name+zz+AQ==",
        "na me+00000000+AQ==",
        "name+00000000+!!",
        "name+00000000+" + "A" * 44,
    ],
)
def test_malformed_verifier_keys_are_refused(verifier):
    with pytest.raises(note.NoteError):
        note.VerifierKey.parse(verifier)


def test_a_verifier_key_whose_id_does_not_match_is_refused(key):
    name, key_id, public = str(key).split("+", 2)
    with pytest.raises(note.NoteError, match="id does not match"):
        note.VerifierKey.parse(f"{name}+{'0' * 8 if key_id != '0' * 8 else '1' * 8}+{public}")


@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_arbitrary_bytes_are_refused_with_a_note_error_never_another_exception(data):
    key = note.verifier_key(NAME, Ed25519PrivateKey.from_private_bytes(bytes(32)))
    with pytest.raises(note.NoteError):
        note.checkpoint_open(data, key)


def test_a_verifier_key_whose_base64_holds_a_plus_sign_parses():
    seeds = (bytes([i]) * 32 for i in range(256))
    private = next(
        key
        for key in map(Ed25519PrivateKey.from_private_bytes, seeds)
        if "+" in str(note.verifier_key(NAME, key)).split("+", 2)[2]
    )
    key = note.VerifierKey.parse(str(note.verifier_key(NAME, private)))
    assert note.checkpoint_open(signed(private), key).size == 42
