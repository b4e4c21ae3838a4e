"""Which URLs a partner may subscribe to webhooks: absolute http(s); outside demo mode https to a public host."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from services.peaks.domain.errors import InputError


def checked_url(url: str, *, allow_private: bool) -> str:
    """The URL (stripped), or InputError naming `url`. `allow_private` also admits plain http and
    loopback/private hosts (demo mode, tests)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("url", "must be an absolute http(s) URL, e.g. https://example.go.kr/hooks/peaks")
    if not allow_private:
        if parts.scheme != "https":
            raise InputError("url", "must use https")
        host = parts.hostname.lower()
        try:
            private = not ipaddress.ip_address(host).is_global
        except ValueError:
            private = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
        if private:
            raise InputError("url", "must point to a public host (no loopback or private addresses)")
    return url.strip()
