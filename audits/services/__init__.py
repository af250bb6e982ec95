"""Every change to an audit, one service function each (issue 14), by area:
engagements.py (creating engagements, independence declarations), requests.py (evidence
requests and their answers), work.py (workpapers, findings, attestations)."""
