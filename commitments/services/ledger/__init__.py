"""The append-only, hash-chained ledger: appending (append.py) and verifying (verify.py)."""

from commitments.services.ledger.append import GENESIS_HASH, canonical_json, chain_hash, ledger_append
from commitments.services.ledger.verify import LedgerVerification, ledger_verify

__all__ = [
    "GENESIS_HASH",
    "LedgerVerification",
    "canonical_json",
    "chain_hash",
    "ledger_append",
    "ledger_verify",
]
