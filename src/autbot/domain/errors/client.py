"""Errors of the caller: what the request asked cannot be done as asked (4xx)."""

from __future__ import annotations

from autbot.domain.errors.base import AutbotError


# --- the caller did something wrong -------------------------------------------------------------
class InvalidInput(AutbotError):
    code = "invalid_input"
    default_message = "The request is not valid."


class UnsupportedMediaType(InvalidInput):
    code = "unsupported_media_type"
    default_message = "This file type is not supported."


class DocumentTooLarge(InvalidInput):
    code = "document_too_large"
    default_message = "The document is larger than the configured limit."


class EmptyDocument(InvalidInput):
    code = "empty_document"
    default_message = "The document contains no text."


class InvalidEncoding(InvalidInput):
    code = "invalid_encoding"
    default_message = "The text is not valid in a supported encoding."


class DocumentUnparseable(InvalidInput):
    """A file of a supported type whose content its parser cannot read: malformed, nested too deeply, or
    one that made the parser fail."""

    code = "document_unparseable"
    default_message = "The document could not be parsed."


class ParseBudgetExceeded(DocumentUnparseable):
    """Extracting a file's text took longer than ``ingest.max_parse_seconds``; the parser was stopped."""

    code = "parse_budget_exceeded"
    default_message = "Reading the document took longer than the configured limit."


class UnsupportedSearchMode(InvalidInput):
    code = "search_mode_unsupported"
    default_message = "The configured vector index does not support this search mode."


class UnsupportedParameter(InvalidInput):
    """A request parameter whose meaning AutBot cannot honour (``n`` > 1, tools, JSON mode, ...)."""

    code = "unsupported_parameter"
    default_message = "This parameter is not supported."


class InvalidGoldenSet(InvalidInput):
    """A golden set that breaks its rules (``domain.golden_sets``): ``details`` name the ``field``."""

    code = "invalid_golden_set"
    default_message = "The golden set is not valid."


class MalformedRequest(InvalidInput):
    """Bytes the HTTP/1.1 parser cannot read as a request (the connection is closed after the answer)."""

    code = "malformed_request"
    default_message = "The request is not valid HTTP/1.1."


class RequestTooLarge(InvalidInput):
    """A request past a size the server reads: its body over ``server.max_request_bytes``."""

    code = "request_too_large"
    default_message = "The request is larger than this server accepts."


class FormTooLarge(RequestTooLarge):
    """A multipart form past its parser's limits: too many parts, or a part with too many or too long headers."""

    code = "form_too_large"
    default_message = "The multipart form has more parts, or larger part headers, than this server accepts."


class RequestHeadTooLarge(RequestTooLarge):
    """The request line and headers together over ``server.max_head_bytes`` (answered by the server itself)."""

    code = "request_head_too_large"
    default_message = "The request line and headers are larger than this server accepts."


class UpstreamRejected(InvalidInput):
    """A backing service answered that the request is not valid (the language model's HTTP 400, 413 or 422,
    the vector store's validation error): the service is up and no circuit breaker counts this; the request
    (a question or history longer than the model takes, a name the store refuses) has to change."""

    code = "upstream_rejected"
    default_message = "A backing service refused the request as not valid."


class Conflict(AutbotError):
    code = "conflict"
    default_message = "The request conflicts with the current state."


class EmbeddingModelMismatch(Conflict):
    code = "embedding_model_mismatch"
    default_message = "The collection was built with a different embedding model."


# --- who is calling, and how often ---------------------------------------------------------------
class Unauthorized(AutbotError):
    code = "unauthorized"
    default_message = "A valid API key is required."


class Forbidden(AutbotError):
    code = "forbidden"
    default_message = "This key may not do that."


class RateLimited(AutbotError):
    """``details["retry_after_s"]`` says when to try again."""

    code = "rate_limited"
    default_message = "Too many requests; slow down."


class CostExceedsLimit(InvalidInput):
    """A request that costs more than its rate limit allows in a whole window (``limits.ingest`` counts
    characters, ``limits.embeddings`` texts): waiting never helps; split it."""

    code = "request_exceeds_rate_limit"
    default_message = "This request costs more than the rate limit allows in a whole window; split it."


class TooManySessions(RateLimited):
    """The caller keeps ``sessions.max_per_key`` live sessions: delete one (or wait until the least recently
    used expires, ``details["retry_after_s"]``)."""

    code = "too_many_sessions"
    default_message = "This key has as many sessions as it may keep; delete one first."


class JobLimitReached(RateLimited):
    """A caller's unfinished jobs (or their documents) are at ``jobs.max_queued_*_per_key``."""

    code = "job_limit_reached"
    default_message = "Too many unfinished jobs for this key; wait for some to finish."


class BudgetExhausted(RateLimited):
    code = "token_budget_exhausted"
    default_message = "The token budget of this key is spent until it resets."


class Overloaded(AutbotError):
    """The server is at capacity right now (a bounded queue is full); try again shortly."""

    code = "server_busy"
    default_message = "The server is busy; try again shortly."


# --- something the caller named does not exist ----------------------------------------------------
class NotFound(AutbotError):
    code = "not_found"
    default_message = "Not found."


class CollectionNotFound(NotFound):
    code = "collection_not_found"
    default_message = "No such collection."


class DocumentNotFound(NotFound):
    code = "document_not_found"
    default_message = "No such document."


class ModelNotFound(NotFound):
    code = "model_not_found"
    default_message = "No such model."


class JobNotFound(NotFound):
    code = "job_not_found"
    default_message = "No such job."


class SessionNotFound(NotFound):
    code = "session_not_found"
    default_message = "No such session."


class GoldenSetNotFound(NotFound):
    code = "golden_set_not_found"
    default_message = "The collection has no golden set."
