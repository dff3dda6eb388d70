"""The problem responses each route documents in OpenAPI: one helper, so the document lists every status a
route can answer, with its ``application/problem+json`` body (checked by schemathesis in the tests)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec

from autbot.entrypoints.http.errors.problems import PROBLEM_JSON


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem: ``code`` is stable, ``detail`` is for people."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    details: dict[str, Any] | None = None


WHY: dict[int, str] = {
    400: "invalid_input, invalid_host (Host not in server.allowed_hosts), empty_document, invalid_encoding, "
    "search_mode_unsupported",
    401: "unauthorized: a key is required, or the one given is not valid",
    403: "forbidden (the key lacks the scope), csrf_rejected (a cross-origin form upload without a key)",
    404: "collection_not_found, document_not_found",
    408: "request_timeout: the body did not arrive within server.body_timeout_s",
    409: "embedding_model_mismatch: the collection was built with another embedding model",
    413: "request_too_large (the body is over server.max_request_bytes), form_too_large (a multipart form past its "
    "parser's limits), document_too_large, request_exceeds_rate_limit (the request alone costs more than its rate "
    "limit allows in a whole window: split it)",
    415: "unsupported_media_type: the body is not of the route's media type (listed in details.accepted)",
    422: "document_unparseable (a file its parser cannot read), parse_budget_exceeded (ingest.max_parse_seconds)",
    429: "rate_limited, token_budget_exhausted, too_many_sessions (with Retry-After)",
    503: "a dependency is unavailable or the server is busy (with Retry-After)",
}

EVERY_ROUTE = (400, 401, 403, 429, 503)
"""Host check, authentication, scopes, rate limits, dependencies."""
WITH_BODY = (408, 413, 415)
"""Routes that read a request body."""


def problem_responses(*statuses: int, body: bool = False) -> dict[int, ResponseSpec]:
    """``responses=`` for a route decorator: every route's statuses, the body ones if ``body``, and ``statuses``."""
    codes = sorted({*EVERY_ROUTE, *(WITH_BODY if body else ()), *statuses})
    return {
        code: ResponseSpec(data_container=Problem, media_type=PROBLEM_JSON, description=WHY.get(code, "problem"))
        for code in codes
    }


__all__ = ["EVERY_ROUTE", "WITH_BODY", "Problem", "problem_responses"]
