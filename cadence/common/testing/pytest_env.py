"""Loaded with ``-p`` before pytest-django reads settings: safe defaults for the test run.

Values already in the environment (DATABASE_URL in CI, for example) win.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="cadence-static-"))
# Uploads (consent scans) from tests go to a temporary folder, never ./data/media.
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="cadence-media-"))
os.environ.setdefault("SMS_BACKEND", "cadence.scheduling.sms.MemoryBackend")
# Tests sign in with force_login; two-step sign-in is tested with override_settings.
os.environ.setdefault("MFA_REQUIRED_FOR_STAFF", "false")
# A file, not memory, for the SQLite test database: concurrency tests need real write locks.
os.environ.setdefault(
    "SQLITE_TEST_NAME", os.path.join(tempfile.mkdtemp(prefix="cadence-testdb-"), "test.sqlite3")
)
