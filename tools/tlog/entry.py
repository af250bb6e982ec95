"""A ledger entry's hash, the link of Pledgeproof's hash chain; its leaf in the log is this hash.

Written once here so that the platform (commitments/services/ledger/append.py, verify.py) and
the standalone verifier compute it the same way.
"""

from __future__ import annotations

import hashlib

GENESIS_HASH = "0" * 64  # the previous hash of entry 1


def chain_hash(prev_hash: str, payload: str | bytes) -> str:
    """An entry's hash: SHA-256 of the previous entry's hash (its 32 bytes) and the payload's UTF-8.

    The verifier hands over a payload as the bytes the database stored, which are the same
    bytes unless someone wrote text that is not UTF-8.
    """
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    return hashlib.sha256(bytes.fromhex(prev_hash) + data).hexdigest()
