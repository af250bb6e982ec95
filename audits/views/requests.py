"""Evidence requests: what the auditor's item page shows of them (issue 14)."""


def requests_context(*, engagement, item, user) -> dict:
    """What templates/audits/item/_requests.html needs for this item (filled in by the requests area)."""
    return {}
