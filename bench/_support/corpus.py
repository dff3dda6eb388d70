"""Synthetic documents and queries: the same texts in every run."""

from __future__ import annotations

import random
from typing import Any

WORDS = [
    "river", "mountain", "engine", "protocol", "harvest", "lattice", "signal", "archive", "orbit", "glacier",
    "theory", "market", "compiler", "vaccine", "satellite", "festival", "copper", "algorithm", "harbor", "desert",
    "language", "circuit", "forest", "ledger", "tower", "voltage", "museum", "enzyme", "planet", "bridge",
]  # fmt: skip
SEARCH: dict[str, Any] = {"query": "where do penguins live", "top_k": 5}
"""The search every overhead suite sends."""
PENGUINS: dict[str, str] = {
    "id": "d0",
    "title": "Penguins",
    "text": "Penguins live in the southern hemisphere, on ice and rocks. " * 8,
}
"""One document that ``SEARCH`` finds."""
CITIES = ["Varnholt", "Quillmere", "Ostrevan", "Delmaris", "Kettleby", "Sorrowgate", "Brindlemoor", "Ashcombe"]
THINGS = ["lighthouse", "bell tower", "ferry", "observatory", "library", "bridge", "market", "mill", "canal", "fort"]


def corpus(n_docs: int, seed: int = 0) -> list[Any]:
    """``n_docs`` documents of 6 paragraphs of random sentences from ``WORDS`` (``DocumentInput``s)."""
    from autbot.domain.model import DocumentInput

    rng = random.Random(seed)
    docs = []
    for d in range(n_docs):
        paragraphs = []
        for _ in range(6):
            sentences = [
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
                for _ in range(rng.randint(3, 6))
            ]
            paragraphs.append(" ".join(sentences))
        docs.append(DocumentInput(id=f"doc-{d}", text="\n\n".join(paragraphs)))
    return docs


def queries(n: int) -> list[str]:
    """``n`` short distinct questions."""
    words = WORDS[:12]
    return [f"how does the {words[i % 12]} relate to the {words[(i * 7) % 12]} number {i}" for i in range(n)]


def penguin_docs(n: int = 20) -> list[dict[str, str]]:
    """``n`` short documents as the HTTP API takes them, all matching ``SEARCH``."""
    return [{"id": f"d{i}", "title": f"Doc {i}", "text": f"Penguins and glaciers, fact {i}. " * 8} for i in range(n)]


def fictional_facts(n: int) -> tuple[list[dict[str, str]], list[str]]:
    """Fictional facts (the model cannot know them): one document and one question each."""
    docs, questions = [], []
    for i in range(n):
        city, thing = CITIES[i % len(CITIES)], THINGS[(i * 3) % len(THINGS)]
        year = 1700 + 7 * i
        text = (
            f"The {thing} of {city} number {i} was built in {year} by the guild of {CITIES[(i + 3) % len(CITIES)]}. "
            f"It is painted {['red', 'green', 'blue', 'ochre'][i % 4]} and stands near the old harbour. "
            f"Visitors may enter it on the first Sunday of each month."
        )
        docs.append({"id": f"fact{i}", "title": f"{thing.title()} {i} of {city}", "text": text})
        questions.append(f"When was the {thing} of {city} number {i} built?")
    return docs, questions
