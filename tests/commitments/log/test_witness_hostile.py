"""The witness against a hostile or broken log: every bad answer is a WitnessError naming it,
never another exception, and nothing is saved."""

import pytest

from commitments.services.ledger import ledger_append
from commitments.services.ledger.checkpoints import checkpoint_sign, log_verifier_key
from tools.tlog.witness import WitnessError, witness_check

pytestmark = pytest.mark.django_db

PREFIX = "http://log.test/log"


@pytest.fixture
def log(client):
    for number in range(5):
        ledger_append(event="test.log", subject=("test.n", number), actor=None, data={})
    checkpoint_sign()
    overrides = {}

    def fetch(url, limit):
        path = url.removeprefix("http://log.test")
        if path in overrides:
            return overrides[path]
        response = client.get(path)
        if response.status_code != 200:
            raise WitnessError(f"{url} answered {response.status_code}")
        return response.content[: limit + 1]

    fetch.overrides = overrides
    return fetch


def check(tmp_path, fetch):
    return witness_check(PREFIX, tmp_path, key=str(log_verifier_key()), fetch=fetch)


def test_the_honest_log_passes_with_an_injected_fetch(tmp_path, log):
    assert check(tmp_path, log).current.size == 5
    assert (tmp_path / "checkpoint").exists()


@pytest.mark.parametrize(
    "path, body, message",
    [
        ("/log/checkpoint", b"\xff\xfe not a note", "checkpoint does not verify"),
        ("/log/checkpoint", b"", "checkpoint does not verify"),
        ("/log/tile/0/000.p/5", b"\x00" * 32 * 4, "not 5 hashes"),
        ("/log/tile/0/000.p/5", b"\x00" * 32 * 5, "tiles give another root"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_saved(tmp_path, log, path, body, message):
    log.overrides[path] = body
    with pytest.raises(WitnessError, match=message):
        check(tmp_path, log)
    assert not (tmp_path / "checkpoint").exists()


def test_a_saved_checkpoint_that_was_edited_is_refused(tmp_path, log):
    check(tmp_path, log)
    (tmp_path / "checkpoint").write_text((tmp_path / "checkpoint").read_text().replace("\n5\n", "\n4\n"))
    with pytest.raises(WitnessError, match="saved checkpoint .* does not verify"):
        check(tmp_path, log)


def test_a_key_other_than_the_saved_one_is_refused(tmp_path, log):
    check(tmp_path, log)
    other = "pledgeproof.test/log+4a50ec4c+AU3C3jgi4/ZrjNjkm+znPoY6wTBe8ZPPADiw1WkSpjw+"
    with pytest.raises(WitnessError, match="not the one saved"):
        witness_check(PREFIX, tmp_path, key=other, fetch=log)


def test_without_a_key_the_first_run_trusts_the_published_one_and_keeps_it(tmp_path, log):
    witness_check(PREFIX, tmp_path, fetch=log)
    assert (tmp_path / "key").read_text().strip() == str(log_verifier_key())
