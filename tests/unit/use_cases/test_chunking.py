"""Chunking rules: the title is embedded with every chunk; sentences are kept whole when they fit."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
from autbot.domain.auth import ANONYMOUS
from autbot.domain.chunking import embedding_text
from autbot.domain.model import DocumentInput
from autbot.domain.retrieval import RetrievalOptions
from autbot.use_cases.ingest import IngestRequest
from autbot.use_cases.search import SearchRequest
from tests.support.fakes import World


class RecordingEmbedder(HashingEmbedder):
    """The hashing embedder, remembering every text it was given."""

    def __init__(self) -> None:
        super().__init__(dimension=128)
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.seen.extend(texts)
        return super().embed(texts)


def test_embedding_text() -> None:
    assert embedding_text("Eiffel Tower", "It is 330 m tall.") == "Eiffel Tower\n\nIt is 330 m tall."
    assert embedding_text(None, "x") == embedding_text("  ", "x") == "x"


def test_every_chunk_is_embedded_with_its_title_and_stored_without_it() -> None:
    world = World(chunk_size=32)
    embedder = RecordingEmbedder()
    ingest = world.ingester(embedder=embedder)
    text = " ".join(f"Sentence number {i} says something about the tower." for i in range(30))
    ingest.execute(
        IngestRequest(
            principal=ANONYMOUS,
            collection="kb",
            documents=(DocumentInput(id="t", title="Eiffel Tower", text=text), DocumentInput(id="u", text="untitled")),
        )
    )
    titled = [t for t in embedder.seen if t != "untitled"]
    assert len(titled) > 1
    assert all(t.startswith("Eiffel Tower\n\nSentence number") for t in titled)
    assert "untitled" in embedder.seen
    hits = world.searcher(embedder=embedder).execute(
        SearchRequest(principal=ANONYMOUS, collection="kb", query="tower", retrieval=RetrievalOptions(top_k=50))
    )
    assert all(not h.chunk.text.startswith("Eiffel Tower") for h in hits)  # the passage alone is stored
    assert {h.chunk.metadata.get("title") for h in hits if h.chunk.document_id == "t"} == {"Eiffel Tower"}


SPLITTER = LlamaIndexTextSplitter(chunk_size=48, chunk_overlap=8)
word = st.from_regex(r"[a-z]{1,9}", fullmatch=True)
sentence = st.lists(word, min_size=3, max_size=14).map(lambda w: " ".join(w).capitalize() + ".")
paragraph = st.lists(sentence, min_size=1, max_size=8).map(" ".join)
document = st.lists(paragraph, min_size=1, max_size=5).map("\n\n".join)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document)
def test_sentences_that_fit_a_chunk_are_never_cut(text: str) -> None:
    from llama_index.core.utils import get_tokenizer

    sentences = {s.strip() for s in text.replace("\n\n", " ").split(".") if s.strip()}
    assume(all(len(get_tokenizer()(s + ".")) <= 40 for s in sentences))  # each fits a chunk, with room
    for chunk in SPLITTER.split(text):
        body = chunk.strip()
        assert body[0].isupper(), chunk  # starts on a sentence boundary
        assert body.endswith("."), chunk  # and ends on one
        assert all(s.strip() in sentences for s in body.replace("\n\n", " ").split(".") if s.strip())
