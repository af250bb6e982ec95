"""Small override for the test suite: fast hashing, private media folder, tasks in-process."""

import os
import tempfile
from pathlib import Path
from unittest import mock

# The suite runs the same configuration whatever the shell exports: the settings are read as on a
# developer's machine (DEBUG on: no HTTPS redirect, local host names, no key required), then the
# values below pin what the tests need. Only the import sees DEBUG=1; pytest-django runs the tests
# with DEBUG off, as production does.
with mock.patch.dict(os.environ, {"DEBUG": "1"}):
    from config.settings import *  # noqa: F403

DEBUG = False
# Long and random enough for Django's deploy check, and never used outside the tests.
SECRET_KEY = "pledgeproof-test-suite-only-key-7f3c9a1e5b2d8046-KpQ2vX9zL4mN8rT1wY6s"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="pledgeproof-test-media-"))
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# A throwaway signing key made once per test run (tests/conftest.py creates the files here).
PLEDGEPROOF_SIGNING_DIR = Path(tempfile.mkdtemp(prefix="pledgeproof-test-signing-"))
PLEDGEPROOF_SIGNING_KEY = PLEDGEPROOF_SIGNING_DIR / "signing-key.pem"
PLEDGEPROOF_SIGNING_CERT = PLEDGEPROOF_SIGNING_DIR / "signing-cert.pem"
PLEDGEPROOF_SIGNING_CHAIN = PLEDGEPROOF_SIGNING_DIR / "chain.pem"
PLEDGEPROOF_LOG_KEY = PLEDGEPROOF_SIGNING_DIR / "log-key.pem"
PLEDGEPROOF_LOG_ORIGIN = "pledgeproof.test/log"
PLEDGEPROOF_TSA_URL = ""
# Many tests upload to /verify/ from the same address; the limit has its own tests.
PDF_VERIFY_UPLOADS_PER_MINUTE = 10_000
# Likewise the API's rate limits (schemathesis alone sends thousands of requests);
# tests/api/test_rate_limits.py sets its own.
API_RATE_TOKEN = API_RATE_ANONYMOUS = "100000/minute"
# Publishing queues the public PDF in production; tests that want it switch this on.
PDF_RENDER_ON_PUBLISH = False
# Pages link static files by their plain names, so the suite needs no collectstatic; one test
# (tests/test_static_files.py) collects them with the production storage and serves them.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="pledgeproof-test-static-"))
