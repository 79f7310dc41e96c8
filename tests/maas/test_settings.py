"""Settings come from the environment (each case in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
import django
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST"),
    "port": db.get("PORT"), "user": db.get("USER"),
    "debug": settings.DEBUG, "hosts": settings.ALLOWED_HOSTS, "tz": settings.TIME_ZONE,
    "languages": [code for code, _ in settings.LANGUAGES],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER, "broker": settings.CELERY_BROKER_URL,
    "cache": settings.CACHES["default"]["BACKEND"], "k": settings.STATS_K,
}))
"""

_CLEAR = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "TIME_ZONE",
    "STATS_K",
)


def run_probe(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _CLEAR}
    clean.update(env, DJANGO_SETTINGS_MODULE="maas.settings")
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_embedded_defaults() -> None:
    result = run_probe(DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["engine"] == "django.db.backends.sqlite3"
    assert cfg["name"] == str(ROOT / "var" / "db.sqlite3")
    assert cfg["eager"] is True
    assert cfg["broker"] == ""
    assert cfg["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert cfg["tz"] == "Asia/Tokyo"
    assert cfg["languages"] == ["ja", "en"]
    assert cfg["hosts"] == ["localhost", "127.0.0.1"]
    assert cfg["k"] == 10


def test_production_style_environment() -> None:
    result = run_probe(
        DJANGO_SECRET_KEY="s3cret-from-env",
        DATABASE_URL="postgres://maas:pw@db.internal:6543/maasdb",
        REDIS_URL="redis://cache.internal:6380/2",
        DJANGO_ALLOWED_HOSTS="maas.example.jp,api.example.jp",
        TIME_ZONE="UTC",
        STATS_K="20",
    )
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["engine"] == "django.db.backends.postgresql"
    assert (cfg["name"], cfg["host"], cfg["port"], cfg["user"]) == (
        "maasdb",
        "db.internal",
        6543,
        "maas",
    )
    assert cfg["debug"] is False
    assert cfg["eager"] is False
    assert cfg["broker"] == "redis://cache.internal:6380/2"
    assert cfg["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert cfg["hosts"] == ["maas.example.jp", "api.example.jp"]
    assert cfg["tz"] == "UTC"
    assert cfg["k"] == 20


def test_celery_broker_url_overrides_redis_url() -> None:
    result = run_probe(
        DJANGO_DEBUG="true", REDIS_URL="redis://a:6379/0", CELERY_BROKER_URL="amqp://b:5672//"
    )
    assert json.loads(result.stdout)["broker"] == "amqp://b:5672//"


def test_secret_key_required_when_debug_off() -> None:
    result = run_probe()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr
