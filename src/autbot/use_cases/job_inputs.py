"""How a job's inputs are kept in the ``BlobStore``: one JSON manifest per batch (``<job>/b<k>.json``) and, for
uploads, each file's bytes as they came (``<job>/f<i>``). Shared by the submitting and the working side."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autbot.domain.errors import JobStoreUnavailable
from autbot.domain.model import DocumentInput
from autbot.ports.blob_store import BlobStore


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFile:
    key: str
    filename: str | None
    media_type: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchInput:
    documents: tuple[DocumentInput, ...] = ()
    files: tuple[StoredFile, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Merged into every file's metadata."""


def manifest_key(job_id: str, batch: int) -> str:
    return f"{job_id}/b{batch}.json"


def file_key(job_id: str, index: int) -> str:
    return f"{job_id}/f{index}"


def put_documents(blobs: BlobStore, job_id: str, batch: int, docs: Sequence[DocumentInput]) -> None:
    rows = [
        {"id": d.id, "text": d.text, "title": d.title, "source": d.source, "metadata": dict(d.metadata)} for d in docs
    ]
    blobs.put(manifest_key(job_id, batch), json.dumps({"documents": rows}).encode())


def put_files(
    blobs: BlobStore, job_id: str, batch: int, files: Sequence[StoredFile], metadata: Mapping[str, Any]
) -> None:
    rows = [{"key": f.key, "filename": f.filename, "media_type": f.media_type} for f in files]
    blobs.put(manifest_key(job_id, batch), json.dumps({"files": rows, "metadata": dict(metadata)}).encode())


def read_batch(blobs: BlobStore, job_id: str, batch: int) -> BatchInput:
    raw = blobs.get(manifest_key(job_id, batch))
    if raw is None:
        raise JobStoreUnavailable(f"The inputs of batch {batch} of job {job_id} are missing.", job_id=job_id)
    data = json.loads(raw)
    if "documents" in data:
        return BatchInput(documents=tuple(DocumentInput(**d) for d in data["documents"]))
    files = tuple(StoredFile(**f) for f in data["files"])
    return BatchInput(files=files, metadata=data.get("metadata") or {})


def input_bytes(doc: DocumentInput) -> int:
    return len(doc.text.encode("utf-8", "surrogatepass"))
