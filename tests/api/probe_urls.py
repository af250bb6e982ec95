"""The site's URLs plus a probe endpoint that writes, for the foundation's tests (parsers, problem
details, token scope, Idempotency-Key) before any area's endpoint exists to try them on. The probe
makes a read-only token named by the body, so that what it did can be counted."""

from django.urls import path
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.idempotency import idempotent
from api.models import ApiToken, TokenScope
from api.parsers import LimitedJSONParser
from api.serializers import StrictSerializer
from api.services import api_token_create
from config.urls import handler404, handler500  # noqa: F401  (the API answers them as problems)
from config.urls import urlpatterns as site


class ProbeApi(APIView):
    parser_classes = [LimitedJSONParser, MultiPartParser]

    class Input(StrictSerializer):
        name = serializers.CharField(max_length=100)
        count = serializers.IntegerField(required=False, min_value=0, max_value=1000)
        tags = serializers.ListField(child=serializers.CharField(max_length=20), required=False, max_length=5)
        file = serializers.FileField(required=False)

    @idempotent
    def post(self, request):
        body = self.Input(data=request.data)
        body.is_valid(raise_exception=True)
        issued = api_token_create(user=request.user, name=body.validated_data["name"], scope=TokenScope.READ)
        return Response(
            {"id": issued.token.pk, "name": issued.token.name, "made": ApiToken.objects.count()},
            status=201,
            headers={"Location": f"/probe/{issued.token.pk}"},
        )


urlpatterns = [*site, path("api/v1/probe/", ProbeApi.as_view())]
