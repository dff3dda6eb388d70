"""Route descriptions show the values of ``domain.limits``, never a name or a number that drifts."""

from __future__ import annotations

import re

from autbot.domain import limits
from autbot.entrypoints.http.schemas.openapi_text import described
from autbot.use_cases.chat import ChatCompletions
from autbot.use_cases.embeddings import EmbedTexts
from autbot.use_cases.search import SearchChunks
from autbot.use_cases.sessions import ListSessions


def test_a_named_limit_is_shown_as_its_value() -> None:
    class Rule:
        """``top_k`` is 1-``limits.MAX_TOP_K``; temperature 0-``limits.MAX_TEMPERATURE``; ``limits.CHAT_ALIASES``."""

    text = described(Rule)
    assert text == f"``top_k`` is 1-{limits.MAX_TOP_K:,}; temperature 0-{limits.MAX_TEMPERATURE:g}; ('chat',)."


def test_the_use_case_descriptions_take_their_numbers_from_the_limits() -> None:
    search = described(SearchChunks)
    assert f"default {limits.DEFAULT_SEARCH_TOP_K})" in search
    assert f"1-{limits.MAX_QUERY_CHARS:,} characters" in search
    assert f"at most {limits.MAX_STOP_SEQUENCES} ``stop`` strings" in described(ChatCompletions)
    assert f"{limits.MAX_EMBED_TOTAL_CHARS:,} together" in described(EmbedTexts)
    assert f"default {limits.SESSIONS_LISTED}" in described(ListSessions)
    for use_case in (SearchChunks, ChatCompletions, EmbedTexts, ListSessions):
        assert not re.search(r"``limits\.", described(use_case))
