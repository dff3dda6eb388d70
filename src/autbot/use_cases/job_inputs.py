"""How a job's inputs are kept in the ``BlobStore``: one JSON manifest per batch (``<job>/b<k>.json``) and, for
uploads, each file's bytes as they came (``<job>/f<i>``). Shared by the submitting and the working side."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autbot.domain.access import AccessList
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
    access: AccessList | None = None
    """Every file's access list (``domain.access``); None: open."""


def manifest_key(job_id: str, batch: int) -> str:
    return f"{job_id}/b{batch}.json"


def file_key(job_id: str, index: int) -> str:
    return f"{job_id}/f{index}"


def put_documents(blobs: BlobStore, job_id: str, batch: int, docs: Sequence[DocumentInput]) -> None:
    rows = [
        {
            "id": d.id,
            "text": d.text,
            "title": d.title,
            "source": d.source,
            "metadata": dict(d.metadata),
            "access": _access_record(d.access),
        }
        for d in docs
    ]
    blobs.put(manifest_key(job_id, batch), json.dumps({"documents": rows}).encode())


def put_files(
    blobs: BlobStore,
    job_id: str,
    batch: int,
    files: Sequence[StoredFile],
    metadata: Mapping[str, Any],
    access: AccessList | None = None,
) -> None:
    rows = [{"key": f.key, "filename": f.filename, "media_type": f.media_type} for f in files]
    manifest = {"files": rows, "metadata": dict(metadata), "access": _access_record(access)}
    blobs.put(manifest_key(job_id, batch), json.dumps(manifest).encode())


def read_batch(blobs: BlobStore, job_id: str, batch: int) -> BatchInput:
    raw = blobs.get(manifest_key(job_id, batch))
    if raw is None:
        raise JobStoreUnavailable(f"The inputs of batch {batch} of job {job_id} are missing.", job_id=job_id)
    data = json.loads(raw)
    if "documents" in data:
        return BatchInput(documents=tuple(_document(d) for d in data["documents"]))
    files = tuple(StoredFile(**f) for f in data["files"])
    return BatchInput(files=files, metadata=data.get("metadata") or {}, access=_access(data.get("access")))


def _document(row: dict[str, Any]) -> DocumentInput:
    return DocumentInput(**{**row, "access": _access(row.get("access"))})


def _access_record(access: AccessList | None) -> dict[str, list[str]] | None:
    return None if access is None else {"groups": sorted(access.groups), "subjects": sorted(access.subjects)}


def _access(raw: dict[str, list[str]] | None) -> AccessList | None:
    """A stored list (validated when the job was submitted); a manifest written without one is open."""
    return None if raw is None else AccessList(groups=frozenset(raw["groups"]), subjects=frozenset(raw["subjects"]))


def input_bytes(doc: DocumentInput) -> int:
    return len(doc.text.encode("utf-8", "surrogatepass"))
