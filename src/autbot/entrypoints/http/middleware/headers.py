"""Request headers read once per request, from the ASGI scope, by every AutBot middleware.

The middleware on the request path (host and media-type checks, authentication) needs a handful of
headers: a plain dict built once and kept in the scope, cheaper than a multidict per middleware
(docs/benchmarks.md, request overhead).
"""

from __future__ import annotations

from typing import Any

_CACHE = "autbot.headers"


def request_headers(scope: Any) -> dict[str, str]:
    """Header values by lower-case name (latin-1, as HTTP defines them); of a repeated header, the first."""
    cached: dict[str, str] | None = scope.get(_CACHE)
    if cached is None:
        cached = {}
        for name, value in scope.get("headers") or ():
            cached.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        scope[_CACHE] = cached
    return cached
