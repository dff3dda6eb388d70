"""msgspec Structs of the jobs API (``/v1/collections/{c}/jobs``, ``/v1/jobs``) and their translation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from msgspec import Meta

from autbot.domain import limits
from autbot.domain.jobs import DocumentFailure, Job, eta_s, throughput
from autbot.entrypoints.http.schemas.collections import DocumentIn

JobStateName = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class _Out(msgspec.Struct, kw_only=True, omit_defaults=False):
    pass


class JobBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    documents: Annotated[list[DocumentIn], Meta(min_length=1, max_length=limits.MAX_JOB_DOCUMENTS)]
    embedder: Annotated[str, Meta(min_length=1, max_length=limits.MAX_MODEL_NAME_CHARS)] | None = None
    """As ``IngestBody.embedder``: the model of a collection the job creates; for an existing one, its own."""


_NAMES = Schema(
    type=OpenAPIType.ARRAY,
    items=Schema(type=OpenAPIType.STRING, min_length=1, max_length=limits.MAX_ACCESS_NAME_CHARS),
    max_items=limits.MAX_ACCESS_ENTRIES,
)
_ACCESS = Schema(
    type=OpenAPIType.OBJECT,
    properties={"groups": _NAMES, "subjects": _NAMES},
    description="Who, besides admins, may see the document (none: whoever may see the collection).",
)

_EMBEDDER = Schema(
    type=OpenAPIType.STRING,
    min_length=1,
    max_length=limits.MAX_MODEL_NAME_CHARS,
    description="The embedding model of a collection the job creates (GET /v1/models); for an existing one, its own.",
)


def _request_body() -> RequestBody:
    """The submit route's two bodies, for the OpenAPI document (the route reads its body itself)."""
    document = Schema(
        type=OpenAPIType.OBJECT,
        required=["text"],
        properties={
            "text": Schema(type=OpenAPIType.STRING),
            "id": Schema(type=OpenAPIType.STRING),
            "title": Schema(type=OpenAPIType.STRING, max_length=limits.MAX_TITLE_CHARS),
            "source": Schema(type=OpenAPIType.STRING, max_length=limits.MAX_SOURCE_CHARS),
            "metadata": Schema(type=OpenAPIType.OBJECT, max_properties=limits.MAX_METADATA_KEYS),
            "access": _ACCESS,
        },
    )
    json_body = Schema(
        type=OpenAPIType.OBJECT,
        required=["documents"],
        properties={
            "documents": Schema(
                type=OpenAPIType.ARRAY, items=document, min_items=1, max_items=limits.MAX_JOB_DOCUMENTS
            ),
            "embedder": _EMBEDDER,
        },
    )
    form = Schema(
        type=OpenAPIType.OBJECT,
        required=["files"],
        properties={
            "files": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)),
            "metadata": Schema(type=OpenAPIType.STRING, description="A JSON object added to every file's metadata."),
            "access": Schema(
                type=OpenAPIType.STRING,
                description='A JSON object {"groups": [...], "subjects": [...]}: who may see the files.',
            ),
            "embedder": _EMBEDDER,
        },
    )
    return RequestBody(
        required=True,
        content={
            "application/json": OpenAPIMediaType(schema=json_body),
            "multipart/form-data": OpenAPIMediaType(schema=form),
        },
    )


@dataclass
class SubmitOperation(Operation):
    """The submit route's OpenAPI operation, with both request bodies."""

    def __post_init__(self) -> None:
        self.request_body = _request_body()


class JobCountsOut(_Out):
    total: int
    done: int
    created: int
    updated: int
    unchanged: int
    failed: int
    skipped: int
    chunks: int
    bytes: int


class FailureOut(_Out):
    item: str
    """The document's id, else its file name, else its place in the job (``#12``)."""
    code: str
    message: str


class JobOut(_Out):
    id: str
    collection: str
    owner: str
    kind: Literal["documents", "files", "reindex"]
    state: JobStateName
    counts: JobCountsOut
    batches: int
    batches_done: int
    created_at: float
    started_at: float | None
    finished_at: float | None
    error: str | None
    outcome: str | None
    """What an ended re-index decided: ``activated``, or ``held: <reason>`` (figures on the collection)."""
    cancel_requested: bool
    documents_per_s: float
    chunks_per_s: float
    eta_s: float | None
    failures: list[FailureOut] | None = None
    """A page of per-document failures (``GET /v1/jobs/{id}`` only)."""
    failures_total: int | None = None


class JobsOut(_Out):
    jobs: list[JobOut]


def job_out(
    job: Job, now: float, failures: tuple[DocumentFailure, ...] | None = None, failures_total: int | None = None
) -> JobOut:
    c = job.counts
    docs_per_s, chunks_per_s = throughput(job, now)
    return JobOut(
        id=job.id,
        collection=job.collection,
        owner=job.owner,
        kind=job.kind,
        state=job.state.value,  # type: ignore[arg-type]  # JobState's values are the Literal's
        counts=JobCountsOut(
            total=c.total,
            done=c.done,
            created=c.created,
            updated=c.updated,
            unchanged=c.unchanged,
            failed=c.failed,
            skipped=c.skipped,
            chunks=c.chunks,
            bytes=c.bytes,
        ),
        batches=job.batches,
        batches_done=job.next_batch,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        error=job.error,
        outcome=job.outcome,
        cancel_requested=job.cancel_requested,
        documents_per_s=round(docs_per_s, 3),
        chunks_per_s=round(chunks_per_s, 3),
        eta_s=None if (eta := eta_s(job, now)) is None else round(eta, 1),
        failures=None
        if failures is None
        else [FailureOut(item=f.item, code=f.code, message=f.message) for f in failures],
        failures_total=failures_total,
    )


def _failure_out(f: DocumentFailure) -> FailureOut:
    return FailureOut(item=f.item, code=f.code, message=f.message)
