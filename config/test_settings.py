"""Small override for the test suite: fast hashing, private media folder, tasks in-process."""

import tempfile
from pathlib import Path

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="pledgeproof-test-media-"))
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# A throwaway signing key made once per test run (tests/conftest.py creates the files here).
PLEDGEPROOF_SIGNING_DIR = Path(tempfile.mkdtemp(prefix="pledgeproof-test-signing-"))
PLEDGEPROOF_SIGNING_KEY = PLEDGEPROOF_SIGNING_DIR / "signing-key.pem"
PLEDGEPROOF_SIGNING_CERT = PLEDGEPROOF_SIGNING_DIR / "signing-cert.pem"
PLEDGEPROOF_SIGNING_CHAIN = PLEDGEPROOF_SIGNING_DIR / "chain.pem"
PLEDGEPROOF_TSA_URL = ""
# Many tests upload to /verify/ from the same address; the limit has its own tests.
PDF_VERIFY_UPLOADS_PER_MINUTE = 10_000
# Publishing queues the public PDF in production; tests that want it switch this on.
PDF_RENDER_ON_PUBLISH = False
