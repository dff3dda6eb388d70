"""Browser-facing protections and the body-read timeout: one middleware (response headers: security_headers.py).

``RequestGuard`` (the first route middleware, before authentication) checks, in this order:

1. ``Host`` is one of ``server.allowed_hosts`` (400 ``invalid_host``): a page that rebinds its DNS name
   to 127.0.0.1 sends its own name as ``Host``, so it cannot read a local AutBot. The probes (``/health``,
   ``/ready``) answer any ``Host``: orchestrators call them by IP address, and they carry no data
   (readiness details only for an admin key, or on an open loopback server, URL credentials hidden).
2. A route that takes a body gets the media type it declares (415 ``unsupported_media_type``, listing the
   accepted types): JSON routes only ``application/json`` or ``application/*+json``. An HTML form or a
   ``text/plain`` fetch from another site can therefore never reach a JSON route.
3. A state-changing form route (``multipart/form-data``: file uploads) carries an API key
   (``Authorization: Bearer`` or ``X-API-Key``; the authentication middleware validates it) or comes
   from this server's own origin (``Origin`` absent, equal to this host, or in ``server.cors_origins``;
   ``Sec-Fetch-Site`` absent, ``same-origin`` or ``none``). Else 403 ``csrf_rejected``. Browsers send
   forms cross-site without a preflight, but never with a custom header.
4. The request body arrives whole within ``server.body_timeout_s`` (408 ``request_timeout``, and the
   connection is closed).

It works on the raw ASGI headers (parsed once per request, ``headers.py``): no per-request header objects
(request overhead, docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from litestar.enums import RequestEncodingType, ScopeType
from litestar.params import BodyKwarg
from litestar.types import ASGIApp, Receive, Scope, Send

from autbot.domain.auth import Principal
from autbot.domain.errors import UnsupportedMediaType
from autbot.entrypoints.http.errors.transport import CsrfRejected, InvalidHost, RequestTimeout
from autbot.entrypoints.http.middleware.headers import request_headers

_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = frozenset({RequestEncodingType.MULTI_PART.value, RequestEncodingType.URL_ENCODED.value})
_SAME_ORIGIN_FETCH = frozenset({"same-origin", "none"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

# --- Host ------------------------------------------------------------------------------------------


def parse_host(value: str) -> tuple[str, int | None] | None:
    """``(name, port)`` of a ``Host`` header or an ``allowed_hosts`` entry, lower-cased, without a trailing dot;
    IPv6 in brackets. ``None`` when it is not a host."""
    value = value.strip().lower()
    port: str | None
    if value.startswith("["):
        inner, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            return None
        name, port = f"[{inner}]", rest[1:] if rest else None
    elif value.count(":") > 1:  # a bare IPv6 address (only in settings: a Host header always brackets it)
        name, port = f"[{value}]", None
    else:
        name, sep, port_text = value.partition(":")
        port = port_text if sep else None
    name = name.rstrip(".")
    if not name or (port is not None and not (port.isdigit() and 0 < int(port) <= 65535)):
        return None
    return name, int(port) if port is not None else None


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """Which ``Host`` headers are answered: a name without a port matches every port, ``name:port`` only that one."""

    any_host: bool
    names: frozenset[str]
    """Names allowed on any port."""
    pairs: frozenset[tuple[str, int]]
    """(name, port) allowed."""

    @classmethod
    def of(cls, allowed: Iterable[str]) -> HostPolicy:
        names: set[str] = set()
        pairs: set[tuple[str, int]] = set()
        for entry in allowed:
            parsed = parse_host(entry) if entry != "*" else None
            if parsed is None:
                continue
            name, port = parsed
            if port is None:
                names.add(name)
            else:
                pairs.add((name, port))
        return cls(any_host="*" in allowed, names=frozenset(names), pairs=frozenset(pairs))

    def allows(self, host: str | None, scheme: str = "http") -> bool:
        if self.any_host:
            return True
        parsed = parse_host(host) if host else None
        if parsed is None:
            return False
        name, port = parsed
        return name in self.names or (name, port or _DEFAULT_PORTS.get(scheme, 80)) in self.pairs


# --- the guard --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestPolicy:
    hosts: HostPolicy
    trusted_origins: frozenset[str]
    """Origins besides this server's own that may post forms (``server.cors_origins``)."""
    body_timeout_s: float
    probe_paths: frozenset[str] = frozenset({"/health", "/ready"})
    """Answered on any ``Host``."""

    @classmethod
    def of(cls, *, allowed_hosts: Sequence[str], cors_origins: Sequence[str], body_timeout_s: float) -> RequestPolicy:
        return cls(
            hosts=HostPolicy.of(allowed_hosts),
            trusted_origins=frozenset(o.rstrip("/").lower() for o in cors_origins),
            body_timeout_s=body_timeout_s,
        )


BODY_MEDIA_TYPES = "body_media_types"
"""Route ``opt`` key: the media types of a route that reads its body itself and takes more than one (the jobs
route: JSON documents or multipart files); each is checked as if declared alone."""


