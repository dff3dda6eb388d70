"""Reading a dataset in the BEIR layout: ``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``.

- corpus lines: ``{"_id", "title", "text"}`` (other keys ignored);
- query lines: ``{"_id", "text"}``;
- qrels: tab-separated ``query-id  corpus-id  score`` with a header line.

BEIR ids that are not valid AutBot document ids (``domain.model.validate_document_id``) are mapped to
``beir-<sha256 prefix>``, consistently in the corpus and the qrels.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autbot.domain import limits
from autbot.domain.errors import ConfigurationError, InvalidInput
from autbot.domain.model import DocumentInput, validate_document_id


@dataclass(frozen=True, slots=True, kw_only=True)
class BeirDataset:
    name: str
    corpus: list[DocumentInput]
    queries: dict[str, str]
    """Query id -> text: only judged queries (with a relevant document), in file order."""
    qrels: dict[str, dict[str, int]]
    """Query id -> document id -> grade."""


def safe_id(raw: str) -> str:
    try:
        return validate_document_id(raw)
    except InvalidInput:
        return "beir-" + hashlib.sha256(raw.encode()).hexdigest()[:24]


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise ConfigurationError(f"{path} is missing: a BEIR dataset has corpus.jsonl, queries.jsonl, qrels/.")
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    raise ConfigurationError(f"{path}:{n} is not JSON: {e}") from e


def _document(row: dict[str, Any]) -> DocumentInput | None:
    title = str(row.get("title") or "").strip()[: limits.MAX_TITLE_CHARS] or None
    text = str(row.get("text") or "").strip() or (title or "")
    if not text:
        return None
    return DocumentInput(id=safe_id(str(row["_id"])), title=title, text=text[: limits.MAX_DOCUMENT_CHARS])


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise ConfigurationError(f"{path} is missing (qrels of the chosen split).")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                continue  # the header, or a blank line
            qrels.setdefault(row[0], {})[safe_id(row[1])] = int(row[2])
    return qrels


def load_beir(directory: Path, *, split: str = "test", limit_queries: int | None = None) -> BeirDataset:
    """The dataset, with only the judged queries (at most ``limit_queries``, in file order)."""
    qrels = read_qrels(directory / "qrels" / f"{split}.tsv")
    corpus = [d for row in _lines(directory / "corpus.jsonl") if (d := _document(row)) is not None]
    queries: dict[str, str] = {}
    for row in _lines(directory / "queries.jsonl"):
        qid, text = str(row["_id"]), str(row.get("text") or "").strip()
        if text and any(g > 0 for g in qrels.get(qid, {}).values()):
            queries[qid] = text[: limits.MAX_QUERY_CHARS]
        if limit_queries is not None and len(queries) >= limit_queries:
            break
    return BeirDataset(
        name=directory.resolve().name,
        corpus=corpus,
        queries=queries,
        qrels={q: qrels[q] for q in queries},
    )
