"""HTTP handlers. They receive use cases (bridged from the container by the app factory) and
translate between msgspec Structs and domain types; nothing else."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody, Parameter

from autbot.domain import limits
from autbot.domain.audit import AuditAction
from autbot.domain.auth import Principal
from autbot.domain.model import DocumentInput
from autbot.domain.quotas import ingest_cost
from autbot.entrypoints.http.errors.openapi import problem_responses
from autbot.entrypoints.http.middleware import auth as sec
from autbot.entrypoints.http.middleware.audit import audited, note_audit
from autbot.entrypoints.http.middleware.auth import principal_of
from autbot.entrypoints.http.middleware.rate_limits import caller_of, gate_of, limited
from autbot.entrypoints.http.schemas import collections as s
from autbot.entrypoints.http.schemas import generations as g
from autbot.entrypoints.http.schemas.bodies import read_form
from autbot.entrypoints.http.schemas.forms import file_parts, form_access, form_embedder, form_metadata
from autbot.entrypoints.http.schemas.openapi_text import described
from autbot.entrypoints.http.streaming.answer_events import SSE_HEADERS, answer_stream
from autbot.entrypoints.http.streaming.draining import Draining
from autbot.entrypoints.http.streaming.event_stream import ServerSentEvents
from autbot.entrypoints.http.streaming.openapi import JsonOrEventStream
from autbot.use_cases.answer import AnswerQuestion, AnswerRequest, StreamAnswer
from autbot.use_cases.documents import (
    CollectionRef,
    DeleteCollection,
    DeleteDocument,
    DocumentRef,
    GetDocument,
    ListCollections,
    ListCollectionsRequest,
    ListDocuments,
    ListDocumentsRequest,
)
from autbot.use_cases.generations import DescribeCollection, GenerationRef
from autbot.use_cases.ingest import IngestDocuments, Ingestion, IngestRequest
from autbot.use_cases.ingest_files import IngestFiles, IngestFilesRequest, UploadedFile
from autbot.use_cases.search import SearchChunks, SearchRequest

FILE_FIELDS_HELP = (
    "multipart/form-data: one or more `files` parts; optional `metadata` part (a JSON object), `access` part "
    '(a JSON object `{"groups": [...], "subjects": [...]}`: who may see the files) and `embedder` part (the '
    "embedding model of a collection this upload creates)."
)


class CollectionController(Controller):
    path = "/v1/collections"
    tags = ["collections"]

    @get(
        "/",
        summary="List collections (those the key may use).",
        sync_to_thread=True,
        opt=sec.query(),
        responses=problem_responses(),
    )
    def list_collections(
        self, list_collections: NamedDependency[ListCollections], principal: NamedDependency[Principal]
    ) -> s.CollectionsOut:
        found = list_collections.execute(ListCollectionsRequest(principal=principal))
        return s.CollectionsOut(collections=[s.collection_out(c) for c in found])

    @get(
        "/{collection:str}",
        summary="A collection: its live generation's embedding model and every index generation it keeps.",
        description=described(DescribeCollection),
        sync_to_thread=True,
        opt=sec.query(),
        responses=problem_responses(404),
    )
    def describe_collection(
        self,
        collection: FromPath[str],
        describe_collection: NamedDependency[DescribeCollection],
        principal: NamedDependency[Principal],
    ) -> g.CollectionOut:  # here, beside DELETE on its path: Litestar wants one controller per path
        return g.collection_out(describe_collection.execute(GenerationRef(principal=principal, collection=collection)))

    @delete(
        "/{collection:str}",
        summary="Delete a collection and everything in it.",
        sync_to_thread=True,
        opt=sec.admin(**audited(AuditAction.COLLECTION_DELETE)),
        responses=problem_responses(404),
    )
    def delete_collection(
        self,
        collection: FromPath[str],
        delete_collection: NamedDependency[DeleteCollection],
        principal: NamedDependency[Principal],
    ) -> None:
        delete_collection.execute(CollectionRef(principal=principal, collection=collection))

    @post(
        "/{collection:str}/documents",
        summary="Ingest JSON documents.",
        description=described(IngestDocuments),
        status_code=201,
        opt=sec.ingest(**limited("ingest", charged=True), **audited(AuditAction.DOCUMENTS_INGEST)),  # units: chars
        responses=problem_responses(404, 409, body=True),
    )
    async def ingest_documents(
        self,
        collection: FromPath[str],
        data: JSONBody[s.IngestBody],
        ingest_documents: NamedDependency[Ingestion],
        request: Request[Any, Any, Any],
    ) -> s.IngestResponse:
        docs = tuple(
            DocumentInput(
                id=d.id,
                title=d.title,
                source=d.source,
                text=d.text,
                metadata=d.metadata,
                access=None if d.access is None else d.access.access(),
            )
            for d in data.documents
        )
        await gate_of(request)(ingest_cost(sum(len(d.text) + len(d.title or "") for d in docs)))
        ingest = IngestRequest(
            principal=principal_of(request), collection=collection, documents=docs, embedder=data.embedder
        )
        outcomes = await anyio.to_thread.run_sync(ingest_documents.execute, ingest)
        note_audit(request, document_ids=tuple(o.document_id for o in outcomes))
        return s.IngestResponse(documents=[s.outcome_out(o) for o in outcomes])

    @post(
        "/{collection:str}/files",
        summary="Ingest uploaded files (.txt .md .html .pdf .json).",
        description=FILE_FIELDS_HELP + "\n\n" + described(IngestFiles),
        status_code=201,
        before_request=read_form,
        opt=sec.ingest(**limited("ingest", charged=True), **audited(AuditAction.FILES_INGEST)),  # units: bytes
        responses=problem_responses(404, 409, 422, body=True),
    )
    async def ingest_files(
        self,
        collection: FromPath[str],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
        ingest_files: NamedDependency[IngestFiles],
        request: Request[Any, Any, Any],
    ) -> s.IngestResponse:
        uploads = file_parts(data)
        files = tuple(
            [UploadedFile(data=await f.read(), filename=f.filename, media_type=f.content_type) for f in uploads]
        )
        metadata = form_metadata(data.get("metadata"))
        access = form_access(data.get("access"))
        await gate_of(request)(ingest_cost(sum(len(f.data) for f in files)))
        ingest = IngestFilesRequest(
            principal=principal_of(request),
            collection=collection,
            files=files,
            metadata=metadata,
            access=access,
            embedder=form_embedder(data.get("embedder")),
        )
        outcomes = await anyio.to_thread.run_sync(ingest_files.execute, ingest)
        note_audit(request, document_ids=tuple(o.document_id for o in outcomes))
        return s.IngestResponse(documents=[s.outcome_out(o) for o in outcomes])

    @get(
        "/{collection:str}/documents",
        summary="List documents, a page at a time.",
        sync_to_thread=True,
        opt=sec.query(),
        responses=problem_responses(404),
    )
    def list_documents(
        self,
        collection: FromPath[str],
        list_documents: NamedDependency[ListDocuments],
        principal: NamedDependency[Principal],
        offset: Annotated[int, Parameter(ge=0, le=limits.MAX_PAGE_OFFSET)] = 0,
        limit: Annotated[int, Parameter(ge=1, le=limits.MAX_PAGE_SIZE)] = limits.DEFAULT_PAGE_SIZE,
    ) -> s.DocumentPageOut:
        page = list_documents.execute(
            ListDocumentsRequest(principal=principal, collection=collection, offset=offset, limit=limit)
        )
        return s.DocumentPageOut(
            documents=[s.document_out(d) for d in page.documents],
            total=page.total,
            offset=page.offset,
            limit=page.limit,
        )

    @get(
        "/{collection:str}/documents/{document_id:str}",
        summary="Get one document.",
        sync_to_thread=True,
        opt=sec.query(),
        responses=problem_responses(404),
    )
    def get_document(
        self,
        collection: FromPath[str],
        document_id: FromPath[str],
        get_document: NamedDependency[GetDocument],
        principal: NamedDependency[Principal],
    ) -> s.DocumentOut:
        ref = DocumentRef(principal=principal, collection=collection, document_id=document_id)
        return s.document_out(get_document.execute(ref))

    @delete(
        "/{collection:str}/documents/{document_id:str}",
        summary="Delete a document.",
        sync_to_thread=True,
        opt=sec.ingest(**audited(AuditAction.DOCUMENT_DELETE)),
        responses=problem_responses(404),
    )
    def delete_document(
        self,
        collection: FromPath[str],
        document_id: FromPath[str],
        delete_document: NamedDependency[DeleteDocument],
        principal: NamedDependency[Principal],
    ) -> None:
        delete_document.execute(DocumentRef(principal=principal, collection=collection, document_id=document_id))

    @post(
        "/{collection:str}/search",
        summary="Semantic / keyword / hybrid search.",
        description=described(SearchChunks),
        status_code=200,
        sync_to_thread=True,
        opt=sec.query(**limited("search"), **audited(None)),
        responses=problem_responses(404, 409, body=True),
    )
    def search(
        self,
        collection: FromPath[str],
        data: JSONBody[s.SearchBody],
        search_chunks: NamedDependency[SearchChunks],
        request: Request[Any, Any, Any],
    ) -> s.SearchResponse:
        # the principal read from the request: one dependency, resolved without a task group
        question = SearchRequest(
            principal=principal_of(request), collection=collection, query=data.query, retrieval=data.options()
        )
        return s.SearchResponse(results=[s.hit_out(h) for h in search_chunks.execute(question)])

    @post(
        "/{collection:str}/query",
        summary="Answer a question with citations (JSON or SSE).",
        description=described(AnswerQuestion),
        status_code=200,
        opt=sec.query(**limited("query"), **audited(None)),
        responses=problem_responses(404, 409, body=True),
        operation_class=JsonOrEventStream,
    )
    async def query(
        self,
        collection: FromPath[str],
        data: JSONBody[s.QueryBody],
        answer_question: NamedDependency[AnswerQuestion],
        stream_answer: NamedDependency[StreamAnswer],
        draining: NamedDependency[Draining],
        request: Request[Any, Any, Any],
    ) -> Response[Any]:
        question = AnswerRequest(
            principal=principal_of(request),
            collection=collection,
            question=data.question,
            retrieval=data.options(),
            max_tokens=data.max_tokens,
            temperature=data.temperature,
            caller=caller_of(request.scope),
        )
        if not data.stream:
            a = await answer_question.execute(question)
            return Response(
                s.QueryResponse(
                    answer=a.text,
                    citations=[s.citation_out(c) for c in a.citations],
                    usage=s.UsageOut(prompt_tokens=a.usage.prompt_tokens, completion_tokens=a.usage.completion_tokens),
                    model=a.model,
                )
            )
        events = stream_answer.execute(question)
        first = await anext(events)  # validation and retrieval errors become a plain problem response
        return ServerSentEvents(
            answer_stream(first, draining.until_drained(events), f"/v1/collections/{collection}/query"),
            headers=SSE_HEADERS,
        )
