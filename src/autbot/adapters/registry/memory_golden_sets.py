"""Golden sets and evaluations in memory: the fake (and the store of the in-memory backend)."""

from __future__ import annotations

import threading

from autbot.domain.golden_sets import Evaluation, GoldenSet


class InMemoryGoldenSetStore:
    def __init__(self) -> None:
        self._golden: dict[str, GoldenSet] = {}
        self._evaluations: dict[str, list[Evaluation]] = {}
        self._lock = threading.Lock()

    def put(self, collection: str, golden: GoldenSet) -> None:
        with self._lock:
            self._golden[collection] = golden

    def get(self, collection: str) -> GoldenSet | None:
        with self._lock:
            return self._golden.get(collection)

    def add_evaluation(self, evaluation: Evaluation, *, keep: int) -> None:
        with self._lock:
            kept = [e for e in self._evaluations.get(evaluation.collection, []) if e.id != evaluation.id]
            kept.append(evaluation)
            kept.sort(key=lambda e: (e.created_at, e.id))
            self._evaluations[evaluation.collection] = kept[-keep:] if keep > 0 else []

    def evaluations(self, collection: str, *, limit: int) -> list[Evaluation]:
        with self._lock:
            return list(reversed(self._evaluations.get(collection, [])))[:limit]

    def remove(self, collection: str) -> None:
        with self._lock:
            self._golden.pop(collection, None)
            self._evaluations.pop(collection, None)
