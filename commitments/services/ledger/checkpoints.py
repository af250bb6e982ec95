"""The log's key and its signed checkpoints (c2sp.org/tlog-checkpoint in a c2sp.org/signed-note).

`checkpoint_sign` signs the current tree head and stores the note; it is what the periodic task
and, after each state change, the outbox call. It never signs a head that does not extend the
last one it signed: a log that did would contradict its own witnesses.
"""

from __future__ import annotations

import os
from contextlib import closing
from itertools import zip_longest
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from commitments.models import Checkpoint, LedgerEntry, LedgerHead, MerkleNode
from commitments.services.ledger import tree
from tools.tlog import merkle, note


class LogKeyMissing(ImproperlyConfigured):
    pass


class LogInconsistent(RuntimeError):
    """The stored tree no longer extends the last signed checkpoint, or disagrees with the ledger."""


def log_origin() -> str:
    return settings.PLEDGEPROOF_LOG_ORIGIN


def log_key_create(path: Path | None = None) -> Path:
    """Write a new Ed25519 key (PKCS#8 PEM, owner-only) unless one exists; returns its path."""
    path = Path(path or settings.PLEDGEPROOF_LOG_KEY)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return path


def log_private_key() -> Ed25519PrivateKey:
    path = Path(settings.PLEDGEPROOF_LOG_KEY)
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise LogKeyMissing(f"No log key at {path}: run `manage.py init_signing_key`.") from None
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"PLEDGEPROOF_LOG_KEY ({path}) is not an unencrypted PEM key: {exc}"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"PLEDGEPROOF_LOG_KEY ({path}) is not an Ed25519 key.")
    return key


def log_verifier_key() -> note.VerifierKey:
    """What witnesses and verifiers pin: published at /log/key."""
    return note.verifier_key(log_origin(), log_private_key())


@transaction.atomic
def checkpoint_sign() -> Checkpoint:
    """Sign and store a checkpoint of the current tree; the latest one if the tree has not grown.

    Before signing, the stored tree must prove consistent with the last checkpoint, and the new
    leaves must be the hashes of the entries appended since; otherwise LogInconsistent, and
    nothing is signed.
    """
    head, _ = LedgerHead.objects.select_for_update().get_or_create(id=1)
    latest = Checkpoint.objects.order_by("-size").first()
    if latest is not None and latest.size == head.size:
        return latest
    if latest is not None and latest.size > head.size:
        raise LogInconsistent(
            f"the ledger has {head.size} entries, fewer than the checkpoint at {latest.size}"
        )
    old_size = latest.size if latest else 0
    try:
        root = tree.tree_root(head.size)
        if latest is not None:
            merkle.verify_consistency(
                old_size=latest.size,
                new_size=head.size,
                old_root=bytes(latest.root),
                new_root=root,
                proof=tree.tree_consistency_proof(old_size=latest.size, new_size=head.size),
            )
    except (tree.TreeIncomplete, merkle.ProofError) as exc:
        raise LogInconsistent(f"the tree does not extend the checkpoint at size {old_size}: {exc}") from None
    _check_new_leaves(old_size, head.size)
    body = note.CheckpointBody(origin=log_origin(), size=head.size, root=root)
    signed = note.note_sign(body.text(), name=log_origin(), private_key=log_private_key())
    return Checkpoint.objects.create(size=head.size, root=root, note=signed)


def _check_new_leaves(old_size: int, new_size: int) -> None:
    entries = LedgerEntry.objects.filter(sequence__gt=old_size, sequence__lte=new_size).order_by("sequence")
    leaves = MerkleNode.objects.filter(level=0, index__gte=old_size, index__lt=new_size).order_by("index")
    entry_rows = entries.values_list("sequence", "entry_hash").iterator(chunk_size=5000)
    leaf_rows = leaves.values_list("index", "hash").iterator(chunk_size=5000)
    # Closed however this ends: a PostgreSQL server-side cursor left open outlives the transaction.
    with closing(entry_rows), closing(leaf_rows):
        _compare_leaves(zip_longest(entry_rows, leaf_rows), old_size, new_size)


def _compare_leaves(pairs, old_size: int, new_size: int) -> None:
    expected = old_size
    for entry, leaf in pairs:
        expected += 1
        if entry is None or leaf is None or entry[0] != expected or leaf[0] != expected - 1:
            raise LogInconsistent(
                f"the tree's leaves and the ledger's entries differ in number after {expected - 1}"
            )
        if merkle.leaf_hash(bytes.fromhex(entry[1])) != bytes(leaf[1]):
            raise LogInconsistent(f"leaf {expected - 1} of the tree is not the hash of entry {expected}")
    if expected != new_size:
        raise LogInconsistent(f"the ledger's head says {new_size} entries, the table holds {expected}")


def checkpoint_latest() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()
