"""Golden sets (a collection's judged queries) and the evaluations run on them (pure, standard library only).

A golden set is a list of queries, each with an id and a text, and graded relevance judgements (qrels): query id
-> document id -> grade, whole numbers from 0 to ``limits.MAX_RELEVANCE_GRADE`` where only grades above 0 count
as relevant (``domain.relevance``). An evaluation scores one ranking per query for each generation of the
collection's index; today a collection has one generation, ``live``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autbot.domain import limits
from autbot.domain.errors import InvalidGoldenSet
from autbot.domain.relevance import Quality

LIVE_GENERATION = "live"
"""The generation that serves reads."""
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
"""Query ids and judged document ids: the rule of document ids (``model.validate_document_id``), by fullmatch."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GoldenQuery:
    id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GoldenSet:
    queries: tuple[GoldenQuery, ...]
    qrels: Mapping[str, Mapping[str, int]]
    """Query id -> document id -> grade; every query id is one of ``queries``."""
    updated_at: float = 0.0

    @property
    def judgements(self) -> int:
        return sum(len(j) for j in self.qrels.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationFigures:
    """One generation's scores on the golden set: means over the judged queries, and search latency."""

    queries: int
    """Judged queries scored (those with a relevant document)."""
    ndcg_at_10: float
    recall_at_10: float
    recall_at_100: float
    mrr_at_10: float
    latency_p50_ms: float
    latency_p99_ms: float

    @classmethod
    def of(cls, quality: Quality, *, p50_ms: float, p99_ms: float) -> GenerationFigures:
        return cls(
            queries=quality.queries,
            ndcg_at_10=quality.ndcg_at_10,
            recall_at_10=quality.recall_at_10,
            recall_at_100=quality.recall_at_100,
            mrr_at_10=quality.mrr_at_10,
            latency_p50_ms=p50_ms,
            latency_p99_ms=p99_ms,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    id: str
    collection: str
    created_at: float
    mode: str
    """The search mode the queries ran in."""
    generations: Mapping[str, GenerationFigures]


def golden_set(queries: Sequence[tuple[str, str]], qrels: Mapping[str, Mapping[str, int]]) -> GoldenSet:
    """A checked golden set from (id, text) pairs and qrels; ``InvalidGoldenSet`` names the broken rule."""
    if not queries:
        raise InvalidGoldenSet("A golden set needs at least one query.", field="queries")
    if len(queries) > limits.MAX_GOLDEN_QUERIES:
        raise InvalidGoldenSet(f"A golden set holds at most {limits.MAX_GOLDEN_QUERIES} queries.", field="queries")
    checked = tuple(_query(qid, text) for qid, text in queries)
    ids = {q.id for q in checked}
    if len(ids) != len(checked):
        raise InvalidGoldenSet("Query ids must be unique.", field="queries")
    return GoldenSet(queries=checked, qrels=_qrels(qrels, ids))


def _query(qid: str, text: str) -> GoldenQuery:
    _id(qid, field="queries.id")
    stripped = text.strip() if isinstance(text, str) else ""
    if not stripped or len(stripped) > limits.MAX_QUERY_CHARS:
        raise InvalidGoldenSet(
            f"Query '{qid}': the text must be 1 to {limits.MAX_QUERY_CHARS} characters.", field="queries.text"
        )
    return GoldenQuery(id=qid, text=stripped)


def _qrels(raw: Mapping[str, Mapping[str, int]], ids: set[str]) -> dict[str, dict[str, int]]:
    if sum(len(j) for j in raw.values()) > limits.MAX_GOLDEN_JUDGEMENTS:
        raise InvalidGoldenSet(f"A golden set holds at most {limits.MAX_GOLDEN_JUDGEMENTS} judgements.", field="qrels")
    out: dict[str, dict[str, int]] = {}
    for qid, judgements in raw.items():
        if qid not in ids:
            raise InvalidGoldenSet(f"qrels name query '{str(qid)[:160]}', which is not in queries.", field="qrels")
        out[qid] = {_id(doc, field="qrels"): _grade(grade, qid, doc) for doc, grade in judgements.items()}
    if not any(g > 0 for j in out.values() for g in j.values()):
        raise InvalidGoldenSet("No query has a relevant document (a grade above 0).", field="qrels")
    return out


def _id(value: Any, *, field: str) -> str:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise InvalidGoldenSet(
            "Query and document ids are 1-128 characters of letters, digits and . _ : @ -, starting with a letter "
            "or digit.",
            field=field,
            value=str(value)[:160],
        )
    return value


def _grade(grade: Any, qid: str, doc: str) -> int:
    if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= limits.MAX_RELEVANCE_GRADE:
        raise InvalidGoldenSet(
            f"Grade of '{doc}' for query '{qid}': a whole number from 0 to {limits.MAX_RELEVANCE_GRADE}.",
            field="qrels",
        )
    return grade
