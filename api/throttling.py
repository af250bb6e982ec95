"""Per-token rate limits: each token (or, for the browsable API, each signed-in person; for
anonymous callers of the public endpoints, each address) has its own bucket.

The counts live in the "counters" cache (config/cache.py: the shared cache while it answers, this
process's memory while it does not), so a Redis outage neither lifts the limits nor refuses
everyone. The rates are settings (API_RATE_TOKEN, API_RATE_ANONYMOUS).
"""

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from accounts.throttles import client_network
from api.models import ApiToken


class ApiRateThrottle(SimpleRateThrottle):
    scope = "api"

    @property
    def cache(self):
        return caches["counters"]  # looked up each time: settings (and tests) may change the caches

    def get_rate(self) -> str:
        return settings.API_RATE_TOKEN

    def allow_request(self, request, view):
        self.rate = settings.API_RATE_TOKEN if request.user.is_authenticated else settings.API_RATE_ANONYMOUS
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            who = f"token:{request.auth.pk}"
        elif request.user.is_authenticated:
            who = f"user:{request.user.pk}"
        else:
            who = f"address:{client_network(request)}"
        return f"api-rate:{who}"
