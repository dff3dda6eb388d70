"""One JSON layout for stored session messages, shared by the SQLite and Redis stores."""

from __future__ import annotations

import json
from typing import Any

from autbot.domain.answers import Citation
from autbot.domain.model import Chunk, SearchHit
from autbot.domain.sessions import SessionMessage


def dump_message(m: SessionMessage) -> str:
    return json.dumps(
        {
            "role": m.role,
            "content": m.content,
            "created_at": m.created_at,
            "citations": [_citation(c) for c in m.citations],
        },
        separators=(",", ":"),
    )


def load_message(raw: str | bytes) -> SessionMessage:
    d = json.loads(raw)
    return SessionMessage(
        role=d["role"],
        content=d["content"],
        created_at=float(d["created_at"]),
        citations=tuple(_load_citation(c) for c in d.get("citations", [])),
    )


def _citation(c: Citation) -> dict[str, Any]:
    ch = c.hit.chunk
    return {
        "n": c.n,
        "score": c.hit.score,
        "chunk_id": ch.id,
        "document_id": ch.document_id,
        "document_version": ch.document_version,
        "text": ch.text,
        "position": ch.position,
        "metadata": dict(ch.metadata),
    }


def _load_citation(d: dict[str, Any]) -> Citation:
    chunk = Chunk(
        id=d["chunk_id"],
        document_id=d["document_id"],
        document_version=d["document_version"],
        text=d["text"],
        position=int(d["position"]),
        metadata=d.get("metadata") or {},
    )
    return Citation(n=int(d["n"]), hit=SearchHit(chunk=chunk, score=float(d["score"])))
