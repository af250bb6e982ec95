"""Workpapers, findings and attestation: what the auditor's item page shows of them (issue 14)."""


def work_context(*, engagement, item, user) -> dict:
    """What templates/audits/item/_work.html needs for this item (filled in by the work area)."""
    return {}
