import pytest

pytestmark = pytest.mark.django_db


def test_a_missing_page_shows_a_finished_404_page(client, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_forbidden_page_shows_a_finished_403_page(client, settings, officer):
    settings.DEBUG = False
    client.force_login(officer)
    response = client.get("/review/")
    assert response.status_code == 403
    assert "You cannot do that here" in response.content.decode()


def test_the_start_page_is_the_public_matrix(client, framework, period, org):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tiny framework tiny" in body
    assert "Northwind Models" in body
