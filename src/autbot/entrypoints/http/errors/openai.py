"""Errors on the OpenAI-compatible routes, in OpenAI's envelope: ``{"error": {"message", "type", "param",
"code"}}``, with the statuses the official SDKs map to their exception classes (400 BadRequestError, 401
AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError, 409 ConflictError, 422
UnprocessableEntityError, 429 RateLimitError, 5xx InternalServerError / APIStatusError).

The same error tree and the same status table as the problem+json routes (``problems.status_of``); only the
body differs, and the headers (``Retry-After``, ``WWW-Authenticate``, ``RateLimit-*``) are the same. These
handlers are set on the routers of ``/v1/chat``, ``/v1/models``, ``/v1/embeddings`` and ``/v1/sessions``, so
they also render what the middleware raises for those routes (authentication, rate limits, media type).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from loguru import logger

from autbot.domain import errors as e
from autbot.domain.secrets import redact_url
from autbot.entrypoints.http.errors.openapi import EVERY_ROUTE, WHY, WITH_BODY
from autbot.entrypoints.http.errors.problems import error_headers, status_of
from autbot.entrypoints.observability.middleware import note_error

TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "invalid_request_error",
    409: "conflict_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    503: "service_unavailable_error",
}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large", 415: "unsupported_media_type"}


def openai_error(*, status: int, message: str, code: str, param: str | None = None) -> dict[str, Any]:
    kind = TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_of(exc: e.AutbotError) -> dict[str, Any]:
    """The envelope of a domain error (also the ``data`` of the error event that ends a failed stream)."""
    field = exc.details.get("field")
    return openai_error(
        status=status_of(exc),
        message=redact_url(exc.message),  # a dependency's error may quote its URL
        code=exc.code,
        param=field if isinstance(field, str) else None,
    )


def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content=body, status_code=status, media_type="application/json", headers=headers)


def handle_autbot_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, e.AutbotError)
    status = status_of(exc)
    note_error(request.scope, exc.code)  # the access line and the audit record name it
    if status >= 500:
        logger.warning("{} {} -> {} {}: {}", request.method, request.url.path, status, exc.code, exc.message)
    return _response(status, error_of(exc), error_headers(exc))


def handle_validation(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, ValidationException)
    errors = [x for x in exc.extra if isinstance(x, dict)] if isinstance(exc.extra, list) else []
    first = errors[0] if errors else {}
    message = str(first.get("message") or exc.detail)
    param = first.get("key")
    note_error(request.scope, "invalid_input")
    return _response(
        400, openai_error(status=400, message=message, code="invalid_input", param=str(param) if param else None)
    )


def handle_http(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status >= 500:
        return handle_unexpected(request, exc)
    message = exc.detail or "The request was refused."
    return _response(
        status, openai_error(status=status, message=message, code=_HTTP_CODES.get(status, "http_error")), exc.headers
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.opt(exception=exc).error("unhandled error on {} {}", request.method, request.url.path)
    body = openai_error(status=500, message="An internal error occurred; it has been logged.", code="internal_error")
    return _response(500, body)


OPENAI_EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    e.AutbotError: handle_autbot_error,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}


class ErrorDetail(msgspec.Struct, kw_only=True):
    message: str
    type: str
    param: str | None
    code: str


class ErrorEnvelope(msgspec.Struct, kw_only=True):
    """OpenAI's error body: ``code`` is AutBot's stable error code."""

    error: ErrorDetail


def openai_error_responses(*statuses: int, body: bool = False) -> dict[int, ResponseSpec]:
    """``responses=`` for an OpenAI-compatible route: the statuses every route can answer, and ``statuses``."""
    codes = sorted({*EVERY_ROUTE, *(WITH_BODY if body else ()), *statuses})
    return {
        code: ResponseSpec(
            data_container=ErrorEnvelope, media_type="application/json", description=WHY.get(code, "error")
        )
        for code in codes
    }
