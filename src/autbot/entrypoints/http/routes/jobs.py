"""The jobs API: submit a job (JSON documents or uploaded files), look at it, follow it, cancel it."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import replace
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter
from litestar.response import ServerSentEventMessage

from autbot.domain import limits
from autbot.domain.audit import AuditAction
from autbot.domain.auth import Principal
from autbot.domain.errors import AutbotError, InvalidInput
from autbot.domain.jobs import Job, parse_state
from autbot.domain.model import DocumentInput
from autbot.entrypoints.http.errors.openapi import problem_responses
from autbot.entrypoints.http.errors.problems import autbot_problem
from autbot.entrypoints.http.errors.transport import ShuttingDown
from autbot.entrypoints.http.middleware import auth as sec
from autbot.entrypoints.http.middleware.audit import audited
from autbot.entrypoints.http.middleware.guard import BODY_MEDIA_TYPES
from autbot.entrypoints.http.middleware.rate_limits import gate_of, limited
from autbot.entrypoints.http.routes.collections import FILE_FIELDS_HELP
from autbot.entrypoints.http.schemas import jobs as s
from autbot.entrypoints.http.schemas.bodies import read_form
from autbot.entrypoints.http.schemas.forms import form_access, form_embedder, form_metadata
from autbot.entrypoints.http.streaming.answer_events import SSE_HEADERS, event
from autbot.entrypoints.http.streaming.draining import Draining
from autbot.entrypoints.http.streaming.event_stream import ServerSentEvents
from autbot.use_cases.ingest_files import UploadedFile
from autbot.use_cases.jobs import (
    CancelJob,
    GetJob,
    JobRef,
    ListJobs,
    ListJobsRequest,
    SubmitJob,
    SubmitJobRequest,
)

_TRACEPARENT_RE = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
SUBMIT_HELP = 'A JSON body `{"documents": [...]}` (as `POST /v1/collections/{c}/documents`) or ' + FILE_FIELDS_HELP
Page = Annotated[int, Parameter(ge=1, le=limits.MAX_PAGE_SIZE)]


class JobController(Controller):
    path = "/v1"
    tags = ["jobs"]

    @post(
        "/collections/{collection:str}/jobs",
        summary="Submit an ingestion job (JSON documents or uploaded files); 202 with the queued job.",
        description=SUBMIT_HELP + "\n\n" + (SubmitJob.__doc__ or ""),
        status_code=202,
        before_request=read_form,
        operation_class=s.SubmitOperation,
        opt=sec.ingest(
            **limited("ingest", charged=True),  # by the use case: units of characters or bytes
            **audited(AuditAction.JOB_SUBMIT),
            **{BODY_MEDIA_TYPES: ["application/json", "multipart/form-data"]},
        ),
        responses=problem_responses(404, 409, 413, 429, body=True),
    )
    async def submit_job(
        self,
        collection: FromPath[str],
        request: Request[Any, Any, Any],
        submit_job: NamedDependency[SubmitJob],
        principal: NamedDependency[Principal],
    ) -> Response[s.JobOut]:
        submit = replace(await _submission(request, collection, principal), admit=_admit_from_thread(request))
        job = await anyio.to_thread.run_sync(submit_job.execute, submit)
        return Response(s.job_out(job, job.created_at), status_code=202, headers={"Location": f"/v1/jobs/{job.id}"})

    @get(
        "/jobs",
        summary="List jobs (the key's own; every key's for an admin key), newest first.",
        description=ListJobs.__doc__,
        sync_to_thread=True,
        opt=sec.ingest(),
        responses=problem_responses(),
    )
    def list_jobs(
        self,
        list_jobs: NamedDependency[ListJobs],
        principal: NamedDependency[Principal],
        collection: FromQuery[str | None] = None,
        job_state: Annotated[str | None, QueryParameter(name="state", description="A job state.")] = None,
        limit: Page = limits.JOBS_LISTED,
    ) -> s.JobsOut:
        state = parse_state(job_state) if job_state else None
        request = ListJobsRequest(principal=principal, collection=collection, state=state, limit=limit)
        jobs = list_jobs.execute(request)
        now = _now()
        return s.JobsOut(jobs=[s.job_out(j, now) for j in jobs])

    @get(
        "/jobs/{job_id:str}",
        summary="A job: state, counts, throughput, ETA and a page of its per-document failures.",
        description=GetJob.__doc__,
        sync_to_thread=True,
        opt=sec.ingest(),
        responses=problem_responses(404),
    )
    def get_job(
        self,
        job_id: FromPath[str],
        get_job: NamedDependency[GetJob],
        principal: NamedDependency[Principal],
        failures_offset: Annotated[int, Parameter(ge=0, le=limits.MAX_PAGE_OFFSET)] = 0,
        failures_limit: Page = limits.JOB_FAILURES_LISTED,
    ) -> s.JobOut:
        ref = JobRef(job_id=job_id, principal=principal, failures_offset=failures_offset, failures_limit=failures_limit)
        view = get_job.execute(ref)
        return s.job_out(view.job, view.now, view.failures, view.failures_total)

    @get(
        "/jobs/{job_id:str}/events",
        summary="Follow a job: server-sent `progress` events as it advances, then one `done` with its final state.",
        media_type="text/event-stream",
        opt=sec.ingest(),
        responses=problem_responses(404),
    )
    async def job_events(
        self,
        job_id: FromPath[str],
        get_job: NamedDependency[GetJob],
        principal: NamedDependency[Principal],
        draining: NamedDependency[Draining],
    ) -> ServerSentEvents:
        ref = JobRef(job_id=job_id, principal=principal, failures_limit=1)
        first = await anyio.to_thread.run_sync(get_job.execute, ref)  # a job one may not see: a plain 404
        instance = f"/v1/jobs/{job_id}/events"
        events = _until_drained(draining, _progress(get_job, ref, first.job, instance), instance)
        return ServerSentEvents(events, headers=SSE_HEADERS)

    @delete(
        "/jobs/{job_id:str}",
        summary="Cancel a job: committed documents stay, the rest are skipped.",
        description=CancelJob.__doc__,
        status_code=200,
        sync_to_thread=True,
        opt=sec.ingest(**audited(AuditAction.JOB_CANCEL)),
        responses=problem_responses(404),
    )
    def cancel_job(
        self, job_id: FromPath[str], cancel_job: NamedDependency[CancelJob], principal: NamedDependency[Principal]
    ) -> s.JobOut:
        return s.job_out(cancel_job.execute(JobRef(job_id=job_id, principal=principal)), _now())


async def _submission(request: Request[Any, Any, Any], collection: str, principal: Principal) -> SubmitJobRequest:
    traceparent = traceparent_of(request)
    if request.content_type[0] == "multipart/form-data":
        form = await request.form()
        uploads = [v for _, v in form.multi_items() if hasattr(v, "filename")]
        files = tuple(
            [UploadedFile(data=await f.read(), filename=f.filename, media_type=f.content_type) for f in uploads]
        )
        if not files:
            raise InvalidInput("Send one or more files as multipart/form-data parts named 'files'.", field="files")
        return SubmitJobRequest(
            collection=collection,
            principal=principal,
            files=files,
            metadata=form_metadata(form.get("metadata")),
            access=form_access(form.get("access")),
            embedder=form_embedder(form.get("embedder")),
            traceparent=traceparent,
        )
    try:
        body = msgspec.convert(await request.json(), s.JobBody)
    except msgspec.ValidationError as e:
        raise InvalidInput(f"The body is not a job: {e}", field="body") from e
    docs = tuple(
        DocumentInput(
            id=d.id,
            title=d.title,
            source=d.source,
            text=d.text,
            metadata=d.metadata,
            access=None if d.access is None else d.access.access(),
        )
        for d in body.documents
    )
    return SubmitJobRequest(
        collection=collection, principal=principal, documents=docs, embedder=body.embedder, traceparent=traceparent
    )


def _admit_from_thread(request: Request[Any, Any, Any]) -> Callable[[int], None]:
    """The request's rate gate, for a use case running in a worker thread."""
    charge = gate_of(request)

    async def admit(cost: int) -> None:
        await charge(cost)

    return lambda cost: anyio.from_thread.run(admit, cost)


