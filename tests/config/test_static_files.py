"""With DEBUG off, static files are served by WhiteNoise under hashed names, compressed, cached for a year.

The rest of the suite uses the plain storage (config.test_settings); here the files are collected
with the production storage, as `manage.py collectstatic` does on a server.
"""

import gzip
import re

import pytest
from django.conf import settings
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

PRODUCTION_STATIC = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
HASHED_CSS = re.compile(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"')


@pytest.fixture
def production_static(collected_static):
    with override_settings(STATIC_ROOT=collected_static, STORAGES=PRODUCTION_STATIC, DEBUG=False):
        yield collected_static


def test_pages_link_hashed_static_files(production_static):
    page = Client().get("/methodology/").content.decode()

    assert HASHED_CSS.search(page)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert len(links) >= 3
    assert all(re.search(r"\.[0-9a-f]{12}\.\w+$", link) for link in links), links


def test_a_hashed_file_is_served_compressed_and_cached_for_a_year(production_static):
    client = Client()
    css_url = HASHED_CSS.search(client.get("/methodology/").content.decode()).group(1)
    original = (settings.BASE_DIR / "static" / "css" / "app.css").read_bytes()

    plain = client.get(css_url)
    zipped = client.get(css_url, HTTP_ACCEPT_ENCODING="gzip")

    assert plain.status_code == 200
    assert plain["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in plain["Cache-Control"]
    assert "immutable" in plain["Cache-Control"]
    assert b"".join(plain.streaming_content) == original
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(b"".join(zipped.streaming_content)) == original


def test_a_file_under_its_plain_name_is_cached_only_briefly(production_static):
    response = Client().get("/static/css/app.css")

    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
    assert "max-age=60" in response["Cache-Control"]


def test_an_unknown_static_file_is_a_404(production_static):
    assert Client().get("/static/css/no-such-file.css").status_code == 404
