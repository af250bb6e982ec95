"""The transparency log as a client sees it, with no Django: RFC 6962/9162 Merkle hashing and
proofs (merkle.py), C2SP signed notes and checkpoints (note.py), the tlog-tiles layout (tiles.py)
and a witness (witness.py).

The platform (commitments/services/ledger/) and the standalone verifier (tools/verify_report.py)
import the same modules, so what an auditor reads here is what the server runs. They need only
the Python standard library and `cryptography` (which pyHanko already installs).
"""
