"""The browsable API (HTML, for a signed-in person trying the API in a browser).

DRF's pages set style="" attributes throughout its templates; under the site's policy (styles
from our own files only) they would lose their layout. Their responses, and only theirs, also
allow inline styles: scripts stay limited to our own files, so nothing injected can run, and the
page shows data only as escaped JSON.
"""

from csp.constants import SELF, UNSAFE_INLINE
from rest_framework.renderers import BrowsableAPIRenderer


class BrowsableRenderer(BrowsableAPIRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response._csp_replace = {"style-src": [SELF, UNSAFE_INLINE]}  # read by django-csp's middleware
        return super().render(data, accepted_media_type, renderer_context)
