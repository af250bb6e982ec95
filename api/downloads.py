"""The base of every endpoint that answers with a file (evidence, a signed PDF, an evidence request's
answer): the file is what it is whatever the client's Accept header asks for (`application/pdf`,
`application/octet-stream`, `*/*`), so content negotiation never answers 406; a problem is JSON."""

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView


class AnyAccept(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class FileDownloadApi(APIView):
    renderer_classes = [JSONRenderer]  # only ever renders a problem
    content_negotiation_class = AnyAccept
