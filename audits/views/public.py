"""The public attestation page (issue 14, item 5): what an auditor attested, for anyone to read.

Only signed attestations have a page; an engagement not yet attested has none, so an unknown id
and an unattested engagement are the same 404. A corrected attestation keeps its page, which
says what superseded it and why, as superseded publications do. Rendered like the other public
pages (reports.public.views.public_page): cached until the next publication or attestation.
"""

from django.http import Http404, HttpRequest
from django.template.loader import render_to_string

from audits.selectors import public_attestation
from reports.cache import public_cached
from reports.public.views import public_page


@public_page
def attestation_view(request: HttpRequest, attestation_id: int) -> tuple[str, str]:
    def build() -> tuple[str, str]:
        page = public_attestation(attestation_id)
        if page is None:
            raise Http404("No such attestation.")
        title = f"Attestation: {page.engagement.title}"
        # No request: the fragment is cached for everyone.
        return title, render_to_string("audits/public/attestation.html", {"title": title, "page": page})

    return public_cached("attestation", {"id": str(attestation_id)}, build)
