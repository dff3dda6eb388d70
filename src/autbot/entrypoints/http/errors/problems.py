"""Every error becomes ``application/problem+json`` (RFC 9457) with a stable ``code``: one table."""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from loguru import logger

from autbot.domain import errors as e
from autbot.domain.correlation import current_request_id
from autbot.domain.secrets import redact_url
from autbot.entrypoints.http.errors.transport import RequestTimeout
from autbot.entrypoints.observability.middleware import client_gone, note_error

PROBLEM_JSON = "application/problem+json"

# Most specific first: the first matching class decides the status.
STATUS: list[tuple[type[e.AutbotError], int]] = [
    (e.UnsupportedMediaType, 415),
    (e.RequestHeadTooLarge, 431),  # answered by the server's protocol (server/bounds.py), listed for the table
    (e.RequestTooLarge, 413),
    (e.DocumentTooLarge, 413),
    (e.CostExceedsLimit, 413),
    (RequestTimeout, 408),
    (e.DocumentUnparseable, 422),
    (e.InvalidInput, 400),
    (e.Unauthorized, 401),
    (e.Forbidden, 403),
    (e.RateLimited, 429),
    (e.Overloaded, 503),
    (e.Conflict, 409),
    (e.NotFound, 404),
    (e.DependencyUnavailable, 503),
    (e.ConfigurationError, 500),
    (e.AutbotError, 500),
]

_HTTP_PROBLEMS: dict[int, tuple[str, str]] = {
    status: (error.code, error.default_message)
    for status, error in (
        (400, e.InvalidInput),
        (401, e.Unauthorized),
        (403, e.Forbidden),
        (404, e.NotFound),
        (408, RequestTimeout),
        (413, e.RequestTooLarge),
        (415, e.UnsupportedMediaType),
        (429, e.RateLimited),
    )
} | {405: ("method_not_allowed", "This method is not allowed on this path."), 503: ("unavailable", "Unavailable.")}
"""Code and title of the problems Litestar raises itself (router 404/405, body size 413, ...): the title names
the kind of problem, the same every time; what happened this time is the detail."""


def ratelimit_headers(*, limit: int, remaining: int, reset_after_s: float, window_s: int) -> dict[str, str]:
    """The IETF ``RateLimit-*`` fields (draft-ietf-httpapi-ratelimit-headers): delta-seconds to the reset."""
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(0, remaining)),
        "RateLimit-Reset": str(max(0, math.ceil(reset_after_s))),
        "RateLimit-Policy": f"{limit};w={window_s}",
    }


def status_of(error: e.AutbotError) -> int:
    return next(status for cls, status in STATUS if isinstance(error, cls))


def problem_body(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://autbot.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if details:
        body["details"] = details
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id  # the same id as the X-Request-ID header and the log lines
    return body


def autbot_problem(error: e.AutbotError, instance: str | None = None) -> dict[str, Any]:
    status = status_of(error)
    return problem_body(
        status=status,
        code=error.code,
        title=error.default_message,
        detail=redact_url(error.message),  # a dependency's error may quote its URL
        instance=instance,
        details=_jsonable(error.details),
    )


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, (str, int, float, bool, list, dict, type(None))) else str(v) for k, v in details.items()
    }


def _response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content=body, status_code=int(body["status"]), media_type=PROBLEM_JSON, headers=headers)


def handle_autbot_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, e.AutbotError)
    body = autbot_problem(exc, request.url.path)
    note_error(request.scope, exc.code)
    if body["status"] >= 500:
        logger.warning("{} {} -> {} {}: {}", request.method, request.url.path, body["status"], exc.code, exc.message)
    return _response(body, _retry_headers(exc, body["status"]))


def error_headers(exc: e.AutbotError) -> dict[str, str] | None:
    """The headers an error's response carries (``WWW-Authenticate``, ``Retry-After``, ``RateLimit-*``), whatever
    the body's format (problem+json here, OpenAI's envelope on the OpenAI-compatible routes)."""
    return _retry_headers(exc, status_of(exc))


def _retry_headers(exc: e.AutbotError, status: int) -> dict[str, str] | None:
    """401 names the scheme; 429 and 503 say when to come back: the error's own ``retry_after_s`` if it has
    one, else 5 s."""
    if status == 401:
        return {"WWW-Authenticate": 'Bearer realm="autbot"'}
    if status == 408:  # the rest of the body may still arrive: this connection cannot carry another request
        return {"Connection": "close"}
    if status not in (429, 503):
        return None
    retry = exc.details.get("retry_after_s", 5)
    headers = {"Retry-After": str(max(1, math.ceil(float(retry))))}
    d = exc.details
    if isinstance(exc, e.RateLimited) and {"limit", "remaining", "reset_after_s", "window_s"} <= d.keys():
        headers |= ratelimit_headers(
            limit=d["limit"], remaining=d["remaining"], reset_after_s=d["reset_after_s"], window_s=d["window_s"]
        )
    return headers


def handle_validation(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, ValidationException)
    errors = exc.extra if isinstance(exc.extra, list) else []
    where = ", ".join(str(x.get("key") or x.get("message")) for x in errors if isinstance(x, dict))
    detail = exc.detail if not where else f"{exc.detail}: {where}"
    return _response(
        problem_body(
            status=400,
            code="invalid_input",
            title="The request is not valid.",
            detail=detail,
            instance=request.url.path,
            details={"errors": errors},
        )
    )


def handle_http(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    code, title = _HTTP_PROBLEMS.get(status, ("http_error", _phrase(status)))
    if status >= 500 and not client_gone(request.scope):  # a client that left is the access line's 499
        logger.opt(exception=exc).error("error on {} {}", request.method, request.url.path)
        code, detail = "internal_error", "An internal error occurred; it has been logged."
        return _response(
            problem_body(
                status=status, code=code, title="An internal error occurred.", detail=detail, instance=request.url.path
            )
        )
    return _response(
        problem_body(status=status, code=code, title=title, detail=exc.detail or title, instance=request.url.path),
        headers=exc.headers,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if not client_gone(request.scope):
        logger.opt(exception=exc).error("unhandled error on {} {}", request.method, request.url.path)
    return _response(
        problem_body(
            status=500,
            code="internal_error",
            title="An internal error occurred.",
            detail="An internal error occurred; it has been logged.",
            instance=request.url.path,
        )
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    e.AutbotError: handle_autbot_error,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "autbot_problem", "error_headers", "problem_body", "status_of"]
