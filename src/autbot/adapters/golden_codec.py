"""Golden sets and evaluations as JSON text, for the stores that keep them as one value (SQLite, Weaviate)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from autbot.domain.golden_sets import Evaluation, GenerationFigures, GoldenQuery, GoldenSet


def golden_json(golden: GoldenSet) -> str:
    queries = [[q.id, q.text] for q in golden.queries]
    return json.dumps({"queries": queries, "qrels": golden.qrels}, separators=(",", ":"))


def golden_of(body: str, updated_at: float) -> GoldenSet:
    raw: dict[str, Any] = json.loads(body)
    queries = tuple(GoldenQuery(id=str(q[0]), text=str(q[1])) for q in raw["queries"])
    qrels = {str(q): {str(d): int(g) for d, g in j.items()} for q, j in raw["qrels"].items()}
    return GoldenSet(queries=queries, qrels=qrels, updated_at=updated_at)


def evaluation_json(evaluation: Evaluation) -> str:
    generations = {name: asdict(f) for name, f in evaluation.generations.items()}
    return json.dumps({"mode": evaluation.mode, "generations": generations}, separators=(",", ":"))


def evaluation_of(collection: str, eid: str, created_at: float, body: str) -> Evaluation:
    raw: dict[str, Any] = json.loads(body)
    generations = {name: GenerationFigures(**f) for name, f in raw["generations"].items()}
    return Evaluation(id=eid, collection=collection, created_at=created_at, mode=raw["mode"], generations=generations)
