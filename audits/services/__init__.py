"""Every change to an audit, one service function each (issue 14), by area:
engagements.py (creating engagements, independence declarations), requests.py (evidence
requests and their answers), work.py (workpapers, findings, attestations), follow_up.py (the
organisation following up a corrective action in its next report)."""