def declared_media_type(handler: Any, content_type: str | None = None) -> str | None:
    """The body media type a route handler declares (``None``: it takes no body); of a route declaring several
    in ``opt``, the one ``content_type`` matches, else the first."""
    alternatives = (getattr(handler, "opt", None) or {}).get(BODY_MEDIA_TYPES)
    if alternatives:
        return str(next((m for m in alternatives if media_type_matches(content_type, m)), alternatives[0]))
    field = getattr(handler, "parsed_data_field", None)
    if field is None:
        return None
    kwarg = field.kwarg_definition
    media_type = kwarg.media_type if isinstance(kwarg, BodyKwarg) else RequestEncodingType.JSON
    return str(media_type.value if isinstance(media_type, RequestEncodingType) else media_type)


def accepted_media_types(declared: str) -> list[str]:
    return ["application/json", "application/*+json"] if declared == RequestEncodingType.JSON.value else [declared]


def media_type_matches(content_type: str | None, declared: str) -> bool:
    given = (content_type or "").split(";", 1)[0].strip().lower()
    if declared == RequestEncodingType.JSON.value:
        return given == declared or (given.startswith("application/") and given.endswith("+json"))
    return given == declared


def carries_api_key(headers: Mapping[str, str], state: dict[str, Any]) -> bool:
    """An authenticated principal, or a key header a browser never adds to a cross-site form post.
    ``Authorization: Basic`` does not count: browsers replay cached Basic credentials by themselves."""
    principal = state.get("principal")
    if isinstance(principal, Principal) and principal.authenticated:
        return True
    scheme = headers.get("authorization", "").strip().partition(" ")[0].lower()
    return scheme == "bearer" or bool(headers.get("x-api-key", "").strip())


def same_origin(headers: Mapping[str, str], trusted_origins: frozenset[str]) -> bool:
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.strip().lower() not in _SAME_ORIGIN_FETCH:
        return False
    origin = headers.get("origin")
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if origin in trusted_origins:
        return True
    own = (headers.get("host") or "").strip().lower()
    return origin not in ("", "null") and bool(own) and urlsplit(origin).netloc == own


class RequestGuard:
    """Host, media type, CSRF and body timeout checks (see the module docstring); errors go through the
    problem table like any other."""

    def __init__(self, app: ASGIApp, policy: RequestPolicy) -> None:
        self.app = app
        self._policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        headers = request_headers(scope)
        host = headers.get("host")
        if scope.get("path") not in self._policy.probe_paths and not self._policy.hosts.allows(
            host, str(scope.get("scheme", "http"))
        ):
            raise InvalidHost(
                "This server does not answer to that host name; add it to server.allowed_hosts.",
                host=(host or "")[:255],
            )
        handler = scope.get("route_handler")
        declared = declared_media_type(handler, headers.get("content-type"))
        if declared is not None:
            if not media_type_matches(headers.get("content-type"), declared):
                alternatives = (getattr(handler, "opt", None) or {}).get(BODY_MEDIA_TYPES) or [declared]
                accepted = [a for m in alternatives for a in accepted_media_types(m)]
                raise UnsupportedMediaType(
                    f"This route accepts {' or '.join(accepted)} bodies.",
                    accepted=accepted,
                    content_type=(headers.get("content-type") or "")[:255],
                )
            if (
                declared in _FORM_TYPES
                and scope.get("method") in _UNSAFE_METHODS
                and not carries_api_key(headers, scope.get("state") or {})
                and not same_origin(headers, self._policy.trusted_origins)
            ):
                raise CsrfRejected(
                    "A form upload from another origin needs an API key (Authorization: Bearer or X-API-Key).",
                    origin=(headers.get("origin") or "")[:255],
                    sec_fetch_site=(headers.get("sec-fetch-site") or "")[:64],
                )
            receive = timed_receive(receive, self._policy.body_timeout_s)
        await self.app(scope, receive, send)


def timed_receive(receive: Receive, timeout_s: float) -> Receive:
    """``receive`` that raises ``RequestTimeout`` unless the whole body arrives within ``timeout_s`` of the
    first read. Once the body is complete it is the plain ``receive`` again (a streaming response waits
    on it for the client's disconnect, for as long as the stream lasts)."""
    deadline: float | None = None
    complete = False

    async def wrapped() -> Any:
        nonlocal deadline, complete
        if complete:
            return await receive()
        loop = asyncio.get_running_loop()
        if deadline is None:
            deadline = loop.time() + timeout_s
        try:
            async with asyncio.timeout_at(deadline):  # no task per read, unlike wait_for
                message = await receive()
        except TimeoutError:
            raise RequestTimeout(
                f"The request body did not arrive within {timeout_s:g} s.", timeout_s=timeout_s
            ) from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            complete = True
        return message

    return wrapped


__all__ = ["HostPolicy", "RequestGuard", "RequestPolicy", "parse_host", "timed_receive"]
