"""HTTP for GBFS: one GET with conditional headers, a timeout and a size limit."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings

USER_AGENT = "maas-gbfs-poller/1.0"


@dataclass(frozen=True)
class FetchResult:
    status: int | None  # HTTP status; None when there was no answer
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    error: str = ""  # why it failed (timeout, connection refused, HTTP 500, ...)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error


def url_refusal(url: str) -> str:
    """Why the server must not fetch `url`, or "" when it may. Operators register URLs, so
    an http(s) URL must resolve only to public addresses (no loopback, private, link-local
    or metadata addresses) unless GBFS_ALLOW_PRIVATE_URLS (development and tests)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "only http(s) URLs with a host name are fetched"
    if settings.GBFS_ALLOW_PRIVATE_URLS:
        return ""
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return f"cannot resolve {parts.hostname}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return f"{parts.hostname} resolves to a non-public address ({address})"
    return ""


def fetch(url: str, *, etag: str = "", last_modified: str = "") -> FetchResult:
    """GET `url` (If-None-Match / If-Modified-Since when we have validators). Never
    raises for network trouble: the result says what went wrong. URLs that resolve to
    non-public addresses are refused (see `url_refusal`)."""
    refusal = url_refusal(url)
    if refusal:
        return FetchResult(None, error=f"refused: {refusal}")
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    limit = settings.GBFS_MAX_FILE_BYTES
    try:
        with requests.get(
            url, headers=headers, timeout=settings.GBFS_HTTP_TIMEOUT_S, stream=True
        ) as response:
            if response.status_code == 304:
                return FetchResult(304, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                return FetchResult(response.status_code, error=f"HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > limit:
                    return FetchResult(200, error=f"response larger than {limit} bytes")
                chunks.append(chunk)
            return FetchResult(
                200,
                b"".join(chunks),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
    except requests.Timeout:
        return FetchResult(None, error=f"timeout after {settings.GBFS_HTTP_TIMEOUT_S} s")
    except requests.ConnectionError:
        return FetchResult(None, error=f"ConnectionError: cannot connect to {urlsplit(url).netloc}")
    except requests.RequestException as exc:
        return FetchResult(None, error=f"{exc.__class__.__name__}: {exc}"[:300])
