"""The use cases' limits, each read from settings (whose defaults come from ``autbot.domain.limits``)."""

from __future__ import annotations

from autbot.domain.model import Fusion
from autbot.entrypoints.settings import Settings
from autbot.use_cases.answer import AnswerLimits
from autbot.use_cases.ingest import IngestLimits
from autbot.use_cases.search import SearchLimits
from autbot.use_cases.sessions import SessionLimits


def ingest_limits(s: Settings) -> IngestLimits:
    i = s.ingest
    return IngestLimits(
        max_document_chars=i.max_document_chars,
        max_documents_per_request=i.max_documents_per_request,
        embed_batch_size=i.embed_batch_size,
    )


def search_limits(s: Settings) -> SearchLimits:
    return SearchLimits(default_alpha=s.search.hybrid_alpha, fusion=Fusion(s.search.fusion))


def answer_limits(s: Settings) -> AnswerLimits:
    m = s.llm
    return AnswerLimits(
        default_top_k=m.default_top_k,
        max_prompt_tokens=m.max_prompt_tokens,
        max_output_tokens=m.max_output_tokens,
        default_output_tokens=m.default_output_tokens,
        timeout_s=m.timeout_s,
        min_vector_score=m.min_vector_score,
        daily_tokens_per_key=s.limits.daily_tokens_per_key,
    )


def session_limits(s: Settings) -> SessionLimits:
    return SessionLimits(max_per_key=s.sessions.max_per_key, ttl_s=s.sessions.ttl_s)
