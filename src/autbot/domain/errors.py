"""One error tree with stable codes.

Every error AutBot raises on purpose derives from :class:`AutbotError`. The ``code`` is part of the
public API (it is the ``code`` field of the HTTP problem body) and never changes once released. Errors that only
the HTTP edge raises (the request's host, cross-site forms, a slow body, a draining server) extend this tree
where they are raised, in the entrypoints.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AutbotError(Exception):
    """Base of every AutBot error: a stable ``code``, a human message and structured ``details``."""

    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "An internal error occurred."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details: dict[str, Any] = details
        super().__init__(self.message)


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


# --- a dependency failed --------------------------------------------------------------------------
class DependencyUnavailable(AutbotError):
    code = "dependency_unavailable"
    default_message = "A backing service is unavailable."


class IndexUnavailable(DependencyUnavailable):
    code = "index_unavailable"
    default_message = "The vector index is unavailable."


class IndexWriteFailed(IndexUnavailable):
    code = "index_write_failed"
    default_message = "The vector index rejected part of a write; nothing was reported as stored."


class KeyStoreUnavailable(DependencyUnavailable):
    code = "key_store_unavailable"
    default_message = "The API key store is unavailable."


class AuditLogUnavailable(DependencyUnavailable):
    code = "audit_log_unavailable"
    default_message = "The audit log is unavailable."


class SessionStoreUnavailable(DependencyUnavailable):
    code = "session_store_unavailable"
    default_message = "The session store is unavailable."


class JobStoreUnavailable(DependencyUnavailable):
    """The job store, job queue or input store (SQLite files or Redis) failed."""

    code = "job_store_unavailable"
    default_message = "The job store is unavailable."


class EmbedderUnavailable(DependencyUnavailable):
    code = "embedder_unavailable"
    default_message = "The embedding model is unavailable."


class RateLimiterUnavailable(DependencyUnavailable):
    code = "rate_limiter_unavailable"
    default_message = "The shared rate limiter is unavailable (limits.requests_on_redis_failure = 'closed')."


class BudgetUnavailable(DependencyUnavailable):
    code = "budget_unavailable"
    default_message = "The token budget store is unavailable, so no answer can be charged; try again shortly."


class LanguageModelUnavailable(DependencyUnavailable):
    code = "llm_unavailable"
    default_message = "The language model is unavailable."


class DependencyTimeout(DependencyUnavailable):
    code = "dependency_timeout"
    default_message = "A backing service did not answer in time."


class LanguageModelTimeout(DependencyTimeout, LanguageModelUnavailable):
    code = "llm_timeout"
    default_message = "The language model did not answer in time."


class IndexTimeout(DependencyTimeout, IndexUnavailable):
    code = "index_timeout"
    default_message = "The vector index did not answer in time."


# --- the operator configured something wrong ------------------------------------------------------
class ConfigurationError(AutbotError):
    code = "configuration_error"
    default_message = "The configuration is not valid."


class MissingSecret(ConfigurationError):
    """A secret the configuration requires is missing or empty (its name is given, never a value)."""

    code = "missing_secret"
    default_message = "A required secret is missing."


class SchemaTooNew(ConfigurationError):
    """A store was written by a newer AutBot: its schema version is above every version this one knows."""

    code = "schema_too_new"
    default_message = "A store's schema version is newer than this AutBot knows."


class MigrationRequired(ConfigurationError):
    """A store is at an older schema version and start-up is set not to migrate (``storage.migrate_on_start``)."""

    code = "migration_required"
    default_message = "A store needs migrating: run 'autbot migrate'."
