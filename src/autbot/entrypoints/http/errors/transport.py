"""Errors only the HTTP edge raises: the request's transport (host, cross-site forms, a slow body) and a draining
server. They belong to the one error tree (``domain.errors``) and its stable codes; ``problems.STATUS`` maps them
with the rest."""

from __future__ import annotations

from autbot.domain.errors import AutbotError, Forbidden, InvalidInput, Overloaded


class InvalidHost(InvalidInput):
    """The ``Host`` header names no host in ``server.allowed_hosts`` (DNS rebinding defence)."""

    code = "invalid_host"
    default_message = "This server does not answer to that host name."


class RequestTimeout(AutbotError):
    """The request body did not arrive within ``server.body_timeout_s``."""

    code = "request_timeout"
    default_message = "The request body did not arrive in time."


class CsrfRejected(Forbidden):
    """A state-changing form upload from another origin, without an API key (cross-site request forgery)."""

    code = "csrf_rejected"
    default_message = "Cross-origin form uploads need an API key."


class ShuttingDown(Overloaded):
    """The server received SIGTERM: an answer stream ends with this, and new work should go elsewhere."""

    code = "shutting_down"
    default_message = "The server is shutting down; retry on another instance."
