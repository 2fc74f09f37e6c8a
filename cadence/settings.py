"""Cadence settings: one file, read from the environment.

See docs/deployment.md for every variable. A bad value stops start-up with a message that
names the variable (cadence.common.env.ConfigError).
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext

from cadence.common.env import ConfigError, Env

django_stubs_ext.monkeypatch()
env = Env()
BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.text("CADENCE_DATA_DIR", str(BASE_DIR / "data")))

DEBUG = env.flag("DEBUG", False)

# Only ever used with DEBUG on; without DEBUG this exact value is refused below.
_DEV_SECRET = "insecure-development-key-only-for-DEBUG-true-never-in-production"  # nosec B105
if DEBUG:
    SECRET_KEY = env.text("SECRET_KEY", _DEV_SECRET)
else:
    SECRET_KEY = env.text("SECRET_KEY")
    if len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET:
        raise ConfigError("SECRET_KEY: use a random value of at least 50 characters.")

ALLOWED_HOSTS = env.items("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.items("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "cadence.common",
    "cadence.audit",
    "cadence.signatures",
    "cadence.accounts",
    "cadence.programs",
    "cadence.patients",
    "cadence.consents",
    "cadence.alerts",
    "cadence.episodes",
    "cadence.assessments",
    "cadence.screens",
    "cadence.plans",
    "cadence.scheduling",
    "cadence.notes",
    "cadence.intake",
    "cadence.outcomes",
    "cadence.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "cadence.common.security.PermissionsPolicyMiddleware",
    "cadence.common.security.RejectNulInQueryMiddleware",
    "cadence.common.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Two-step sign-in: a half-signed session reaches only the code page; staff without an
    # authenticator (when required) reach only enrolment. Before LoginRequired on purpose.
    "cadence.accounts.middleware.MfaMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "cadence.programs.middleware.CurrentSiteMiddleware",
    "cadence.accounts.middleware.IdleTimeoutMiddleware",
    "cadence.accounts.middleware.SessionTrackingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cadence.urls"
WSGI_APPLICATION = "cadence.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cadence.programs.context_processors.current_site",
                "cadence.accounts.context_processors.capabilities",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_default_db = f"sqlite:///{DATA_DIR / 'cadence.sqlite3'}"
_db_url = env.text("DATABASE_URL", _default_db)
try:
    _db = dj_database_url.parse(_db_url, conn_max_age=env.number("DB_CONN_MAX_AGE", 60, minimum=0))
except (ValueError, dj_database_url.UnknownSchemeError) as exc:
    raise ConfigError(f"DATABASE_URL: cannot parse {_db_url!r} ({exc}).") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while a write is in progress; IMMEDIATE takes the write lock at
    # the start of a transaction so concurrent writers queue instead of failing mid-way.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        " PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
    }
    _db["CONN_MAX_AGE"] = 0
    # Tests may use a file (set by the test plugin) so concurrent-writer tests see real locking;
    # an in-memory database would fail such writers instead of making them wait.
    if env.text("SQLITE_TEST_NAME", ""):
        _db["TEST"] = {"NAME": env.text("SQLITE_TEST_NAME", "")}
    if _db["NAME"] and _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["CONN_HEALTH_CHECKS"] = True
else:
    raise ConfigError(f"DATABASE_URL: use a sqlite:// or postgres:// URL, got {_db['ENGINE']}.")
DATABASES = {"default": _db}

# Cache: the outcomes dashboard keeps computed figures here (keyed by a fingerprint of the
# data, so they are never stale). The default is per process; several app servers should
# share one: CACHE_URL=redis://127.0.0.1:6379/1 (docs/deployment.md).
_cache_url = env.text("CACHE_URL", "")
if not _cache_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
elif _cache_url.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        }
    }
else:
    raise ConfigError("CACHE_URL: use a redis://, rediss:// or unix:// URL, or leave it empty.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and sessions ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Inactivity logoff: the default here; each Site may set its own (Site.idle_timeout_minutes).
SESSION_IDLE_TIMEOUT_MINUTES = env.number(
    "SESSION_IDLE_TIMEOUT_MINUTES", 15, minimum=1, maximum=720
)
SESSION_COOKIE_AGE = env.number("SESSION_MAX_AGE_HOURS", 12, minimum=1, maximum=24) * 3600
# Break-the-glass: how long an emergency grant lets a clinician read a chart they cannot
# normally open (docs/restricted-access-guide.md).
EMERGENCY_ACCESS_MINUTES = env.number("EMERGENCY_ACCESS_MINUTES", 60, minimum=5, maximum=720)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Two-step sign-in (TOTP authenticator app) for every staff member. On by default in
# production; off with DEBUG so the demo runs without a phone. Anyone who has set it up is
# always asked for a code, required or not.
MFA_REQUIRED_FOR_STAFF = env.flag("MFA_REQUIRED_FOR_STAFF", not DEBUG)
# The name authenticator apps show next to the account (e.g. the clinic's name).
MFA_ISSUER = env.text("MFA_ISSUER", "Cadence")

# Login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env.number("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env.number("LOGIN_LOCKOUT_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_IPWARE_PROXY_COUNT = env.number("PROXY_COUNT", 0, minimum=0)
# A wrong sign-in code counts as a failed sign-in; axes must never store the code itself.
AXES_SENSITIVE_PARAMETERS = ["code", "secret_token"]

# --- Security -------------------------------------------------------------------------------
_secure = not DEBUG and env.flag("SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = not DEBUG and env.flag("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 0 if DEBUG else env.number("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): our own origin only. No inline scripts or styles, no
# eval, no plugins, no framing, forms post only to us. htmx is configured in base.html not to
# inject styles or evaluate attributes. docs/security.md explains each directive.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if env.flag("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Internationalization and time ----------------------------------------------------------
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
# The fallback zone; every Site has its own and pages show times in the current site's zone.
TIME_ZONE = env.timezone("TIME_ZONE", "America/New_York")

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.text("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production: hashed, compressed files from `cadence collectstatic`. Development and tests:
# served straight from the source folders.
STATIC_MANIFEST = env.flag("STATIC_MANIFEST", not DEBUG)
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
# Uploaded files (consent scans). Private: no MEDIA_URL route serves them; they leave the server
# only through access-checked, audited views. Keep it outside any web server's document root.
MEDIA_ROOT = Path(env.text("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Logging: no PHI. Request ids only; names, dates of birth and note text never. ----------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "cadence.common.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.text("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Background work and patient messages ---------------------------------------------------
# django-tasks with its database backend: `cadence db_worker` runs queued tasks, and
# `cadence schedule_tick` (cron/systemd timer, every few minutes) queues reminders.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EMAIL_BACKEND = env.text(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.text("EMAIL_HOST", "localhost")
EMAIL_PORT = env.number("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.text("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.text("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.flag("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "Cadence <no-reply@localhost>")
# Text messages go through a small provider interface (cadence.scheduling.sms); with DEBUG the
# console backend prints them, otherwise none are sent until SMS_BACKEND names a provider.
SMS_BACKEND = env.text(
    "SMS_BACKEND",
    "cadence.scheduling.sms.ConsoleBackend"
    if DEBUG
    else "cadence.scheduling.sms.NotConfiguredBackend",
)
# How far ahead group occurrences are generated (a daily tick keeps the horizon rolling).
SCHEDULE_HORIZON_WEEKS = env.number("SCHEDULE_HORIZON_WEEKS", 13, minimum=1, maximum=104)

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
PAGE_SIZE = env.number("PAGE_SIZE", 25, minimum=5, maximum=200)
