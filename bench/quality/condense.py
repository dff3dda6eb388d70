"""Condensing follow-ups with the default local model: does the standalone question that SmolLM2-135M writes
retrieve the document the conversation is about?

For each conversation (one question and its answer, then a follow-up), the top search hit (ONNX MiniLM, the
same store as bench/quality/answers.py) is checked for four queries: the follow-up alone (the baseline: what a
stateless RAG endpoint would search), the follow-up appended to the last user question (a model-free
rewrite), the model's rewrite through AutBot's own condensing prompt as the model wrote it, and the question
AutBot actually uses (``domain.conversation.standalone_question``: the rewrite when it is one, else the
follow-up with the previous question when it refers back).

    uv run python -m bench.quality.condense

Results: the counts in bench/results/condense.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from autbot.adapters.embedders.onnx import OnnxEmbedder
from autbot.adapters.llm.llamacpp import LlamaCppLanguageModel
from autbot.domain import limits
from autbot.domain.answers import ChatMessage, GenerationParams
from autbot.domain.auth import ANONYMOUS
from autbot.domain.conversation import condense_prompt, previous_question, standalone_question
from autbot.domain.retrieval import RetrievalOptions
from autbot.use_cases.search import SearchRequest
from bench._support.knowledge_base import in_memory
from bench._support.results import add_out_argument, write_json

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
    ("How tall is the Eiffel Tower?", "The Eiffel Tower is 330 metres tall.", "When was it completed?", "eiffel"),
    ("Who designed the Eiffel Tower?", "The company of engineer Gustave Eiffel.", "Where is it?", "eiffel"),
    ("When was the Eiffel Tower completed?", "It was completed in 1889.", "How high is it?", "eiffel"),
    ("Where is the Eiffel Tower?", "It is in Paris, France.", "What is it made of?", "eiffel"),
    ("Where is Mount Everest?", "On the border between Nepal and China.", "And how tall is it?", "everest"),
    ("Who first walked on the Moon?", "Neil Armstrong.", "When did he do that?", "moon"),
    ("Where was coffee first cultivated?", "Coffee was first cultivated in Yemen.", "In which century?", "coffee"),
    ("Where was coffee first cultivated?", "In Yemen.", "When was that?", "coffee"),
    ("Who created Python?", "Guido van Rossum created Python.", "When was it released?", "python"),
    ("How tall is the Eiffel Tower?", "It is 330 metres tall.", "Who created Python?", "python"),  # a new topic
]
"""The first is the canonical case ("And when was it built?"); the next eight retrieve the wrong document on
their own (chosen so); the last two need no history."""


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_out_argument(parser, "condense")
    args = parser.parse_args()
    search = in_memory(OnnxEmbedder(), DOCS)
    llm = LlamaCppLanguageModel(threads=1, parallel=1)  # one thread: steadier on a shared machine
    params = GenerationParams(max_tokens=limits.CONDENSE_MAX_TOKENS, temperature=0.0)

    def top(query: str) -> str:
        return search.execute(
            SearchRequest(principal=ANONYMOUS, collection="kb", query=query, retrieval=RetrievalOptions(top_k=1))
        )[0].chunk.document_id

    kinds = ("follow-up alone", "appended to the last question", "SmolLM2 rewrite as written", "AutBot's rule")
    hits = dict.fromkeys(kinds, 0)
    seconds = []
    for question, answer, follow_up, doc in CONVERSATIONS:
        history = (ChatMessage(role="user", content=question), ChatMessage(role="assistant", content=answer))
        started = time.perf_counter()
        completion = await llm.complete(condense_prompt(history, follow_up), params)
        seconds.append(time.perf_counter() - started)
        used = standalone_question(completion.text, question=follow_up, previous=previous_question(history))
        queries = (follow_up, f"{question} {follow_up}", completion.text.strip() or follow_up, used)
        found = dict(zip(kinds, (top(q) for q in queries), strict=True))
        for k, v in found.items():
            hits[k] += v == doc
        marks = " ".join("ok" if v == doc else v for v in found.values())
        print(f"{follow_up!r:26} model: {completion.text.strip()[:48]!r:52} used: {used[:60]!r:62} [{marks}]")
    n = len(CONVERSATIONS)
    print()
    for k, v in hits.items():
        print(f"{k:32} {v}/{n} conversations retrieve the right document first")
    median_s = sorted(seconds)[n // 2]
    print(f"condensing call: median {median_s:.2f} s (max {limits.CONDENSE_MAX_TOKENS} tokens)")
    llm.close()
    write_json(args.out, {"conversations": n, "right_document_first": hits, "condense_median_s": round(median_s, 2)})
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
