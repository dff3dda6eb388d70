"""Which request a piece of work belongs to: the request id, carried by a context variable.

The HTTP edge sets it for each request (``X-Request-ID`` accepted when valid, else generated); log lines,
spans and outbound calls to an LLM endpoint read it. A context variable follows the request into
``asyncio`` tasks and the worker threads that ``asyncio.to_thread`` / anyio start.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

from autbot.domain.limits import MAX_REQUEST_ID_CHARS

REQUEST_ID: ContextVar[str | None] = ContextVar("autbot_request_id", default=None)
"""The current request's id (None outside a request)."""

_VALID = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_REQUEST_ID_CHARS}}}")


def new_request_id() -> str:
    """32 random hex digits (what ``uuid4().hex`` gives, without building a UUID: a quarter of the cost)."""
    return os.urandom(16).hex()


def accepted_request_id(presented: str | None) -> str:
    """The client's id when it is 1-128 characters of ``[A-Za-z0-9._-]`` (safe in logs and headers),
    else a new one."""
    if presented is not None and _VALID.fullmatch(presented):
        return presented
    return new_request_id()


def current_request_id() -> str | None:
    return REQUEST_ID.get()
