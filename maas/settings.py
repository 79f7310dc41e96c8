"""Django settings, 12-factor: everything that differs between deployments comes from the
environment (see the configuration table in README.md).

Embedded defaults make `make run` work on a bare machine: a SQLite file under `var/` and
Celery tasks run eagerly in-process when no broker is configured.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

# Makes generic Django classes (ModelAdmin[Model], QuerySet[Model]) subscriptable at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG: bool = env.bool("DJANGO_DEBUG", default=False)

_secret = env.str("DJANGO_SECRET_KEY", default="")
if not _secret:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(`make run` generates one into var/secret_key)."
        )
    # Only reachable with DJANGO_DEBUG=true: a fixed, obviously-insecure development key.
    _secret = "insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = _secret

ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "operators",
    "operators.gbfs",
    "operators.tourism",
    "operators.gtfs",
    "operators.ondemand",
    "maas.core",
    "maas.accounts",
    "maas.platform",
    "maas.trips",
    "maas.wallet",
    "maas.bookings",
    "maas.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees exceptions from every view: turns anything unhandled on /api/ paths
    # into the one JSON error body.
    "maas.core.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "maas.urls"
WSGI_APPLICATION = "maas.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ------------------------------------------------------------------ database
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while an eager import task writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ------------------------------------------------------------------ i18n / time
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="ja")
LANGUAGES = [("ja", "日本語"), ("en", "English")]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Tokyo")
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------ static files
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG

# ------------------------------------------------------------------ cache / redis
REDIS_URL: str = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# ------------------------------------------------------------------ celery
CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND: str = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
# No broker configured: run tasks in-process, so `make run` needs no server.
CELERY_TASK_ALWAYS_EAGER: bool = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves it to be redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"

# ------------------------------------------------------------------ REST framework
API_ANON_RATE: str = env.str("API_ANON_RATE", default="120/min")
API_USER_RATE: str = env.str("API_USER_RATE", default="600/min")
API_REGISTER_RATE: str = env.str("API_REGISTER_RATE", default="10/hour")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "maas.accounts.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": API_ANON_RATE,
        "user": API_USER_RATE,
        "register": API_REGISTER_RATE,
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "maas.core.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": SECRET_KEY,
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MaaS API",
    "DESCRIPTION": "Trip planning, offers, bookings and city statistics (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# ------------------------------------------------------------------ security
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "maas.core.errors.csrf_failure"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

# ------------------------------------------------------------------ domain settings
# Statistics: cells with fewer than STATS_K people are suppressed.
STATS_K: int = env.int("STATS_K", default=10)
# Feeds: how many superseded versions per operator and kind keep their imported rows
# (older ones keep only their record and report), and the largest accepted upload.
FEED_VERSIONS_RETAINED: int = env.int("FEED_VERSIONS_RETAINED", default=2)
FEED_UPLOAD_MAX_BYTES: int = env.int("FEED_UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
# GBFS: polling never faster than GBFS_MIN_TTL_S per file (whatever the file's ttl says);
# the beat dispatcher runs every GBFS_POLL_INTERVAL_S; one HTTP request waits at most
# GBFS_HTTP_TIMEOUT_S; a file larger than GBFS_MAX_FILE_BYTES is refused.
GBFS_MIN_TTL_S: int = env.int("GBFS_MIN_TTL_S", default=10)
GBFS_POLL_INTERVAL_S: float = env.float("GBFS_POLL_INTERVAL_S", default=10.0)
GBFS_HTTP_TIMEOUT_S: float = env.float("GBFS_HTTP_TIMEOUT_S", default=10.0)
GBFS_MAX_FILE_BYTES: int = env.int("GBFS_MAX_FILE_BYTES", default=20 * 1024 * 1024)
# Operators register GBFS URLs that the server fetches: only public addresses, unless
# this is on (development and tests, whose feeds are served from 127.0.0.1).
GBFS_ALLOW_PRIVATE_URLS: bool = env.bool("GBFS_ALLOW_PRIVATE_URLS", default=DEBUG)
# Zip-bomb guards, checked on the zip directory before anything is decompressed: the total
# uncompressed size, the compression ratio of any member over 1 MiB, and the member count.
FEED_ZIP_MAX_UNCOMPRESSED_BYTES: int = env.int(
    "FEED_ZIP_MAX_UNCOMPRESSED_BYTES", default=1024 * 1024 * 1024
)
FEED_ZIP_MAX_RATIO: int = env.int("FEED_ZIP_MAX_RATIO", default=200)
FEED_ZIP_MAX_MEMBERS: int = env.int("FEED_ZIP_MAX_MEMBERS", default=500)
# On-demand: a seat hold lasts ONDEMAND_HOLD_S unless confirmed; the beat sweep that
# expires stale holds runs every ONDEMAND_EXPIRE_INTERVAL_S (read in maas/celery.py).
ONDEMAND_HOLD_S: int = env.int("ONDEMAND_HOLD_S", default=600)
ONDEMAND_EXPIRE_INTERVAL_S: float = env.float("ONDEMAND_EXPIRE_INTERVAL_S", default=30.0)
# Stored first answers of Idempotency-Key requests are purged after this (hourly task).
IDEMPOTENCY_RETENTION_S: int = env.int("IDEMPOTENCY_RETENTION_S", default=24 * 3600)
# Operator API keys: the key prefix identifies the key, only a hash of the secret is stored.
API_KEY_PREFIX_LENGTH = 8

# ------------------------------------------------------------------ routing network
# Snapshots are written under SNAPSHOT_DIR and cover SNAPSHOT_HORIZON_DAYS service days from
# SNAPSHOT_HORIZON_START ("today" in TIME_ZONE, or a date such as 2025-12-01 for a feed whose
# service lies in the past or future). A build runs whenever the set of active feed
# versions changes (SNAPSHOT_AUTO_BUILD) and by `manage.py build_snapshot`.
SNAPSHOT_DIR = Path(env.str("SNAPSHOT_DIR", default=str(VAR_DIR / "snapshots")))
SNAPSHOT_HORIZON_START: str = env.str("SNAPSHOT_HORIZON_START", default="today")
SNAPSHOT_HORIZON_DAYS: int = env.int("SNAPSHOT_HORIZON_DAYS", default=7)
SNAPSHOT_AUTO_BUILD: bool = env.bool("SNAPSHOT_AUTO_BUILD", default=True)
SNAPSHOT_KEEP: int = env.int("SNAPSHOT_KEEP", default=3)
# How often an API process looks for a newer snapshot (one indexed query).
SNAPSHOT_POLL_S: float = env.float("SNAPSHOT_POLL_S", default=5.0)
# OSM extracts (.osm.pbf, comma list) for walking footpaths; none: straight line x detour.
OSM_EXTRACTS: list[str] = env.list("OSM_EXTRACTS", default=[])
ROUTING_WALK_SPEED_MPS: float = env.float("ROUTING_WALK_SPEED_MPS", default=1.2)
ROUTING_DETOUR_FACTOR: float = env.float("ROUTING_DETOUR_FACTOR", default=1.3)
ROUTING_MAX_FOOTPATH_M: float = env.float("ROUTING_MAX_FOOTPATH_M", default=1000.0)
# A coordinate farther than this from every stop is outside the network (400).
ROUTING_COVERAGE_M: float = env.float("ROUTING_COVERAGE_M", default=5000.0)
# When `depart_at`/`arrive_by` is omitted: now, or this fixed time (the demo sets one inside
# its feeds' service period).
PLAN_DEFAULT_TIME: str = env.str("PLAN_DEFAULT_TIME", default="")

# ------------------------------------------------------------------ offers
# An offer (a priced itinerary) can be booked for this long at exactly its price.
OFFER_TTL_S: int = env.int("OFFER_TTL_S", default=1800)
# Tourism add-ons: attractions within this distance of the destination (or of a place a
# transit leg ends), at most this many per place.
OFFER_ADDON_RADIUS_M: int = env.int("OFFER_ADDON_RADIUS_M", default=1000)
OFFER_ADDON_LIMIT: int = env.int("OFFER_ADDON_LIMIT", default=5)
# The currency of a price with nothing to pay (a walk-only itinerary).
OFFER_DEFAULT_CURRENCY: str = env.str("OFFER_DEFAULT_CURRENCY", default="JPY")

# ------------------------------------------------------------------ wallet (docs/wallet.md)
# The ledger's one currency (amounts are integers in its minor units).
WALLET_CURRENCY: str = env.str("WALLET_CURRENCY", default="JPY")
# The `sandbox` top-up method completes at once without real money: development and tests.
WALLET_SANDBOX_ENABLED: bool = env.bool("WALLET_SANDBOX_ENABLED", default=DEBUG)
# The largest single top-up, in minor units.
WALLET_TOP_UP_MAX: int = env.int("WALLET_TOP_UP_MAX", default=50_000)

# ------------------------------------------------------------------ bookings (docs/bookings.md)
# How long a booking's holds (PENDING) last before the sweep releases them.
BOOKING_HOLD_S: int = env.int("BOOKING_HOLD_S", default=300)
BOOKING_EXPIRE_INTERVAL_S: float = env.float("BOOKING_EXPIRE_INTERVAL_S", default=30.0)
# "kid:secret,kid2:secret2": the first signs tickets, all verify (key rotation). Empty with
# DEBUG on: an insecure development key; empty in production: tickets cannot be issued.
TICKET_SIGNING_KEYS: str = env.str("TICKET_SIGNING_KEYS", default="")
# A leg's ticket is valid from departure minus this until arrival plus this.
TICKET_VALIDITY_MARGIN_S: int = env.int("TICKET_VALIDITY_MARGIN_S", default=1800)
# The platform's commission on operators' sales (per-operator override in the admin).
PLATFORM_FEE_PERCENT: str = env.str("PLATFORM_FEE_PERCENT", default="10")

# ---------------------------------------------------------- usage platform (docs/platform.md)
# Where usage events go: POST JSON batches, body signed with HMAC-SHA256 (X-Signature).
# Empty URL: nothing is pushed (events wait in the outbox).
PLATFORM_INGEST_URL: str = env.str("PLATFORM_INGEST_URL", default="")
PLATFORM_INGEST_SECRET: str = env.str(
    "PLATFORM_INGEST_SECRET", default="insecure-development-ingest-secret" if DEBUG else ""
)
# Keys of the person ids in events: the daily-rotated pseudonym and the stable research id
# of those who opted in. Empty with DEBUG on: insecure development keys; empty in
# production: events carry no person ids at all (never a raw id).
PLATFORM_PSEUDONYM_SECRET: str = env.str(
    "PLATFORM_PSEUDONYM_SECRET", default="insecure-development-pseudonym-secret" if DEBUG else ""
)
PLATFORM_RESEARCH_SECRET: str = env.str(
    "PLATFORM_RESEARCH_SECRET", default="insecure-development-research-secret" if DEBUG else ""
)
# Events per POST: 500 keeps a body around 0.5 MB (~1 kB an event), well under common
# ingest limits, while a backlog of hours (tens of thousands) drains in tens of requests.
PLATFORM_PUSH_BATCH_SIZE: int = env.int("PLATFORM_PUSH_BATCH_SIZE", default=500)
# Connect timeout short (a dead host should not hold the stream lock); read timeout long
# enough for the platform to store 500 events, short enough that the open transaction
# holding the stream lock stays brief.
PLATFORM_PUSH_CONNECT_TIMEOUT_S: float = env.float("PLATFORM_PUSH_CONNECT_TIMEOUT_S", default=5.0)
PLATFORM_PUSH_READ_TIMEOUT_S: float = env.float("PLATFORM_PUSH_READ_TIMEOUT_S", default=30.0)
# Backoff after a failed batch: 30 s, 60 s, 120 s ... capped at 1 h, so a platform down for
# hours is probed about hourly and the backlog goes as soon as it is back.
PLATFORM_PUSH_BACKOFF_BASE_S: int = env.int("PLATFORM_PUSH_BACKOFF_BASE_S", default=30)
PLATFORM_PUSH_BACKOFF_MAX_S: int = env.int("PLATFORM_PUSH_BACKOFF_MAX_S", default=3600)
# Batches per stream per run: bounds one run (200 x 500 = 100k events) so beat runs overlap
# little; the next run continues.
PLATFORM_PUSH_MAX_BATCHES: int = env.int("PLATFORM_PUSH_MAX_BATCHES", default=200)
PLATFORM_PUSH_INTERVAL_S: float = env.float("PLATFORM_PUSH_INTERVAL_S", default=30.0)

# ------------------------------------------------------------------ logging
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "kv": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "kv"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
    },
}

# Bike share and on-demand legs in plans (docs/multimodal.md). PLAN_NOW pins "now" for
# booking deadlines and live-data age (demos/tests on historic feeds); empty: the clock.
PLAN_NOW: str = env.str("PLAN_NOW", default="")
BIKESHARE_SPEED_MPS: float = env.float("BIKESHARE_SPEED_MPS", default=4.2)
BIKESHARE_MAX_RIDE_M: float = env.float("BIKESHARE_MAX_RIDE_M", default=8000.0)
# An .osm.pbf whose cycling ways give riding distances; empty: straight line x detour.
BIKESHARE_OSM_EXTRACT: str = env.str("BIKESHARE_OSM_EXTRACT", default="")
ONDEMAND_ROAD_SPEED_MPS: float = env.float("ONDEMAND_ROAD_SPEED_MPS", default=8.3)
ONDEMAND_DETOUR_FACTOR: float = env.float("ONDEMAND_DETOUR_FACTOR", default=1.3)
ONDEMAND_BUFFER_S: int = env.int("ONDEMAND_BUFFER_S", default=300)
