"""Several embedding models at once: each collection is embedded and searched with its own model."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.adapters.chunk_index.memory import InMemoryChunkIndex
from autbot.adapters.embedders.catalogue import PrefixedEmbedder, ServedModel, StaticEmbedderCatalogue
from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.locks.in_process import InProcessDocumentLocks
from autbot.adapters.registry.memory import InMemoryDocumentRegistry
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
from autbot.domain.auth import ANONYMOUS
from autbot.domain.embedding_models import KNOWN_MODELS, known_model
from autbot.domain.errors import ConfigurationError, EmbeddingModelMismatch, ModelNotFound
from autbot.domain.model import CollectionInfo, DocumentInput
from autbot.use_cases.embeddings import EmbedRequest, EmbedTexts
from autbot.use_cases.ingest import IngestDocuments, IngestRequest
from autbot.use_cases.models import DescribeModel, ListModels, ListModelsRequest, ModelRef
from autbot.use_cases.search import SearchChunks, SearchRequest


class Recording(HashingEmbedder):
    """A hashing model that remembers the texts it embedded."""

    def __init__(self, *, dimension: int, model_id: str) -> None:
        super().__init__(dimension=dimension, model_id=model_id)
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.seen.extend(texts)
        return super().embed(texts)


class Models:
    """Two models served: ``small`` (the default, no prefixes) and ``prefixed`` (query and passage prefixes)."""

    def __init__(self) -> None:
        self.small = Recording(dimension=64, model_id="small-id")
        self.prefixed = Recording(dimension=32, model_id="prefixed-id")
        self.catalogue = StaticEmbedderCatalogue(
            [
                ServedModel(name="small", passages=self.small, queries=self.small),
                ServedModel(
                    name="prefixed",
                    passages=PrefixedEmbedder(self.prefixed, "passage: "),
                    queries=PrefixedEmbedder(self.prefixed, "query: "),
                ),
            ],
            default="small",
        )
        self.registry = InMemoryDocumentRegistry()
        self.chunks = InMemoryChunkIndex()
        self.ingest = IngestDocuments(
            embedders=self.catalogue,
            chunks=self.chunks,
            registry=self.registry,
            splitter=LlamaIndexTextSplitter(chunk_size=64, chunk_overlap=8),
            locks=InProcessDocumentLocks(),
        )
        self.search = SearchChunks(embedders=self.catalogue, chunks=self.chunks, registry=self.registry)

    def add(self, collection: str, text: str, *, embedder: str | None = None, doc_id: str = "d") -> None:
        doc = DocumentInput(id=doc_id, text=text)
        self.ingest.execute(
            IngestRequest(principal=ANONYMOUS, collection=collection, documents=(doc,), embedder=embedder)
        )

    def find(self, collection: str, query: str) -> list[str]:
        hits = self.search.execute(SearchRequest(principal=ANONYMOUS, collection=collection, query=query))
        return [h.chunk.document_id for h in hits]


def test_a_new_collection_gets_the_model_its_first_ingestion_names_else_the_default() -> None:
    m = Models()
    m.add("plain", "Glaciers carve valleys.")
    m.add("tuned", "Rivers carry sediment.", embedder="prefixed")
    assert m.registry.get_collection("plain") == CollectionInfo(name="plain", embedding_model="small-id", dimension=64)
    assert m.registry.get_collection("tuned") == CollectionInfo(
        name="tuned", embedding_model="prefixed-id", dimension=32
    )
    assert m.prefixed.seen == ["passage: Rivers carry sediment."]
    assert m.small.seen == ["Glaciers carve valleys."]


def test_each_collection_is_searched_with_its_own_model_and_its_query_prefix() -> None:
    m = Models()
    m.add("plain", "Glaciers carve valleys.")
    m.add("tuned", "Rivers carry sediment.", embedder="prefixed-id")  # the model id names it too
    m.small.seen.clear()
    m.prefixed.seen.clear()
    assert m.find("tuned", "rivers") == ["d"]
    assert m.prefixed.seen == ["query: rivers"]
    assert m.small.seen == []
    assert m.find("plain", "glaciers") == ["d"]
    assert m.small.seen == ["glaciers"]


def test_later_ingestions_use_the_collections_model_and_may_not_name_another() -> None:
    m = Models()
    m.add("tuned", "Rivers carry sediment.", embedder="prefixed")
    m.add("tuned", "Deltas form at river mouths.", doc_id="e")  # no model named: the collection's own
    m.add("tuned", "Floods spread silt.", doc_id="f", embedder="prefixed")  # its own, named: fine
    with pytest.raises(EmbeddingModelMismatch) as refused:
        m.add("tuned", "Lakes freeze.", doc_id="g", embedder="small")
    assert refused.value.details["collection_model"] == "prefixed-id"
    assert set(m.registry.get_documents("tuned", ["d", "e", "f", "g"])) == {"d", "e", "f"}


def test_naming_a_model_not_served_is_model_not_found_and_creates_nothing() -> None:
    m = Models()
    with pytest.raises(ModelNotFound) as e:
        m.add("new", "Anything.", embedder="bge-large")
    assert e.value.details["served"] == ["small", "prefixed"]
    assert e.value.details["field"] == "embedder"
    assert m.registry.get_collection("new") is None


def test_a_collection_whose_model_is_not_served_is_refused_for_reads_and_writes() -> None:
    m = Models()
    m.registry.add_collection(CollectionInfo(name="old", embedding_model="retired-id", dimension=64))
    with pytest.raises(EmbeddingModelMismatch, match="does not serve"):
        m.find("old", "anything")
    with pytest.raises(EmbeddingModelMismatch, match="does not serve"):
        m.add("old", "Anything.")


def test_the_catalogue_finds_a_model_by_name_or_id_and_lists_the_default_first() -> None:
    m = Models()
    assert m.catalogue.served() == ("small", "prefixed")
    assert m.catalogue.default_model == "small"
    assert m.catalogue.passages("prefixed-id").model_id == "prefixed-id"
    with pytest.raises(ModelNotFound):
        m.catalogue.queries("nope")
    with pytest.raises(ConfigurationError):
        StaticEmbedderCatalogue([ServedModel(name="a", passages=m.small, queries=m.small)], default="b")


async def test_openai_embeddings_name_any_model_served_or_the_alias_of_the_default() -> None:
    m = Models()
    embed = EmbedTexts(embedders=m.catalogue, embedding_alias="embedding")
    assert len((await embed.execute(EmbedRequest(model="prefixed", texts=("x",)))).vectors[0]) == 32
    assert m.prefixed.seen == ["passage: x"]  # embedded as a passage, as ingestion does
    assert len((await embed.execute(EmbedRequest(model="embedding", texts=("x",)))).vectors[0]) == 64
    assert (await embed.execute(EmbedRequest(model="small-id", texts=("x",)))).model == "small-id"
    with pytest.raises(ModelNotFound) as e:
        await embed.execute(EmbedRequest(model="text-embedding-3-small", texts=("x",)))
    assert e.value.details["field"] == "model"


def test_the_model_list_names_every_embedding_model_served() -> None:
    m = Models()
    cards = ListModels(
        registry=m.registry, embedders=m.catalogue, chat_aliases=("chat",), embedding_alias="embedding"
    ).execute(ListModelsRequest(principal=ANONYMOUS))
    assert [c.id for c in cards if c.kind == "embedding"] == ["small", "prefixed"]
    describe = DescribeModel(
        registry=m.registry, embedders=m.catalogue, chat_aliases=("chat",), embedding_alias="embedding"
    )
    assert describe.execute(ModelRef(principal=ANONYMOUS, model="prefixed-id")).kind == "embedding"
    with pytest.raises(ModelNotFound):
        describe.execute(ModelRef(principal=ANONYMOUS, model="bge-large"))


def test_the_known_models_and_their_prefixes() -> None:
    assert [s.name for s in KNOWN_MODELS] == ["all-MiniLM-L6-v2", "bge-small-en-v1.5", "e5-small-v2"]
    bge, e5 = known_model("bge-small-en-v1.5"), known_model("e5-small-v2-onnx-int8")
    assert (bge.pooling, bge.query_prefix, bge.passage_prefix) == (
        "cls",
        "Represent this sentence for searching relevant passages: ",
        "",
    )
    assert (e5.pooling, e5.query_prefix, e5.passage_prefix) == ("mean", "query: ", "passage: ")
    assert all(s.dimension == 384 for s in KNOWN_MODELS)
    with pytest.raises(ModelNotFound, match="known"):
        known_model("gte-small")


@given(names=st.lists(st.from_regex(r"[a-z][a-z0-9.-]{0,20}", fullmatch=True), min_size=1, max_size=5, unique=True))
def test_any_catalogue_finds_each_model_by_name_and_id_and_lists_the_default_first(names: list[str]) -> None:
    models = [HashingEmbedder(dimension=8, model_id=f"{n}#id") for n in names]
    served = [
        ServedModel(name=n, passages=e, queries=PrefixedEmbedder(e, "q ")) for n, e in zip(names, models, strict=True)
    ]
    catalogue = StaticEmbedderCatalogue(served, default=names[-1])
    assert catalogue.served()[0] == names[-1]
    assert sorted(catalogue.served()) == sorted(names)
    for name, embedder in zip(names, models, strict=True):
        assert catalogue.passages(name) is embedder
        assert catalogue.passages(embedder.model_id) is embedder
        assert catalogue.queries(name).model_id == embedder.model_id
