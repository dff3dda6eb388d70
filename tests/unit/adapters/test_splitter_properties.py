"""Property: the splitter never loses or reorders text (chunks cover the words, in order)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter

CHUNK_SIZE = 32
SPLITTER = LlamaIndexTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=6)

words = st.from_regex(r"[A-Za-z]{1,10}[.,!?]?", fullmatch=True)
paragraph = st.lists(words, min_size=1, max_size=60).map(" ".join)
texts = st.lists(paragraph, min_size=1, max_size=6).map("\n\n".join)


def _covers(original: list[str], chunks: list[list[str]]) -> bool:
    """Can each chunk be placed as a run of the original words, in order (positions non-decreasing),
    with no gap between what the chunks cover, covering everything? (Backtracking over placements.)"""
    from functools import cache

    @cache
    def place(i: int, start: int, covered: int) -> bool:
        if i == len(chunks):
            return covered == len(original)
        needle = chunks[i]
        for at in range(start, min(covered, len(original) - len(needle)) + 1):
            if original[at : at + len(needle)] == needle and place(i + 1, at, max(covered, at + len(needle))):
                return True
        return False

    return place(0, 0, 0)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_chunks_cover_all_words_in_order(text: str) -> None:
    chunks = SPLITTER.split(text)
    assert chunks
    assert _covers(text.split(), [c.split() for c in chunks]), chunks


@settings(max_examples=50, deadline=None)
@given(texts)
def test_no_chunk_exceeds_the_chunk_size(text: str) -> None:
    """The embedder truncates what does not fit, so an oversized chunk would lose words from the index."""
    from llama_index.core.utils import get_tokenizer

    tokens = get_tokenizer()
    assert all(len(tokens(c)) <= CHUNK_SIZE for c in SPLITTER.split(text))