def traceparent_of(request: Request[Any, Any, Any]) -> str | None:
    """The trace context the job carries to its worker: the request's span, else the client's header."""
    from opentelemetry.propagate import inject

    carrier: dict[str, str] = {}
    inject(carrier)
    found = carrier.get("traceparent") or request.headers.get("traceparent")
    return found if found and _TRACEPARENT_RE.fullmatch(found) else None


async def _progress(
    get_job: GetJob, ref: JobRef, job: Job, instance: str
) -> AsyncGenerator[ServerSentEventMessage, None]:
    last: Job | None = None
    try:
        while True:
            if job != last:
                now = _now()
                yield event("done" if job.terminal else "progress", s.job_out(job, now))
                last = job
            if job.terminal:
                return
            await asyncio.sleep(limits.JOB_EVENTS_POLL_S)
            job = (await anyio.to_thread.run_sync(get_job.execute, ref)).job
    except AutbotError as error:
        yield event("error", autbot_problem(error, instance))


async def _until_drained(
    draining: Draining, events: AsyncGenerator[ServerSentEventMessage, None], instance: str
) -> AsyncIterator[ServerSentEventMessage]:
    """On SIGTERM the stream ends with a ``shutting_down`` error event (the job goes on; follow it again)."""
    async for item in draining.until_drained(events):
        if item is None:
            yield event("error", autbot_problem(ShuttingDown(), instance))
            return
        yield item


def _now() -> float:
    return time.time()
