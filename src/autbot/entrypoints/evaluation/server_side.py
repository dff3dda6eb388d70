"""``autbot eval --server-side``: the server runs the collection's golden set (``POST .../evaluations``). With a
dataset, its judged queries become the golden set first (``PUT .../golden-set``), after ingesting its corpus
unless the collection already holds it."""

from __future__ import annotations

from typing import Any

from autbot.domain import limits
from autbot.domain.model import SearchMode
from autbot.entrypoints.evaluation.dataset import BeirDataset, safe_id
from autbot.entrypoints.evaluation.runner import EvalOptions, ingest
from autbot.entrypoints.evaluation.targets import HttpTarget


def golden_body(dataset: BeirDataset) -> dict[str, Any]:
    """The dataset's judged queries and their judgements as a golden set body (grades clipped to the range a
    golden set accepts; negative grades count as not relevant either way)."""
    ids = {qid: safe_id(qid) for qid in dataset.queries}
    qrels = {
        ids[qid]: {doc: min(max(grade, 0), limits.MAX_RELEVANCE_GRADE) for doc, grade in judgements.items()}
        for qid, judgements in dataset.qrels.items()
        if qid in ids
    }
    return {"queries": [{"id": ids[q], "text": text} for q, text in dataset.queries.items()], "qrels": qrels}


def evaluate_on_server(
    target: HttpTarget, collection: str, *, dataset: BeirDataset | None, mode: SearchMode, progress: bool
) -> dict[str, Any]:
    """The server's evaluation (its JSON body), after uploading ``dataset`` as the golden set if given."""
    if dataset is not None:
        if target.documents(collection) < len(dataset.corpus):
            ingest(target, dataset, EvalOptions(collection=collection, progress=progress))
        target.put_golden_set(collection, golden_body(dataset))
    return target.evaluate(collection, mode=mode.value)


def text_report(body: dict[str, Any]) -> str:
    lines = [f"collection  {body['collection']} (server-side, mode {body['mode']}), evaluation {body['id']}"]
    for name, g in body["generations"].items():
        lines += [
            f"{name:<11} {g['queries']} judged queries",
            f"  NDCG@10     {g['ndcg_at_10']:.4f}",
            f"  Recall@10   {g['recall_at_10']:.4f}",
            f"  Recall@100  {g['recall_at_100']:.4f}",
            f"  MRR@10      {g['mrr_at_10']:.4f}",
            f"  search      p50 {g['latency_p50_ms']:.1f} ms, p99 {g['latency_p99_ms']:.1f} ms",
        ]
    return "\n".join(lines)
