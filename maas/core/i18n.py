"""The language a response is written in: `?lang=` first, then `Accept-Language`."""

from __future__ import annotations

from rest_framework.request import Request

from maas.core.errors import ApiError

SUPPORTED_LANGUAGES = ("ja", "en", "ja-Hrkt")
DEFAULT_LANGUAGE = "ja"


def request_language(request: Request) -> str:
    """`ja`, `en` or `ja-Hrkt`. An unsupported `?lang=` is a 400; an unsupported
    Accept-Language falls back to the default (browsers send many languages)."""
    explicit = request.query_params.get("lang")
    if explicit:
        for lang in SUPPORTED_LANGUAGES:
            if explicit.lower() == lang.lower():
                return lang
        raise ApiError(
            "unsupported_language",
            f"lang must be one of {', '.join(SUPPORTED_LANGUAGES)}; got {explicit!r}.",
        )
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(ranked):
        lowered = tag.lower()
        if lowered == "ja-hrkt":
            return "ja-Hrkt"
        if lowered.split("-")[0] in ("ja", "en"):
            return lowered.split("-")[0]
    return DEFAULT_LANGUAGE
