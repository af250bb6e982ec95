"""GET /api/v1/open-data/ and /api/v1/log/checkpoint/: the open-data index with each file's address
and SHA-256, and the log's signed checkpoint, to anyone without a token."""

import hashlib

import pytest
from django.urls import reverse

from reports.opendata import exports
from reports.opendata.services import opendata_rebuild
from tools.tlog import note

pytestmark = pytest.mark.django_db

OPEN_DATA = "/api/v1/open-data/"
CHECKPOINT = "/api/v1/log/checkpoint/"


def test_the_index_lists_each_published_period_with_its_files_before_they_are_built(api_world):
    response = api_world.client("anonymous").get(OPEN_DATA)

    assert response.status_code == 200
    (dataset,) = response.json()["results"]  # only 2022 has a published report
    assert (dataset["framework"]["key"], dataset["period"]["label"]) == ("tiny", "2022")
    assert dataset["url"] == "http://testserver" + reverse("data:period", args=["tiny", "2022"])
    assert [f["name"] for f in dataset["files"]] == exports.FILE_NAMES
    assert all(f["sha256"] is None and f["size_bytes"] is None for f in dataset["files"])
    assert dataset["attribution"] == exports.attribution(api_world.periods["published"])


def test_once_built_each_file_is_listed_with_the_sha256_of_the_bytes_it_serves(api_world):
    opendata_rebuild(api_world.periods["published"].pk)
    client = api_world.client("anonymous")

    (dataset,) = client.get(OPEN_DATA).json()["results"]

    for listed in dataset["files"]:
        served = client.get(listed["url"])
        content = b"".join(served.streaming_content)
        assert listed["sha256"] == hashlib.sha256(content).hexdigest(), listed["name"]
        assert listed["size_bytes"] == len(content)
        assert served["Content-Type"] == listed["media_type"]


def test_the_index_matches_checksums_txt(api_world):
    opendata_rebuild(api_world.periods["published"].pk)
    client = api_world.client("anonymous")

    (dataset,) = client.get(OPEN_DATA).json()["results"]

    checksums = next(f for f in dataset["files"] if f["name"] == "checksums.txt")
    lines = b"".join(client.get(checksums["url"]).streaming_content).decode().splitlines()
    listed = {f["name"]: f["sha256"] for f in dataset["files"] if f["name"] != "checksums.txt"}
    assert {line.split()[1].lstrip("*"): line.split()[0] for line in lines} == listed


@pytest.mark.parametrize(
    ("query", "found"),
    [({"framework": "tiny"}, 1), ({"period": "2022"}, 1), ({"period": "2023"}, 0), ({"framework": "sbd"}, 0)],
)
def test_the_index_filters_by_framework_and_period(api_world, query, found):
    assert len(api_world.client("anonymous").get(OPEN_DATA, query).json()["results"]) == found


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"year": "2022"}, "year"),
        ({"period": "nul\x00"}, "period"),
    ],
)
def test_a_bad_query_parameter_of_the_index_is_a_400_that_names_it(api_world, query, parameter):
    response = api_world.client("anonymous").get(OPEN_DATA, query)

    assert response.status_code == 400
    assert [e["parameter"] for e in response.json()["errors"]] == [parameter]


def test_a_made_up_cursor_is_a_400_not_a_server_error(api_world):
    response = api_world.client("anonymous").get(OPEN_DATA, {"cursor": "cD1ub3QtYS1kYXRl"})  # "p=not-a-date"

    assert response.status_code == 400


def test_the_index_reads_in_a_fixed_number_of_queries(api_world, django_assert_num_queries):
    opendata_rebuild(api_world.periods["published"].pk)
    # the periods, their stored data sets, their files
    with django_assert_num_queries(3):
        api_world.client("anonymous").get(OPEN_DATA)


# --- the log's checkpoint ----------------------------------------------------------------------


def test_the_checkpoint_is_the_bytes_of_log_checkpoint_with_its_fields(api_world, client):
    response = api_world.client("anonymous").get(CHECKPOINT)

    assert response.status_code == 200
    body = response.json()
    assert body["text"].encode() == client.get(reverse("log:checkpoint")).content
    key = note.VerifierKey.parse(client.get(reverse("log:key")).content.decode())
    signed = note.checkpoint_open(body["text"], key)  # as a witness checks it, with the pinned key
    assert (body["origin"], body["tree_size"], body["root"]) == (
        signed.origin,
        signed.size,
        signed.root.hex(),
    )
    assert body["tree_size"] == api_world.extra["public_checkpoint"].size
    assert body["verifier_key"] == str(key)
    assert body["checkpoint_url"] == "http://testserver" + reverse("log:checkpoint")


def test_the_checkpoint_is_the_latest_signed_not_a_new_one(api_world):
    from commitments.services.ledger import ledger_append

    ledger_append(event="test.log", subject=("test.thing", 1), actor=None, data={})

    body = api_world.client("anonymous").get(CHECKPOINT).json()

    assert body["tree_size"] == api_world.extra["public_checkpoint"].size


def test_the_checkpoint_refuses_query_parameters_it_does_not_read(api_world):
    response = api_world.client("anonymous").get(CHECKPOINT, {"size": "3"})

    assert response.status_code == 400
    assert [e["parameter"] for e in response.json()["errors"]] == ["size"]
