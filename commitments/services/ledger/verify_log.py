"""The transparency log's part of verify_ledger: the entries against the Merkle tree, the latest
signed checkpoint, and a checkpoint someone saved earlier.

The chain check (verify.py) shows the entries link up; it cannot show they are the entries the
platform had before: whoever rewrites one can recompute every later hash and the head row. A
signed checkpoint that was published (and that witnesses may have saved) fixes the root of the
first `size` entries, so this check recomputes, from the entries alone, in one pass with
O(log n) memory:

1. the root of the first `size` entries, which must be the latest checkpoint's root (and the
   ledger must hold at least `size` entries: removing the newest ones shows here);
2. the root of all entries, which must be the root the stored tree gives (what /log/ serves);
3. the checkpoint's signature, with the log's key.

Someone who can also rewrite the platform's own checkpoints (holding the log key, or deleting
the newest ones after a truncation) passes these. A checkpoint saved outside the platform
(`verify_ledger --checkpoint FILE`, e.g. what `manage.py witness` keeps) does not change with it:

4. the root of the first `saved.size` entries (computed in the same pass) must be its root.
   When it is not, a second pass compares the entries with every checkpoint the platform
   stored up to that size, to say where the change lies: after the last one that still
   matches, and no later than the first one that no longer does (only checkpoints whose
   signature verifies count; someone who re-signed history with the log key could narrow this
   wrongly, never hide the mismatch). An intact ledger is read once, however many checkpoints
   were stored;
5. the stored tree must prove consistent with it (RFC 6962 consistency proof): the tree /log/
   serves has to extend what the witness saw.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from django.core.exceptions import ImproperlyConfigured

from commitments.models import Checkpoint, LedgerEntry
from commitments.services.ledger import tree
from commitments.services.ledger.checkpoints import checkpoint_latest, log_verifier_key
from tools.tlog import merkle, note

T = TypeVar("T")


@dataclass(frozen=True)
class LogVerification:
    size: int
    root: bytes
    checkpoint_size: int | None = None
    problems: tuple[str, ...] = ()
    saved_size: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


class _Frontier:
    """The right edge of the Merkle tree of the entries read so far: the root of one complete
    subtree per bit of their count, which is all the root needs."""

    def __init__(self) -> None:
        self.count = 0
        self.stack: list[tuple[int, bytes]] = []

    def add(self, entry_hash: str) -> None:
        self.count += 1
        level, value = 0, merkle.leaf_hash(bytes.fromhex(entry_hash))
        while self.stack and self.stack[-1][0] == level:
            value = merkle.node_hash(self.stack.pop()[1], value)
            level += 1
        self.stack.append((level, value))

    def root(self) -> bytes:
        return merkle.fold([value for _, value in self.stack])


def ledger_roots_at(
    points: Iterable[tuple[int, T]], *, batch_size: int = 5000
) -> Iterator[tuple[int, bytes, T]]:
    """(size, root of the first `size` entries, tag) for each (size, tag) of `points`, which come
    in ascending size; one pass over the entry hashes, read only as far as the largest size.

    A point beyond the last entry is not answered: the ledger holds fewer entries than it asks.
    """
    frontier = _Frontier()
    points = iter(points)
    point = next(points, None)
    hashes = (
        LedgerEntry.objects.order_by("sequence")
        .values_list("entry_hash", flat=True)
        .iterator(chunk_size=batch_size)
    )
    try:
        while point is not None:
            if point[0] < frontier.count:
                raise ValueError("ledger_roots_at needs its sizes in ascending order")
            if point[0] == frontier.count:
                yield point[0], frontier.root(), point[1]
                point = next(points, None)
                continue
            entry_hash = next(hashes, None)
            if entry_hash is None:
                return
            frontier.add(entry_hash)
    finally:
        hashes.close()  # read no further: PostgreSQL's server-side cursor closes now, not when collected


def ledger_roots(sizes: set[int], *, batch_size: int = 5000) -> dict[int, bytes]:
    """The Merkle root of the first `size` entries, for each size asked that the ledger reaches."""
    points = ((size, None) for size in sorted(sizes))
    return {size: root for size, root, _ in ledger_roots_at(points, batch_size=batch_size)}


class _Stored(NamedTuple):
    """A checkpoint the platform stored, as its row says (its note is read and verified only
    when it is used to place a divergence)."""

    size: int
    root: bytes


def _stored_checkpoints(up_to: int, page: int = 5000) -> Iterator[tuple[int, _Stored]]:
    """The stored checkpoints of size at most `up_to`, smallest first, a page at a time."""
    after = -1
    while True:
        rows = list(
            Checkpoint.objects.filter(size__gt=after, size__lte=up_to)
            .order_by("size")
            .values_list("size", "root")[:page]
        )
        for size, root in rows:
            yield size, _Stored(size, bytes(root))
        if len(rows) < page:
            return
        after = rows[-1][0]


class _Divergence:
    """The stored checkpoints up to the saved one's size, sorted by whether the entries still
    hash to their root: the newest few that do and the first few that do not are kept."""

    KEEP = 32

    def __init__(self) -> None:
        self.matching: deque[_Stored] = deque(maxlen=self.KEEP)
        self.differing: list[_Stored] = []

    def add(self, stored: _Stored, root: bytes) -> bool:
        """Sort one in; False once enough that differ are kept for the later ones not to matter."""
        if stored.root == root:
            self.matching.append(stored)
        else:
            self.differing.append(stored)
        return len(self.differing) < self.KEEP

    def locate(self, saved_size: int) -> tuple[int, int, bool, list[_Stored]]:
        """(last size that matches, first size that does not, whether the log signed the entries'
        root at the saved size too, the stored checkpoints ignored because they do not verify)."""
        try:
            key = log_verifier_key()
        except ImproperlyConfigured:
            key = None
        checked: dict[_Stored, bool] = {}

        def verifies(stored: _Stored) -> bool:
            if stored not in checked:
                checked[stored] = key is not None and _signed_as_stored(stored, key)
            return checked[stored]

        upper = next((s.size for s in self.differing if verifies(s)), saved_size)
        lower = next((s.size for s in reversed(self.matching) if s.size < upper and verifies(s)), 0)
        forked = any(s.size == saved_size and verifies(s) for s in self.matching)
        return lower, upper, forked, sorted(stored for stored, good in checked.items() if not good)


def _signed_as_stored(stored: _Stored, key: note.VerifierKey) -> bool:
    text = Checkpoint.objects.values_list("note", flat=True).get(size=stored.size)
    try:
        body = note.checkpoint_open(text, key)
    except note.NoteError:
        return False
    return (body.size, body.root) == (stored.size, stored.root)


def ledger_verify_log(*, saved: note.CheckpointBody | None = None) -> LogVerification:
    """Checks 1 to 3, and 4 and 5 when a checkpoint saved earlier (already verified) is given."""
    size = tree.tree_size()
    latest = checkpoint_latest()
    wanted = [(size, "head")]
    if latest is not None:
        wanted.append((latest.size, "latest"))
    if saved is not None:
        wanted.append((saved.size, "saved"))
    roots = {what: root for _, root, what in ledger_roots_at(sorted(wanted))}

    root = roots.get("head", b"")
    problems = []
    if "head" not in roots:
        problems.append(f"The ledger holds fewer entries than its head's {size}.")
    else:
        problems += _latest_problems(latest, roots, size)
        problems += _tree_problems(size, root)
    if saved is not None:
        problems += _saved_problems(saved, roots.get("saved"), size)
    return LogVerification(
        size, root, latest.size if latest else None, tuple(problems), saved.size if saved else None
    )


def _latest_problems(checkpoint: Checkpoint | None, roots: dict[str, bytes], size: int) -> list[str]:
    if checkpoint is None:
        return []
    signed = bytes(checkpoint.root)
    if checkpoint.size > size:
        return [
            f"The checkpoint signed at size {checkpoint.size} covers more entries than the ledger's "
            f"{size}: entries were removed."
        ]
    if roots["latest"] != signed:
        return [
            f"The first {checkpoint.size} entries hash to the root {roots['latest'].hex()}, but "
            f"the checkpoint signed at that size says {signed.hex()}: history was rewritten."
        ]
    try:
        body = note.checkpoint_open(checkpoint.note, log_verifier_key())
    except (note.NoteError, ImproperlyConfigured) as exc:
        return [f"The checkpoint at size {checkpoint.size} does not verify: {exc}"]
    if (body.size, body.root) != (checkpoint.size, signed):
        return [f"The checkpoint at size {checkpoint.size} signs another size or root."]
    return []


def _tree_problems(size: int, root: bytes) -> list[str]:
    try:
        stored = tree.tree_root(size)
    except tree.TreeIncomplete as exc:
        return [f"The Merkle tree is incomplete: {exc}."]
    if stored != root:
        return [
            f"The stored Merkle tree's root at size {size} is {stored.hex()}, the entries hash to "
            f"{root.hex()}: the tree served at /log/ disagrees with the ledger."
        ]
    return []


def _saved_problems(saved: note.CheckpointBody, root: bytes | None, size: int) -> list[str]:
    if root is None:
        return [
            f"The checkpoint saved at size {saved.size:,} covers more entries than the ledger holds "
            f"(its head says {size:,}): entries were removed."
        ]
    problems = []
    if root != saved.root:
        problems.append(_divergence_text(saved.size))
    if saved.size <= size:
        try:
            merkle.verify_consistency(
                old_size=saved.size,
                new_size=size,
                old_root=saved.root,
                new_root=tree.tree_root(size),
                proof=tree.tree_consistency_proof(old_size=saved.size, new_size=size),
            )
        except (tree.TreeIncomplete, merkle.ProofError) as exc:
            problems.append(
                f"The Merkle tree served at /log/ (size {size:,}) does not extend the checkpoint saved at "
                f"size {saved.size:,}: {exc}."
            )
    return problems


def _divergence_text(saved_size: int) -> str:
    """Where the entries stopped matching, placed by a second pass over them (made only when they
    no longer match the saved checkpoint, so an intact ledger costs one pass, however many
    checkpoints the platform stored)."""
    divergence = _Divergence()
    with closing(ledger_roots_at(_stored_checkpoints(saved_size))) as roots:
        for _, root, stored in roots:
            if not divergence.add(stored, root):
                break
    lower, upper, forked, ignored = divergence.locate(saved_size)
    text = (
        f"The first {saved_size:,} entries no longer hash to the root of the checkpoint saved at size "
        f"{saved_size:,}: history was rewritten"
    )
    if forked:
        text += (
            f"; the log's key also signed a checkpoint at size {saved_size:,} with the root they hash to "
            "now, so it has signed two different histories"
        )
    if lower:
        text += f"; the entries up to {lower:,} still match the checkpoint the log signed at that size"
    else:
        text += "; no checkpoint the log signed before it still matches the entries"
    if upper < saved_size:
        text += f", its checkpoint at size {upper:,} no longer does"
    where = f"entry {upper:,}" if lower + 1 == upper else f"entries {lower + 1:,}\u2013{upper:,}"
    text += f", so the change lies in {where}."
    if ignored:
        sizes = ", ".join(f"{stored.size:,}" for stored in ignored)
        text += f" (Ignored: stored checkpoints whose signature does not verify, at sizes {sizes}.)"
    return text
