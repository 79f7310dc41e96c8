"""Liveness and readiness probes.

Readiness checks are pluggable: each app that must be up before traffic is served
registers a check with `readiness_check_register` (the routing snapshot check joins
when the planner lands).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, JsonResponse

# A check returns (ok, detail). Registered in AppConfig.ready().
ReadinessCheck = Callable[[], tuple[bool, str]]
_READINESS_CHECKS: dict[str, ReadinessCheck] = {}


def readiness_check_register(*, name: str, check: ReadinessCheck) -> None:
    _READINESS_CHECKS[name] = check


def database_check() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return False, f"database unreachable: {exc.__class__.__name__}"
    return True, f"{connection.vendor} reachable"


readiness_check_register(name="database", check=database_check)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict[str, bool | str]] = {}
    ready = True
    for name, check in _READINESS_CHECKS.items():
        ok, detail = check()
        checks[name] = {"ok": ok, "detail": detail}
        ready = ready and ok
    if ready:
        return JsonResponse({"status": "ready", "checks": checks})
    failed = [name for name, result in checks.items() if not result["ok"]]
    return JsonResponse(
        {
            "status": "not_ready",
            "error": {
                "code": "not_ready",
                "message": "Not ready: " + "; ".join(str(checks[n]["detail"]) for n in failed),
                "details": {"checks": checks},
            },
            "checks": checks,
        },
        status=503,
    )
