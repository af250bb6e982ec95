"""The transparency log's part of verify_ledger: the entries against the Merkle tree and the
latest signed checkpoint.

The chain check (verify.py) shows the entries link up; it cannot show they are the entries the
platform had before: whoever rewrites one can recompute every later hash and the head row. A
signed checkpoint that was published (and that witnesses may have saved) fixes the root of the
first `size` entries, so this check recomputes, from the entries alone, in one pass with
O(log n) memory:

1. the root of the first `size` entries, which must be the latest checkpoint's root (and the
   ledger must hold at least `size` entries: removing the newest ones shows here);
2. the root of all entries, which must be the root the stored tree gives (what /log/ serves);
3. the checkpoint's signature, with the log's key.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from commitments.models import LedgerEntry, LedgerHead
from commitments.services.ledger import tree
from commitments.services.ledger.checkpoints import checkpoint_latest, log_verifier_key
from tools.tlog import merkle, note


@dataclass(frozen=True)
class LogVerification:
    ok: bool
    size: int
    root: bytes
    checkpoint_size: int | None = None
    problem: str = ""


def _frontier_root(stack: list[tuple[int, bytes]]) -> bytes:
    return merkle.fold([value for _, value in stack])


def ledger_roots(sizes: set[int], *, batch_size: int = 5000) -> dict[int, bytes]:
    """The Merkle root of the first `size` entries, for each size asked, from the entry hashes.

    Keeps only the right frontier of the tree (one complete subtree per bit of the size).
    """
    roots = {size: merkle.EMPTY_ROOT for size in sizes if size == 0}
    stack: list[tuple[int, bytes]] = []
    hashes = (
        LedgerEntry.objects.order_by("sequence")
        .values_list("entry_hash", flat=True)
        .iterator(chunk_size=batch_size)
    )
    for count, entry_hash in enumerate(hashes, start=1):
        level, value = 0, merkle.leaf_hash(bytes.fromhex(entry_hash))
        while stack and stack[-1][0] == level:
            value = merkle.node_hash(stack.pop()[1], value)
            level += 1
        stack.append((level, value))
        if count in sizes:
            roots[count] = _frontier_root(stack)
    return roots


def ledger_verify_log() -> LogVerification:
    head = LedgerHead.objects.filter(id=1).first()
    size = head.size if head else 0
    checkpoint = checkpoint_latest()
    sizes = {size} | ({checkpoint.size} if checkpoint else set())
    roots = ledger_roots(sizes)
    if size not in roots:
        return LogVerification(
            False, size, b"", problem=f"The ledger holds fewer entries than its head's {size}."
        )
    root = roots[size]
    if checkpoint is not None:
        signed = bytes(checkpoint.root)
        found = LogVerification(False, size, root, checkpoint.size)
        if checkpoint.size > size:
            return _problem(
                found,
                f"The checkpoint signed at size {checkpoint.size} covers more entries than the ledger's "
                f"{size}: entries were removed.",
            )
        if roots[checkpoint.size] != signed:
            return _problem(
                found,
                f"The first {checkpoint.size} entries hash to the root {roots[checkpoint.size].hex()}, but "
                f"the checkpoint signed at that size says {signed.hex()}: history was rewritten.",
            )
        try:
            body = note.checkpoint_open(checkpoint.note, log_verifier_key())
        except (note.NoteError, ImproperlyConfigured) as exc:
            return _problem(found, f"The checkpoint at size {checkpoint.size} does not verify: {exc}")
        if (body.size, body.root) != (checkpoint.size, signed):
            return _problem(found, f"The checkpoint at size {checkpoint.size} signs another size or root.")
    try:
        stored = tree.tree_root(size)
    except tree.TreeIncomplete as exc:
        return LogVerification(False, size, root, problem=f"The Merkle tree is incomplete: {exc}.")
    if stored != root:
        return LogVerification(
            False,
            size,
            root,
            checkpoint.size if checkpoint else None,
            f"The stored Merkle tree's root at size {size} is {stored.hex()}, the entries hash to "
            f"{root.hex()}: the tree served at /log/ disagrees with the ledger.",
        )
    return LogVerification(True, size, root, checkpoint.size if checkpoint else None)


def _problem(found: LogVerification, problem: str) -> LogVerification:
    return LogVerification(False, found.size, found.root, found.checkpoint_size, problem)
