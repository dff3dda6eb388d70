"""A job is admitted at its cost once it is known to be allowed, before anything is stored."""

from __future__ import annotations

import pytest

from autbot.domain import limits
from autbot.domain.auth import Principal, Scope
from autbot.domain.errors import CollectionNotFound, JobLimitReached, RateLimited
from autbot.domain.model import DocumentInput
from autbot.use_cases.ingest_files import UploadedFile
from autbot.use_cases.jobs import JobLimits, SubmitJob, SubmitJobRequest
from tests.support.fakes import InMemoryBlobStore, InMemoryJobQueue, InMemoryJobStore

ALICE = Principal(name="alice", scopes=frozenset({Scope.INGEST}), collections=frozenset({"kb"}))
UNIT = limits.INGEST_COST_CHARS


def submit(store: InMemoryJobStore, request: SubmitJobRequest, **caps: int) -> SubmitJob:
    s = SubmitJob(store=store, queue=InMemoryJobQueue(), blobs=InMemoryBlobStore(), limits=JobLimits(**caps))
    s.execute(request)
    return s


def test_documents_cost_their_text_and_titles_and_files_their_bytes() -> None:
    costs: list[int] = []
    docs = (DocumentInput(text="w" * UNIT, title="t"), DocumentInput(text="w" * 10))
    submit(InMemoryJobStore(), SubmitJobRequest(collection="kb", principal=ALICE, documents=docs, admit=costs.append))
    files = (UploadedFile(data=b"w" * (3 * UNIT), filename="a.txt", media_type="text/plain"),)
    submit(InMemoryJobStore(), SubmitJobRequest(collection="kb", principal=ALICE, files=files, admit=costs.append))
    assert costs == [2, 3]


def test_refused_jobs_are_not_admitted_and_a_spent_limit_stores_nothing() -> None:
    costs: list[int] = []
    doc = (DocumentInput(text="words"),)
    with pytest.raises(CollectionNotFound):
        submit(InMemoryJobStore(), SubmitJobRequest(collection="x", principal=ALICE, documents=doc, admit=costs.append))
    store = InMemoryJobStore()
    request = SubmitJobRequest(collection="kb", principal=ALICE, documents=doc * 2, admit=costs.append)
    with pytest.raises(JobLimitReached):
        submit(store, request, max_queued_documents_per_key=1)
    assert costs == []

    def spent(cost: int) -> None:
        raise RateLimited("spent")

    with pytest.raises(RateLimited):
        submit(store, SubmitJobRequest(collection="kb", principal=ALICE, documents=doc, admit=spent))
    assert store.find(owner=None, collection=None, state=None, limit=5) == []
