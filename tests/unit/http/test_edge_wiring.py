"""The HTTP edge's own pieces: its transport errors (same codes and statuses, one problem table) and its
dependencies (each asked for by a handler, none bundled)."""

from __future__ import annotations

import pytest

from autbot.domain import errors as domain_errors
from autbot.domain.errors import AutbotError
from autbot.entrypoints.http.app import create_app
from autbot.entrypoints.http.errors.openai import error_of
from autbot.entrypoints.http.errors.problems import status_of
from autbot.entrypoints.http.errors.transport import CsrfRejected, InvalidHost, RequestTimeout, ShuttingDown
from autbot.entrypoints.settings import load_settings

FAKES = {
    "embedder": {"backend": "hashing"},
    "index": {"backend": "memory"},
    "llm": {"backend": "fake"},
    "auth": {"keys_backend": "memory"},
}


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (InvalidHost(), "invalid_host", 400),
        (CsrfRejected(), "csrf_rejected", 403),
        (RequestTimeout(), "request_timeout", 408),
        (ShuttingDown(), "shutting_down", 503),
    ],
)
def test_transport_errors_keep_their_codes_and_statuses(error: AutbotError, code: str, status: int) -> None:
    assert (error.code, status_of(error)) == (code, status)
    assert error_of(error)["error"]["code"] == code
    assert not hasattr(domain_errors, type(error).__name__)  # the domain does not know the transport


def test_every_dependency_is_asked_for_by_a_handler() -> None:
    app = create_app(load_settings("local", env={}, overrides=FAKES))
    asked = {
        name
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        for name in handler.parsed_fn_signature.parameters
    }
    assert set(app.dependencies) <= asked, set(app.dependencies) - asked
    assert {"chat_completions", "stream_chat_completions", "draining"} <= asked
