"""Errors of AutBot's side: a dependency unavailable or slow, a configuration that cannot start (5xx)."""

from __future__ import annotations

from autbot.domain.errors.base import AutbotError


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


class IdentityProviderUnavailable(DependencyUnavailable):
    """An OIDC provider's discovery document or keys (JWKS) could not be fetched, so a token it signed could
    not be checked (its signature is neither accepted nor refused)."""

    code = "identity_provider_unavailable"
    default_message = "The identity provider is unavailable."


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
