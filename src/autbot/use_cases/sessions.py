"""Server-side chat sessions: a conversation over one collection kept by AutBot, so that a client sends
only its next question."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field

from autbot.domain import limits
from autbot.domain.answers import Answer, AnswerEvent, Citation, CitationsEvent, DoneEvent, TokenEvent
from autbot.domain.auth import Principal
from autbot.domain.errors import CollectionNotFound, InvalidInput, TooManySessions
from autbot.domain.quotas import retry_after_s
from autbot.domain.retrieval import RetrievalOptions
from autbot.domain.sessions import Session, SessionMessage, history_of, new_session_id, owned, validate_title
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.generation_slots import GenerationSlots
from autbot.ports.language_model import LanguageModel
from autbot.ports.session_store import SessionStore
from autbot.ports.token_budget import TokenBudget
from autbot.use_cases.admission import Admit, admit_all
from autbot.use_cases.answer import AnswerLimits, AnswerRequest, Grounding
from autbot.use_cases.search import SearchChunks

RULES = """Rules:
- A session belongs to the key that created it (the key's id, not its name: a key re-created with a revoked
  key's name sees none of its sessions); to any other key it does not exist (404 ``session_not_found``).
  A collection the key may not use does not exist for it either (404).
- A question in a session is answered like ``/query``, with the session's earlier turns as history: a
  follow-up is first rewritten as a standalone question (see AnswerQuestion). The question and the answer,
  with its citations, are stored once the answer is complete (a failed or abandoned answer stores nothing).
- A session unused for ``sessions.ttl_s`` is gone; it keeps its latest ``sessions.max_messages`` messages.
- A key keeps at most ``sessions.max_per_key`` live sessions (429 ``too_many_sessions`` past it, with the time
  until its least recently used one expires); creating them is rate limited (``limits.sessions``), questions
  like answers (``limits.query``). Neither counts a request refused because the key may not do it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSessionRequest:
    principal: Principal
    collection: str
    title: str | None = None
    admit: Admit = admit_all
    """Called once the key may use the collection, before anything is stored (``use_cases.admission``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionLimits:
    max_per_key: int = limits.MAX_SESSIONS_PER_KEY
    ttl_s: float = limits.SESSION_TTL_S


@dataclass(frozen=True, slots=True, kw_only=True)
class ListSessionsRequest:
    principal: Principal
    limit: int = limits.SESSIONS_LISTED


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRef:
    principal: Principal
    session_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionQuestion:
    principal: Principal
    session_id: str
    question: str
    retrieval: RetrievalOptions = field(default_factory=RetrievalOptions)
    """How to retrieve; left out: as ``AnswerRequest``."""
    max_tokens: int | None = None
    temperature: float | None = None
    caller: str | None = None
    admit: Admit = admit_all
    """Called once the session is the key's own, before any work (``use_cases.admission``)."""


def _owned(store: SessionStore, ref: SessionRef) -> Session:
    return owned(store.get(ref.session_id), ref.session_id, ref.principal.owner)


def _load(store: SessionStore, ref: SessionRef) -> Session:
    session = _owned(store, ref)
    ref.principal.visible_collection(session.collection)
    return session


class CreateSession:
    """Start a session over a collection the key may use (it must exist), with an optional title."""

    def __init__(
        self,
        *,
        store: SessionStore,
        registry: DocumentRegistry,
        limits: SessionLimits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._registry = registry
        self._limits = limits or SessionLimits()
        self._clock = clock

    async def execute(self, request: CreateSessionRequest) -> Session:
        collection = request.principal.visible_collection(request.collection)
        title = validate_title(request.title)
        await request.admit(1)
        return await asyncio.to_thread(self._create, request.principal.owner, collection, title)

    def _create(self, owner: str, collection: str, title: str | None) -> Session:
        if self._registry.get_collection(collection) is None:
            raise CollectionNotFound(f"Collection '{collection}' does not exist.", collection=collection)
        now = self._clock()
        session = Session(
            id=new_session_id(), owner=owner, collection=collection, title=title, created_at=now, updated_at=now
        )
        if not self._store.create(session, max_live=self._limits.max_per_key):
            raise self._too_many(owner, now)
        return session

    def _too_many(self, owner: str, now: float) -> TooManySessions:
        cap = self._limits.max_per_key
        kept = self._store.list(owner, limit=cap)
        frees_at = min((s.updated_at for s in kept), default=now) + self._limits.ttl_s
        return TooManySessions(
            f"This key keeps {cap} sessions, as many as it may (sessions.max_per_key): delete one, or wait until "
            "the least recently used expires.",
            limit=cap,
            retry_after_s=retry_after_s(frees_at - now),
        )


class ListSessions:
    """The key's own sessions, most recently used first, without messages (``limit`` 1-``limits.MAX_PAGE_SIZE``,
    default ``limits.SESSIONS_LISTED``)."""

    def __init__(self, *, store: SessionStore) -> None:
        self._store = store

    def execute(self, request: ListSessionsRequest) -> list[Session]:
        if not 1 <= request.limit <= limits.MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {limits.MAX_PAGE_SIZE}.", field="limit")
        return self._store.list(request.principal.owner, limit=request.limit)


class GetSession:
    """One of the key's sessions with its messages (answers with their citations), oldest first."""

    def __init__(self, *, store: SessionStore) -> None:
        self._store = store

    def execute(self, request: SessionRef) -> Session:
        return _load(self._store, request)


class DeleteSession:
    """Delete one of the key's sessions and its messages."""

    def __init__(self, *, store: SessionStore) -> None:
        self._store = store

    def execute(self, request: SessionRef) -> None:
        _load(self._store, request)
        self._store.delete(request.session_id)


class _Turns:
    """A session's turns around an answer: the answer request, then the question and answer stored."""

    def __init__(self, store: SessionStore, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock

    async def question(self, request: SessionQuestion) -> AnswerRequest:
        """The answer request of a question in one of the key's sessions (the answer decides the collection's
        visibility)."""
        ref = SessionRef(principal=request.principal, session_id=request.session_id)
        session = await asyncio.to_thread(_owned, self.store, ref)
        return AnswerRequest(
            principal=request.principal,
            collection=session.collection,
            question=request.question,
            retrieval=request.retrieval,
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            caller=request.caller,
            admit=request.admit,
            history=history_of(session)[-limits.CONDENSE_HISTORY_MESSAGES :],
        )

    async def record(self, session_id: str, question: str, answer: str, citations: tuple[Citation, ...]) -> None:
        now = self.clock()
        turn = (
            SessionMessage(role="user", content=question.strip(), created_at=now),
            SessionMessage(role="assistant", content=answer, created_at=now, citations=citations),
        )
        await asyncio.shield(asyncio.to_thread(self.store.append, session_id, turn, now=now))


class AskInSession:
    __doc__ = "Answer a question in a session, with citations, and store both.\n\n" + RULES

    def __init__(
        self,
        *,
        store: SessionStore,
        search: SearchChunks,
        llm: LanguageModel,
        limits: AnswerLimits | None = None,
        budget: TokenBudget | None = None,
        slots: GenerationSlots | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._turns = _Turns(store, clock)
        self._grounding = Grounding(search, llm, limits, budget, slots, clock)

    async def execute(self, request: SessionQuestion) -> Answer:
        answer = await self._grounding.answer(await self._turns.question(request))
        await self._turns.record(request.session_id, request.question, answer.text, answer.citations)
        return answer


class StreamInSession:
    __doc__ = "Answer a question in a session as a stream (citations, tokens, done), and store both.\n\n" + RULES

    def __init__(
        self,
        *,
        store: SessionStore,
        search: SearchChunks,
        llm: LanguageModel,
        limits: AnswerLimits | None = None,
        budget: TokenBudget | None = None,
        slots: GenerationSlots | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._turns = _Turns(store, clock)
        self._grounding = Grounding(search, llm, limits, budget, slots, clock)

    async def execute(self, request: SessionQuestion) -> AsyncGenerator[AnswerEvent, None]:
        events = self._grounding.events(await self._turns.question(request))
        citations: tuple[Citation, ...] = ()
        text: list[str] = []
        try:
            async for event in events:
                if isinstance(event, CitationsEvent):
                    citations = event.citations
                elif isinstance(event, TokenEvent):
                    text.append(event.text)
                elif isinstance(event, DoneEvent):
                    await self._turns.record(request.session_id, request.question, "".join(text).strip(), citations)
                yield event
        finally:
            await events.aclose()
