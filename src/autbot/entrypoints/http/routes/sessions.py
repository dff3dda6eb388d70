"""Server-side chat sessions: ``/v1/sessions``. A client creates a session over a collection, then sends
only its next question; AutBot keeps the conversation, condenses follow-ups and stores every answer with
its citations. Errors are OpenAI's envelope, like the other ``/v1`` chat routes; a streamed answer is the
same server-sent events as ``/v1/collections/{collection}/query`` (citations, token, done, error)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from autbot.domain import limits
from autbot.domain.audit import AuditAction
from autbot.domain.auth import Principal
from autbot.entrypoints.http.errors.openai import OPENAI_EXCEPTION_HANDLERS, openai_error_responses
from autbot.entrypoints.http.middleware import auth as sec
from autbot.entrypoints.http.middleware.audit import audited, note_audit
from autbot.entrypoints.http.middleware.auth import principal_of
from autbot.entrypoints.http.middleware.rate_limits import caller_of, gate_of, limited
from autbot.entrypoints.http.schemas import collections as s
from autbot.entrypoints.http.schemas import sessions as ss
from autbot.entrypoints.http.schemas.openapi_text import described
from autbot.entrypoints.http.streaming.answer_events import SSE_HEADERS, answer_stream
from autbot.entrypoints.http.streaming.draining import Draining
from autbot.entrypoints.http.streaming.event_stream import ServerSentEvents
from autbot.entrypoints.http.streaming.openapi import JsonOrEventStream
from autbot.use_cases.sessions import (
    AskInSession,
    CreateSession,
    CreateSessionRequest,
    DeleteSession,
    GetSession,
    ListSessions,
    ListSessionsRequest,
    SessionQuestion,
    SessionRef,
    StreamInSession,
)


class SessionController(Controller):
    path = "/v1/sessions"
    tags = ["sessions"]
    exception_handlers = OPENAI_EXCEPTION_HANDLERS

    @post(
        "/",
        summary="Start a session over a collection.",
        description=described(CreateSession),
        status_code=201,
        # counted once the key may use the collection
        opt=sec.query(**limited("sessions", charged=True), **audited(AuditAction.SESSION_CREATE)),
        responses=openai_error_responses(404, body=True),
    )
    async def create_session(
        self,
        data: JSONBody[ss.SessionBody],
        create_session: NamedDependency[CreateSession],
        request: Request[Any, Any, Any],
    ) -> ss.SessionOut:
        created = await create_session.execute(
            CreateSessionRequest(
                principal=principal_of(request), collection=data.collection, title=data.title, admit=gate_of(request)
            )
        )
        note_audit(request, collection=data.collection)
        return ss.session_out(created)

    @get(
        "/",
        summary="The key's sessions, most recently used first.",
        description=described(ListSessions),
        sync_to_thread=True,
        opt=sec.query(),
        responses=openai_error_responses(),
    )
    def list_sessions(
        self,
        list_sessions: NamedDependency[ListSessions],
        principal: NamedDependency[Principal],
        limit: Annotated[int, Parameter(ge=1, le=limits.MAX_PAGE_SIZE)] = limits.SESSIONS_LISTED,
    ) -> ss.SessionsOut:
        found = list_sessions.execute(ListSessionsRequest(principal=principal, limit=limit))
        return ss.SessionsOut(object="list", data=[ss.session_out(x) for x in found])

    @get(
        "/{session_id:str}",
        summary="A session with its messages and their citations.",
        description=described(GetSession),
        sync_to_thread=True,
        opt=sec.query(),
        responses=openai_error_responses(404),
    )
    def get_session(
        self, session_id: FromPath[str], get_session: NamedDependency[GetSession], principal: NamedDependency[Principal]
    ) -> ss.SessionDetailOut:
        return ss.session_detail_out(get_session.execute(SessionRef(principal=principal, session_id=session_id)))

    @delete(
        "/{session_id:str}",
        summary="Delete a session.",
        description=described(DeleteSession),
        sync_to_thread=True,
        opt=sec.query(**audited(AuditAction.SESSION_DELETE)),
        responses=openai_error_responses(404),
    )
    def delete_session(
        self,
        session_id: FromPath[str],
        delete_session: NamedDependency[DeleteSession],
        principal: NamedDependency[Principal],
    ) -> None:
        delete_session.execute(SessionRef(principal=principal, session_id=session_id))

    @post(
        "/{session_id:str}/messages",
        summary="Ask the next question in a session (JSON or SSE, as /query).",
        description=described(AskInSession),
        status_code=200,
        # counted once the session is the key's own
        opt=sec.query(**limited("query", charged=True), **audited(AuditAction.SESSION_MESSAGE)),
        responses=openai_error_responses(404, 409, body=True),
        operation_class=JsonOrEventStream,
    )
    async def ask(
        self,
        session_id: FromPath[str],
        data: JSONBody[ss.SessionMessageBody],
        ask_in_session: NamedDependency[AskInSession],
        stream_in_session: NamedDependency[StreamInSession],
        draining: NamedDependency[Draining],
        request: Request[Any, Any, Any],
    ) -> Response[Any]:
        question = SessionQuestion(
            principal=principal_of(request),
            session_id=session_id,
            question=data.question,
            retrieval=data.options(),
            max_tokens=data.max_tokens,
            temperature=data.temperature,
            caller=caller_of(request.scope),
            admit=gate_of(request),
        )
        if not data.stream:
            a = await ask_in_session.execute(question)
            usage = s.UsageOut(prompt_tokens=a.usage.prompt_tokens, completion_tokens=a.usage.completion_tokens)
            citations = [s.citation_out(c) for c in a.citations]
            return Response(s.QueryResponse(answer=a.text, citations=citations, usage=usage, model=a.model))
        events = stream_in_session.execute(question)
        first = await anext(events)  # unknown session, validation and retrieval errors: an ordinary error response
        stream = answer_stream(first, draining.until_drained(events), f"/v1/sessions/{session_id}/messages")
        return ServerSentEvents(stream, headers=SSE_HEADERS)
