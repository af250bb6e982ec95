"""Behind TRUSTED_PROXIES the client's address comes from X-Forwarded-For, and from nowhere else."""

import contextlib
import ipaddress

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from config.proxy import client_address, proxy_networks

pytestmark = pytest.mark.django_db

PROXIES = proxy_networks(["10.0.0.0/8", "2001:db8:ffff::/48"])


@pytest.mark.parametrize(
    "remote,forwarded,expected",
    [
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),  # one proxy
        ("10.0.0.5", "203.0.113.7, 10.0.0.9", "203.0.113.7"),  # two proxies
        ("10.0.0.5", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the client wrote the left one
        ("10.0.0.5", "  203.0.113.7  ", "203.0.113.7"),
        ("10.0.0.5", "2001:db8::1", "2001:db8::1"),
        ("2001:db8:ffff::2", "203.0.113.7", "203.0.113.7"),
        ("10.0.0.5", "10.0.0.7", "10.0.0.7"),  # only proxies: the farthest one
        ("203.0.113.50", "198.51.100.1", "203.0.113.50"),  # not from a proxy: the header is ignored
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", "not-an-address", "10.0.0.5"),
        ("10.0.0.5", "198.51.100.1, garbage, 10.0.0.9", "10.0.0.9"),
        ("10.0.0.5", "203.0.113.7:4431", "10.0.0.5"),  # with a port: not an address
        ("10.0.0.5", "203.0.113.7\n", "203.0.113.7"),
        ("10.0.0.5", "２０３.0.113.7", "10.0.0.5"),  # full-width digits
        ("10.0.0.5", ", , ,", "10.0.0.5"),
        ("", "203.0.113.7", ""),
    ],
)
def test_the_client_is_the_first_address_from_the_right_that_is_not_a_proxy(remote, forwarded, expected):
    assert client_address(remote, forwarded, PROXIES) == expected


def test_a_padded_header_is_read_only_so_far():
    forwarded = ", ".join(["198.51.100.1"] + ["10.0.0.1"] * 10_000)
    assert client_address("10.0.0.5", forwarded, PROXIES) == "10.0.0.1"


def test_with_no_trusted_proxies_the_header_is_ignored():
    assert client_address("10.0.0.5", "203.0.113.7", []) == "10.0.0.5"


@given(remote=st.sampled_from(["10.0.0.5", "203.0.113.50", "", "x"]), forwarded=st.text(max_size=300))
def test_the_address_is_always_the_peer_or_a_real_address_from_the_header(remote, forwarded):
    address = client_address(remote, forwarded, PROXIES)

    if address != remote:
        hops = set()
        for hop in forwarded.split(","):
            with contextlib.suppress(ValueError):
                hops.add(ipaddress.ip_address(hop.strip()))
        assert ipaddress.ip_address(address) in hops


def _spray(client: Client, count: int, **headers) -> list[int]:
    return [
        client.post(
            reverse("accounts:login"), {"username": f"t{n}@example.test", "password": "x"}, **headers
        ).status_code
        for n in range(count)
    ]


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"], SIGN_IN_FAILURES_PER_ADDRESS=3)
def test_behind_the_proxy_sign_in_limits_count_each_client_on_its_own():
    proxy = Client(REMOTE_ADDR="10.0.0.5")

    assert _spray(proxy, 4, HTTP_X_FORWARDED_FOR="203.0.113.7") == [200, 200, 200, 429]
    # Another client behind the same proxy is not paused by the first one's failures.
    assert _spray(proxy, 1, HTTP_X_FORWARDED_FOR="198.51.100.20") == [200]


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"], SIGN_IN_FAILURES_PER_ADDRESS=3)
def test_a_client_cannot_escape_the_limit_by_sending_its_own_header():
    direct = Client(REMOTE_ADDR="203.0.113.7")

    statuses = [
        direct.post(
            reverse("accounts:login"),
            {"username": f"t{n}@example.test", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]
