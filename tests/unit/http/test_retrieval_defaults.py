"""Which retrieval mode each entry point uses when the request does not say (``domain.limits``)."""

from __future__ import annotations

import msgspec

from autbot.domain import limits
from autbot.domain.model import ANSWER_MODE, SearchMode
from autbot.entrypoints.http.schemas.collections import QueryBody, SearchBody
from autbot.entrypoints.http.schemas.openai import AutbotOptions
from autbot.entrypoints.http.schemas.sessions import SessionMessageBody


def test_answers_default_to_hybrid_and_search_to_vector() -> None:
    assert limits.DEFAULT_ANSWER_MODE == "hybrid"
    assert limits.DEFAULT_SEARCH_MODE == "vector"
    assert msgspec.json.decode(b'{"question": "q"}', type=QueryBody).mode == "hybrid"
    assert msgspec.json.decode(b'{"question": "q"}', type=SessionMessageBody).mode == "hybrid"
    assert msgspec.json.decode(b"{}", type=AutbotOptions).mode == "hybrid"
    assert msgspec.json.decode(b"{}", type=AutbotOptions).options().mode is ANSWER_MODE is SearchMode.HYBRID
    assert msgspec.json.decode(b'{"query": "q"}', type=SearchBody).mode == "vector"  # scores stay cosines
    assert msgspec.json.decode(b'{"question": "q", "mode": "vector"}', type=QueryBody).mode == "vector"
