"""Server-side chat sessions: ``/v1/sessions``. A client creates a session over a collection, then sends
only its next question; AutBot keeps the conversation, condenses follow-ups and stores every answer with
its citations. Errors are OpenAI's envelope, like the other ``/v1`` chat routes; a streamed answer is the
same server-sent events as ``/v1/collections/{collection}/query`` (citations, token, done, error)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.params import Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from autbot.domain import limits
from autbot.domain.answers import AnswerEvent, CitationsEvent, DoneEvent, TokenEvent
from autbot.domain.auth import Principal
from autbot.domain.errors import AutbotError
from autbot.domain.model import SearchMode, parse_filters
from autbot.entrypoints.http import schemas as s
from autbot.entrypoints.http import security as sec
from autbot.entrypoints.http import session_schemas as ss
from autbot.entrypoints.http.openai_errors import OPENAI_EXCEPTION_HANDLERS, openai_error_responses
from autbot.entrypoints.http.problems import autbot_problem
from autbot.entrypoints.http.rate_limits import limited
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

SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


class SessionController(Controller):
    path = "/v1/sessions"
    tags = ["sessions"]
    exception_handlers = OPENAI_EXCEPTION_HANDLERS

    @post(
        "/",
        summary="Start a session over a collection.",
        description=CreateSession.__doc__,
        status_code=201,
        sync_to_thread=True,
        opt=sec.query(),
        responses=openai_error_responses(404, body=True),
    )
    def create_session(
        self, data: ss.SessionBody, create_session: CreateSession, principal: Principal
    ) -> ss.SessionOut:
        created = create_session.execute(
            CreateSessionRequest(principal=principal, collection=data.collection, title=data.title)
        )
        return ss.session_out(created)

    @get(
        "/",
        summary="The key's sessions, most recently used first.",
        description=ListSessions.__doc__,
        sync_to_thread=True,
        opt=sec.query(),
        responses=openai_error_responses(),
    )
    def list_sessions(
        self,
        list_sessions: ListSessions,
        principal: Principal,
        limit: Annotated[int, Parameter(ge=1, le=limits.MAX_PAGE_SIZE)] = limits.SESSIONS_LISTED,
    ) -> ss.SessionsOut:
        found = list_sessions.execute(ListSessionsRequest(principal=principal, limit=limit))
        return ss.SessionsOut(object="list", data=[ss.session_out(x) for x in found])

    @get(
        "/{session_id:str}",
        summary="A session with its messages and their citations.",
        description=GetSession.__doc__,
        sync_to_thread=True,
        opt=sec.query(),
        responses=openai_error_responses(404),
    )
    def get_session(self, session_id: str, get_session: GetSession, principal: Principal) -> ss.SessionDetailOut:
        return ss.session_detail_out(get_session.execute(SessionRef(principal=principal, session_id=session_id)))

    @delete(
        "/{session_id:str}",
        summary="Delete a session.",
        description=DeleteSession.__doc__,
        sync_to_thread=True,
        opt=sec.query(),
        responses=openai_error_responses(404),
    )
    def delete_session(self, session_id: str, delete_session: DeleteSession, principal: Principal) -> None:
        delete_session.execute(SessionRef(principal=principal, session_id=session_id))

    @post(
        "/{session_id:str}/messages",
        summary="Ask the next question in a session (JSON or SSE, as /query).",
        description=AskInSession.__doc__,
        status_code=200,
        opt=sec.query(**limited("query")),
        responses=openai_error_responses(404, body=True),
    )
    async def ask(
        self,
        session_id: str,
        data: ss.SessionMessageBody,
        ask_in_session: AskInSession,
        stream_in_session: StreamInSession,
        principal: Principal,
        caller: str,
    ) -> Response[Any]:
        request = SessionQuestion(
            principal=principal,
            session_id=session_id,
            question=data.question,
            top_k=data.top_k,
            filters=parse_filters(data.filters),
            mode=SearchMode(data.mode),
            alpha=data.alpha,
            max_tokens=data.max_tokens,
            temperature=data.temperature,
            caller=caller,
        )
        if not data.stream:
            a = await ask_in_session.execute(request)
            usage = s.UsageOut(prompt_tokens=a.usage.prompt_tokens, completion_tokens=a.usage.completion_tokens)
            citations = [s.citation_out(c) for c in a.citations]
            return Response(s.QueryResponse(answer=a.text, citations=citations, usage=usage, model=a.model))
        events = stream_in_session.execute(request)
        first = await anext(events)  # unknown session, validation and retrieval errors: an ordinary error response
        return ServerSentEvent(_sse(first, events, f"/v1/sessions/{session_id}/messages"), headers=SSE_HEADERS)


def _event(kind: str, payload: Any) -> ServerSentEventMessage:
    return ServerSentEventMessage(event=kind, data=msgspec.json.encode(payload).decode())


async def _sse(
    first: AnswerEvent, events: AsyncIterator[AnswerEvent], instance: str
) -> AsyncIterator[ServerSentEventMessage]:
    """The events of ``/query``: citations, token..., done; or error (a problem body) when the answer fails."""
    try:
        event = first
        while True:
            if isinstance(event, CitationsEvent):
                yield _event("citations", {"citations": [s.citation_out(c) for c in event.citations]})
            elif isinstance(event, TokenEvent):
                yield _event("token", {"text": event.text})
            elif isinstance(event, DoneEvent):
                usage = {"prompt_tokens": event.usage.prompt_tokens, "completion_tokens": event.usage.completion_tokens}
                yield _event("done", {"usage": usage, "model": event.model})
            try:
                event = await anext(events)
            except StopAsyncIteration:
                return
    except AutbotError as error:
        yield _event("error", autbot_problem(error, instance))
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
