"""The answering use cases share one path (``Grounding``) and one metered model call (``Metering``): the question
is checked once per request, before any model call; retrieval options left out take the answer's defaults; a
streamed model call is charged the same way for an answer and a relay."""

from __future__ import annotations

import time
from contextlib import aclosing

import pytest

from autbot.adapters.chunk_index.memory import InMemoryChunkIndex
from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.adapters.quotas.budgets import InMemoryTokenBudget
from autbot.adapters.sessions.memory import InMemorySessionStore
from autbot.domain.answers import ChatMessage, DoneEvent, TokenEvent
from autbot.domain.auth import ANONYMOUS
from autbot.domain.errors import InvalidInput
from autbot.domain.model import ANSWER_MODE, ChunkQuery, DocumentInput, SearchHit, SearchMode
from autbot.domain.quotas import budget_day
from autbot.domain.retrieval import RetrievalOptions
from autbot.use_cases.answer import AnswerLimits, AnswerRequest
from autbot.use_cases.chat import ChatRequest, StreamChatCompletions
from autbot.use_cases.search import SearchRequest
from autbot.use_cases.sessions import AskInSession, CreateSession, CreateSessionRequest, SessionQuestion
from tests.support.fakes import World

DOC = DocumentInput(id="eiffel", text="The Eiffel Tower is 330 metres tall. It was completed in 1889.")


class RecordingChunkIndex(InMemoryChunkIndex):
    """The in-memory index, keeping every query it was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[ChunkQuery] = []

    def search(self, collection: str, query: ChunkQuery) -> list[SearchHit]:
        self.queries.append(query)
        return super().search(collection, query)


def _world(llm: ScriptedLanguageModel | None = None) -> tuple[World, RecordingChunkIndex]:
    index = RecordingChunkIndex()
    w = World(llm=llm, chunks=index, limits=AnswerLimits(default_top_k=30, min_vector_score=0.25))
    w.add("kb", DOC)
    return w, index


async def test_an_answer_retrieves_hybrid_with_the_answer_top_k_and_floor_unless_asked() -> None:
    w, index = _world()
    await w.answer.execute(AnswerRequest(principal=ANONYMOUS, collection="kb", question="How tall?"))
    asked = index.queries[-1]
    assert (asked.mode, asked.min_vector_score) == (ANSWER_MODE, 0.25)
    assert asked.top_k >= 30  # the answer's top_k (30, over-fetched), not the search default (5)
    keyword = RetrievalOptions(mode=SearchMode.KEYWORD, top_k=1, min_vector_score=0.9)
    await w.answer.execute(AnswerRequest(principal=ANONYMOUS, collection="kb", question="tall", retrieval=keyword))
    assert (index.queries[-1].mode, index.queries[-1].min_vector_score) == (SearchMode.KEYWORD, None)
    w.search.execute(SearchRequest(principal=ANONYMOUS, collection="kb", query="How tall?"))
    assert (index.queries[-1].mode, index.queries[-1].min_vector_score) == (SearchMode.VECTOR, None)


@pytest.mark.parametrize("question", ["", "   "])
async def test_an_empty_question_is_refused_once_naming_the_field_of_each_path(question: str) -> None:
    llm = ScriptedLanguageModel()
    w, index = _world(llm)
    with pytest.raises(InvalidInput) as e:
        w.search.execute(SearchRequest(principal=ANONYMOUS, collection="kb", query=question))
    assert e.value.details["field"] == "query"
    with pytest.raises(InvalidInput) as e:
        await w.answer.execute(AnswerRequest(principal=ANONYMOUS, collection="kb", question=question))
    assert e.value.details["field"] == "question"
    store = InMemorySessionStore()
    session = await CreateSession(store=store, registry=w.registry).execute(
        CreateSessionRequest(principal=ANONYMOUS, collection="kb")
    )
    ask = AskInSession(store=store, search=w.search, llm=llm)
    await ask.execute(SessionQuestion(principal=ANONYMOUS, session_id=session.id, question="How tall is it?"))
    calls = len(llm.calls)
    with pytest.raises(InvalidInput) as e:  # a follow-up: refused before the condensing model call
        await ask.execute(SessionQuestion(principal=ANONYMOUS, session_id=session.id, question=question))
    assert (e.value.details["field"], len(llm.calls)) == ("question", calls)
    assert index.queries  # the valid questions did retrieve


async def test_a_relay_stream_cut_short_is_charged_like_an_answer_stream() -> None:
    budget = InMemoryTokenBudget()
    llm = ScriptedLanguageModel(["one two three four five six"])
    w, _ = _world(llm)
    relay = StreamChatCompletions(
        search=w.search,
        llm=llm,
        chat_aliases=("chat",),
        limits=AnswerLimits(daily_tokens_per_key=10**6),
        budget=budget,
    )
    request = ChatRequest(
        model="chat", messages=(ChatMessage(role="user", content="hi"),), principal=ANONYMOUS, caller="key:a"
    )
    events = [e async for e in relay.execute(request)]
    done = events[-1]
    assert isinstance(done, DoneEvent)
    whole = done.usage.prompt_tokens + done.usage.completion_tokens
    assert await budget.spent("key:a", budget_day(time.time())) == whole
    cut_short = ChatRequest(model="chat", messages=request.messages, principal=ANONYMOUS, caller="key:b")
    async with aclosing(relay.execute(cut_short)) as stream:
        assert isinstance(await anext(stream), TokenEvent)  # one piece, then the client goes away
    assert 0 < await budget.spent("key:b", budget_day(time.time())) < whole
