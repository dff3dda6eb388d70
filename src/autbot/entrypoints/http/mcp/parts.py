"""What the MCP server is built from: the REST routes' use cases and the app's rate limiter, metrics and bounds.

A module without the SDK: the app factory builds these at start-up; the SDK is imported, and the server built from
them, on the first ``/mcp`` request (``endpoint``).
"""

from __future__ import annotations

from dataclasses import dataclass

from autbot.entrypoints.http.streaming.draining import Draining
from autbot.entrypoints.observability.telemetry import Metrics
from autbot.ports.rate_limiter import RateLimiter
from autbot.use_cases.answer import AnswerQuestion, StreamAnswer
from autbot.use_cases.documents import GetDocument, ListCollections
from autbot.use_cases.search import SearchChunks


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolUseCases:
    """The use cases behind the tools: the REST routes' own."""

    search_chunks: SearchChunks
    answer_question: AnswerQuestion
    stream_answer: StreamAnswer
    list_collections: ListCollections
    get_document: GetDocument


@dataclass(frozen=True, slots=True, kw_only=True)
class McpParts:
    use_cases: ToolUseCases
    metrics: Metrics
    limiter: RateLimiter | None
    """The REST routes' rate limiter; None when rate limits are off."""
    access_log: bool
    max_body_bytes: int
    """``server.max_request_bytes``."""
    body_timeout_s: float
    """``server.body_timeout_s``."""
    draining: Draining | None = None
    """The app's SIGTERM draining: a streamed ``ask`` still running at the grace's end ends ``shutting_down``."""
