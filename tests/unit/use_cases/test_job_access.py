"""Jobs carry document access lists: stored with the inputs, applied when the worker commits, enforced on search."""

from __future__ import annotations

from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
from autbot.domain.access import AccessList, access_of
from autbot.domain.auth import Principal, Scope
from autbot.domain.model import DocumentInput
from autbot.domain.retrieval import RetrievalOptions
from autbot.use_cases.ingest_files import UploadedFile
from autbot.use_cases.job_batches import RunBatch
from autbot.use_cases.jobs import JobLimits, SubmitJob, SubmitJobRequest
from autbot.use_cases.search import SearchRequest
from tests.support.fakes import InMemoryBlobStore, InMemoryJobQueue, InMemoryJobStore, World

ADMIN = Principal(name="root", scopes=frozenset({Scope.ADMIN}))
FINANCE = Principal(name="fin-bot", scopes=frozenset({Scope.QUERY}), groups=frozenset({"finance"}))
ALICE = Principal(name="alice", scopes=frozenset({Scope.QUERY}))
PLAIN = Principal(name="plain", scopes=frozenset({Scope.QUERY}))
FIN = AccessList(groups=frozenset({"finance"}))


class Jobs:
    def __init__(self) -> None:
        self.world = World()
        self.store, self.queue, self.blobs = InMemoryJobStore(), InMemoryJobQueue(), InMemoryBlobStore()
        limits = JobLimits(batch_size=16)  # an upload of 20 files is two batches
        self.submit = SubmitJob(store=self.store, queue=self.queue, blobs=self.blobs, limits=limits)
        self.run = RunBatch(
            store=self.store,
            queue=self.queue,
            blobs=self.blobs,
            ingest=self.world.ingest,
            reader=MultiFormatDocumentReader(),
            registry=self.world.registry,
        )

    def drain(self) -> None:
        while (d := self.queue.receive(0)) is not None:
            self.run.execute(d.message)
            self.queue.ack(d)

    def visible(self, who: Principal) -> list[str]:
        request = SearchRequest(
            principal=who, collection="kb", query="quarterly budget", retrieval=RetrievalOptions(top_k=10)
        )
        return sorted({h.chunk.document_id for h in self.world.search.execute(request)})


def test_each_document_of_a_json_job_keeps_its_access_list() -> None:
    jobs = Jobs()
    docs = (
        DocumentInput(id="open", text="Quarterly budget notes for everyone."),
        DocumentInput(id="fin", text="Quarterly budget salaries, finance only.", access=FIN),
        DocumentInput(
            id="ali", text="Quarterly budget review by alice.", access=AccessList(subjects=frozenset({"alice"}))
        ),
    )
    job = jobs.submit.execute(SubmitJobRequest(collection="kb", principal=ADMIN, documents=docs))
    jobs.drain()
    assert jobs.store.get(job.id).counts.created == 3  # type: ignore[union-attr]
    stored = jobs.world.registry.get_documents("kb", ["open", "fin", "ali"])
    assert access_of(stored["open"].metadata) is None
    assert access_of(stored["fin"].metadata) == FIN
    assert jobs.visible(ADMIN) == ["ali", "fin", "open"]
    assert jobs.visible(FINANCE) == ["fin", "open"]
    assert jobs.visible(ALICE) == ["ali", "open"]
    assert jobs.visible(PLAIN) == ["open"]


def test_every_file_of_an_upload_job_takes_the_forms_access_list() -> None:
    jobs = Jobs()
    files = tuple(
        UploadedFile(data=f"Quarterly budget file {i}.".encode(), filename=f"f{i}.txt", media_type="text/plain")
        for i in range(20)  # more than one batch: every manifest carries the list
    )
    request = SubmitJobRequest(collection="kb", principal=ADMIN, files=files, access=FIN)
    job = jobs.submit.execute(request)
    assert job.batches == 2
    jobs.drain()
    docs, total = jobs.world.registry.list_documents("kb", offset=0, limit=100)
    assert total == 20
    assert {access_of(d.metadata) for d in docs} == {FIN}
    assert jobs.visible(PLAIN) == []
    assert len(jobs.visible(FINANCE)) == 10


def test_changing_only_the_access_list_is_a_new_version() -> None:
    jobs = Jobs()
    for access, status in ((None, "created"), (None, "unchanged"), (FIN, "updated")):
        doc = DocumentInput(id="d", text="Quarterly budget text.", access=access)
        request = SubmitJobRequest(collection="kb", principal=ADMIN, documents=(doc,))
        job = jobs.submit.execute(request)
        jobs.drain()
        counts = jobs.store.get(job.id).counts  # type: ignore[union-attr]
        assert getattr(counts, status) == 1, status
    assert jobs.visible(PLAIN) == []
