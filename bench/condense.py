"""Condensing follow-ups with the default local model: does the standalone question that SmolLM2-135M writes
retrieve the document the conversation is about?

For each conversation (one question and its answer, then a follow-up), the top search hit (ONNX MiniLM, the
same store as bench/answers.py) is checked for three queries: the follow-up alone (the baseline: what a
stateless RAG endpoint would search), the follow-up appended to the last user question (a model-free
rewrite), and the model's rewrite through AutBot's own condensing prompt (``domain.conversation``).

    uv run python bench/condense.py
"""

from __future__ import annotations

import asyncio
import sys
import time

from autbot.adapters.chunk_index.memory import InMemoryChunkIndex
from autbot.adapters.embedders.onnx import OnnxEmbedder
from autbot.adapters.llm.llamacpp import LlamaCppLanguageModel
from autbot.adapters.locks.in_process import InProcessDocumentLocks
from autbot.adapters.registry.memory import InMemoryDocumentRegistry
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
from autbot.domain import limits
from autbot.domain.answers import ChatMessage, GenerationParams
from autbot.domain.conversation import condense_prompt, standalone_question
from autbot.domain.model import DocumentInput
from autbot.use_cases.ingest import IngestDocuments, IngestRequest
from autbot.use_cases.search import SearchChunks, SearchRequest

DOCS = {
    "eiffel": "The Eiffel Tower is a wrought-iron lattice tower in Paris, France. It was designed by the company "
    "of engineer Gustave Eiffel and completed in 1889. The tower is 330 metres tall.",
    "python": "Python is a programming language created by Guido van Rossum. Python was first released in 1991.",
    "coffee": "Coffee is brewed from roasted coffee beans. The coffee plant was first cultivated in Yemen in the "
    "15th century.",
    "moon": "The Moon is Earth's only natural satellite. Neil Armstrong was the first person to walk on the Moon, "
    "in July 1969.",
    "everest": "Mount Everest is the highest mountain above sea level. Its summit is 8,849 metres high and lies on "
    "the border between Nepal and China.",
    "rome": "Rome was not built in a day: the city grew over many centuries.",
    "bridges": "A bridge is built to span a physical obstacle such as a river or a valley.",
}
CONVERSATIONS = [
    ("How tall is the Eiffel Tower?", "The Eiffel Tower is 330 metres tall.", "And when was it built?", "eiffel"),
    ("Who created Python?", "Python was created by Guido van Rossum.", "When was it first released?", "python"),
    ("Where was coffee first cultivated?", "Coffee was first cultivated in Yemen.", "What is it brewed from?", "coffee"),
    ("Who first walked on the Moon?", "Neil Armstrong.", "In which year did he do it?", "moon"),
    ("How high is Mount Everest?", "Its summit is 8,849 metres high.", "Which countries is it in?", "everest"),
    ("Tell me about the Moon.", "The Moon is Earth's only natural satellite.", "Who walked on it first?", "moon"),
    ("Who designed the Eiffel Tower?", "The company of engineer Gustave Eiffel.", "How tall is it?", "eiffel"),
    ("How tall is the Eiffel Tower?", "It is 330 metres tall.", "Who created Python?", "python"),  # a new topic
]


async def main() -> int:
    embedder, chunks, registry = OnnxEmbedder(), InMemoryChunkIndex(), InMemoryDocumentRegistry()
    IngestDocuments(
        embedder=embedder,
        chunks=chunks,
        registry=registry,
        splitter=LlamaIndexTextSplitter(),
        locks=InProcessDocumentLocks(),
    ).execute(IngestRequest(collection="kb", documents=tuple(DocumentInput(id=k, text=v) for k, v in DOCS.items())))
    search = SearchChunks(embedder=embedder, chunks=chunks, registry=registry)
    llm = LlamaCppLanguageModel()
    params = GenerationParams(max_tokens=limits.CONDENSE_MAX_TOKENS, temperature=0.0)

    def top(query: str) -> str:
        return search.execute(SearchRequest(collection="kb", query=query, top_k=1))[0].chunk.document_id

    hits = {"follow-up alone": 0, "appended to the last question": 0, "SmolLM2 rewrite": 0}
    seconds = []
    for question, answer, follow_up, doc in CONVERSATIONS:
        history = (ChatMessage(role="user", content=question), ChatMessage(role="assistant", content=answer))
        started = time.perf_counter()
        completion = await llm.complete(condense_prompt(history, follow_up), params)
        seconds.append(time.perf_counter() - started)
        rewrite = standalone_question(completion.text, question=follow_up)
        found = {
            "follow-up alone": top(follow_up),
            "appended to the last question": top(f"{question} {follow_up}"),
            "SmolLM2 rewrite": top(rewrite),
        }
        for k, v in found.items():
            hits[k] += v == doc
        marks = " ".join(f"{k.split()[0]}={'ok' if v == doc else v}" for k, v in found.items())
        print(f"{follow_up!r:32} -> {rewrite!r:55} [{marks}]")
    n = len(CONVERSATIONS)
    print()
    for k, v in hits.items():
        print(f"{k:32} {v}/{n} conversations retrieve the right document first")
    print(f"condensing call: median {sorted(seconds)[n // 2]:.2f} s (max {limits.CONDENSE_MAX_TOKENS} tokens)")
    llm.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
