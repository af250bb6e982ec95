"""The append-only, hash-chained ledger: appending (append.py) and verifying it: the reference
check (verify.py) and a faster way to the same verdict (verify_fast.py).

The ledger is also a transparency log (issue 13): its Merkle tree (merkle.py, the hashing and
proofs; tree.py, the stored nodes), signed checkpoints (note.py, the C2SP formats;
checkpoints.py, the key and signing), the check of both in verify_ledger (verify_log.py) and a
witness (witness.py)."""

from commitments.services.ledger.append import (
    GENESIS_HASH,
    LedgerRecord,
    canonical_json,
    chain_hash,
    ledger_append,
    ledger_append_many,
)
from commitments.services.ledger.verify import LedgerVerification, ledger_verify
from commitments.services.ledger.verify_fast import ledger_verify_fast

__all__ = [
    "GENESIS_HASH",
    "LedgerRecord",
    "LedgerVerification",
    "canonical_json",
    "chain_hash",
    "ledger_append",
    "ledger_append_many",
    "ledger_verify",
    "ledger_verify_fast",
]
