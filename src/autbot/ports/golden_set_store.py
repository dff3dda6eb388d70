from __future__ import annotations

from typing import Protocol, runtime_checkable

from autbot.domain.golden_sets import Evaluation, GoldenSet


@runtime_checkable
class GoldenSetStore(Protocol):
    """Each collection's golden set and the evaluations run on it, stored beside the collection's records.

    It stores and reports; what a golden set may hold is checked in the domain. Every method raises
    ``IndexUnavailable`` when the store cannot answer.
    """

    def put(self, collection: str, golden: GoldenSet) -> None:
        """Store the collection's golden set whole, replacing any earlier one."""
        ...

    def get(self, collection: str) -> GoldenSet | None:
        """The collection's golden set, or None."""
        ...

    def add_evaluation(self, evaluation: Evaluation, *, keep: int) -> None:
        """Record an evaluation; only the ``keep`` newest of its collection are kept."""
        ...

    def evaluations(self, collection: str, *, limit: int) -> list[Evaluation]:
        """Up to ``limit`` of the collection's evaluations, newest first."""
        ...

    def remove(self, collection: str) -> None:
        """Forget the collection's golden set and evaluations (nothing if there are none)."""
        ...
