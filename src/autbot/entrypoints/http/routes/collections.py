"""HTTP handlers. They receive use cases (bridged from the container by the app factory) and
translate between msgspec Structs and domain types; nothing else."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody, Parameter

from autbot.domain import limits
from autbot.domain.auth import Principal
from autbot.domain.errors import InvalidInput
from autbot.domain.model import DocumentInput, SearchMode, parse_filters
from autbot.entrypoints.http.errors.openapi import problem_responses
from autbot.entrypoints.http.middleware import auth as sec
from autbot.entrypoints.http.middleware.rate_limits import caller_of, limited
from autbot.entrypoints.http.routes.answering import Answering
from autbot.entrypoints.http.schemas import collections as s
from autbot.entrypoints.http.schemas.bodies import decode_json, read_form
from autbot.entrypoints.http.streaming.answer_events import SSE_HEADERS, answer_stream
from autbot.entrypoints.http.streaming.event_stream import ServerSentEvents
from autbot.use_cases.answer import AnswerQuestion, AnswerRequest
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
from autbot.use_cases.ingest import IngestDocuments, IngestRequest
from autbot.use_cases.ingest_files import IngestFiles, IngestFilesRequest, UploadedFile
from autbot.use_cases.search import SearchChunks, SearchRequest

FILE_FIELDS_HELP = "multipart/form-data: one or more `files` parts; optional `metadata` part (a JSON object)."


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
        found = list_collections.execute(ListCollectionsRequest(only=principal.collections))
        return s.CollectionsOut(collections=[s.collection_out(c) for c in found])

    @delete(
        "/{collection:str}",
        summary="Delete a collection and everything in it.",
        sync_to_thread=True,
        opt=sec.admin(),
        responses=problem_responses(404),
    )
    def delete_collection(
        self, collection: FromPath[str], delete_collection: NamedDependency[DeleteCollection]
    ) -> None:
        delete_collection.execute(CollectionRef(collection=collection))

    @post(
        "/{collection:str}/documents",
        summary="Ingest JSON documents.",
        description=IngestDocuments.__doc__,
        status_code=201,
        sync_to_thread=True,
        opt=sec.ingest(**limited("ingest")),
        responses=problem_responses(409, body=True),
    )
    def ingest_documents(
        self,
        collection: FromPath[str],
        data: JSONBody[s.IngestBody],
        ingest_documents: NamedDependency[IngestDocuments],
    ) -> s.IngestResponse:
        docs = tuple(
            DocumentInput(id=d.id, title=d.title, source=d.source, text=d.text, metadata=d.metadata)
            for d in data.documents
        )
        outcomes = ingest_documents.execute(IngestRequest(collection=collection, documents=docs))
        return s.IngestResponse(documents=[s.outcome_out(o) for o in outcomes])

    @post(
        "/{collection:str}/files",
        summary="Ingest uploaded files (.txt .md .html .pdf .json).",
        description=FILE_FIELDS_HELP + "\n\n" + (IngestFiles.__doc__ or ""),
        status_code=201,
        sync_to_thread=True,
        before_request=read_form,
        opt=sec.ingest(**limited("ingest")),
        responses=problem_responses(409, 422, body=True),
    )
    def ingest_files(
        self,
        collection: FromPath[str],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
        ingest_files: NamedDependency[IngestFiles],
    ) -> s.IngestResponse:
        uploads = [f for v in data.values() for f in (v if isinstance(v, list) else [v]) if hasattr(f, "filename")]
        request = IngestFilesRequest(
            collection=collection,
            files=tuple(
                UploadedFile(data=f.file.read(), filename=f.filename, media_type=f.content_type) for f in uploads
            ),
            metadata=form_metadata(data.get("metadata")),
        )
        return s.IngestResponse(documents=[s.outcome_out(o) for o in ingest_files.execute(request)])

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
        offset: Annotated[int, Parameter(ge=0, le=limits.MAX_PAGE_OFFSET)] = 0,
        limit: Annotated[int, Parameter(ge=1, le=limits.MAX_PAGE_SIZE)] = limits.DEFAULT_PAGE_SIZE,
    ) -> s.DocumentPageOut:
        page = list_documents.execute(ListDocumentsRequest(collection=collection, offset=offset, limit=limit))
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
        self, collection: FromPath[str], document_id: FromPath[str], get_document: NamedDependency[GetDocument]
    ) -> s.DocumentOut:
        return s.document_out(get_document.execute(DocumentRef(collection=collection, document_id=document_id)))

    @delete(
        "/{collection:str}/documents/{document_id:str}",
        summary="Delete a document.",
        sync_to_thread=True,
        opt=sec.ingest(),
        responses=problem_responses(404),
    )
    def delete_document(
        self, collection: FromPath[str], document_id: FromPath[str], delete_document: NamedDependency[DeleteDocument]
    ) -> None:
        delete_document.execute(DocumentRef(collection=collection, document_id=document_id))

    @post(
        "/{collection:str}/search",
        summary="Semantic / keyword / hybrid search.",
        description=SearchChunks.__doc__,
        status_code=200,
        sync_to_thread=True,
        opt=sec.query(**limited("search")),
        responses=problem_responses(404, 409, body=True),
    )
    def search(
        self, collection: FromPath[str], data: JSONBody[s.SearchBody], search_chunks: NamedDependency[SearchChunks]
    ) -> s.SearchResponse:
        hits = search_chunks.execute(
            SearchRequest(
                collection=collection,
                query=data.query,
                top_k=data.top_k,
                filters=parse_filters(data.filters),
                mode=SearchMode(data.mode),
                alpha=data.alpha,
            )
        )
        return s.SearchResponse(results=[s.hit_out(h) for h in hits])

    @post(
        "/{collection:str}/query",
        summary="Answer a question with citations (JSON or SSE).",
        description=AnswerQuestion.__doc__,
        status_code=200,
        opt=sec.query(**limited("query")),
        responses=problem_responses(404, 409, body=True),
    )
    async def query(
        self,
        collection: FromPath[str],
        data: JSONBody[s.QueryBody],
        answering: NamedDependency[Answering],
        request: Request[Any, Any, Any],
    ) -> Response[Any]:
        question = AnswerRequest(
            search=SearchRequest(
                collection=collection,
                query=data.question,
                top_k=data.top_k,
                filters=parse_filters(data.filters),
                mode=SearchMode(data.mode),
                alpha=data.alpha,
            ),
            max_tokens=data.max_tokens,
            temperature=data.temperature,
            caller=caller_of(request.scope),
        )
        if not data.stream:
            a = await answering.answer_question.execute(question)
            return Response(
                s.QueryResponse(
                    answer=a.text,
                    citations=[s.citation_out(c) for c in a.citations],
                    usage=s.UsageOut(prompt_tokens=a.usage.prompt_tokens, completion_tokens=a.usage.completion_tokens),
                    model=a.model,
                )
            )
        events = answering.stream_answer.execute(question)
        first = await anext(events)  # validation and retrieval errors become a plain problem response
        return ServerSentEvents(
            answer_stream(first, answering.draining.until_drained(events), f"/v1/collections/{collection}/query"),
            headers=SSE_HEADERS,
        )


def form_metadata(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    value = decode_json(raw, field="metadata") if isinstance(raw, str) else None
    if not isinstance(value, dict):
        raise InvalidInput("The 'metadata' part must be a JSON object.", field="metadata")
    return value
