"""Errors of re-indexing and switching a collection's generations."""

from __future__ import annotations

from autbot.domain.errors.client import Conflict, NotFound


class GenerationNotFound(NotFound):
    code = "generation_not_found"
    default_message = "The collection has no such generation."


class ReindexInProgress(Conflict):
    """``details["job_id"]`` names the re-index under way."""

    code = "reindex_in_progress"
    default_message = "A re-index of this collection is already under way."


class GenerationNotActivatable(Conflict):
    code = "generation_not_activatable"
    default_message = "This generation cannot be switched to."


class RollbackUnavailable(Conflict):
    code = "rollback_unavailable"
    default_message = "The collection has no retained previous generation to roll back to."


class SourceTextMissing(Conflict):
    """A document ingested before source texts were kept: only ingesting it again rebuilds it."""

    code = "source_text_missing"
    default_message = "The document's source text is not stored; ingest it again to re-index it."
