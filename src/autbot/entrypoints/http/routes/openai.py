"""The OpenAI-compatible routes: ``/v1/chat/completions``, ``/v1/models``, ``/v1/embeddings``. Point an OpenAI
client (the official SDKs, LangChain, ...) at ``http://host:8000/v1`` and name a model: ``rag:<collection>``
answers with retrieval and citations, a chat alias relays to the configured model.

Handlers parse, call one use case, and shape OpenAI's response; errors are OpenAI's envelope
(``openai_errors``). A streamed completion is OpenAI's server-sent ``chat.completion.chunk`` events, then
``data: [DONE]``; a failure mid-stream ends it with ``data: {"error": {...}}``, which the SDKs raise.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import replace
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from loguru import logger

from autbot.domain.answers import AnswerEvent, CitationsEvent, DoneEvent, TokenEvent
from autbot.domain.auth import Principal
from autbot.domain.errors import AutbotError
from autbot.domain.models import RAG_PREFIX
from autbot.entrypoints.http.errors.openai import (
    OPENAI_EXCEPTION_HANDLERS,
    error_of,
    openai_error,
    openai_error_responses,
)
from autbot.entrypoints.http.errors.transport import ShuttingDown
from autbot.entrypoints.http.middleware import auth as sec
from autbot.entrypoints.http.middleware.audit import audited
from autbot.entrypoints.http.middleware.auth import principal_of
from autbot.entrypoints.http.middleware.rate_limits import caller_of, gate_of, limited
from autbot.entrypoints.http.schemas import collections as s
from autbot.entrypoints.http.schemas import openai as o
from autbot.entrypoints.http.schemas.openapi_text import described
from autbot.entrypoints.http.streaming.draining import Draining
from autbot.entrypoints.http.streaming.event_stream import EventStream
from autbot.entrypoints.http.streaming.openapi import JsonOrEventStream
from autbot.use_cases.chat import ChatCompletions, StreamChatCompletions
from autbot.use_cases.embeddings import EmbedRequest, EmbedTexts
from autbot.use_cases.models import DescribeModel, ListModels, ListModelsRequest, ModelRef

SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


class ChatController(Controller):
    path = "/v1/chat"
    tags = ["openai"]
    exception_handlers = OPENAI_EXCEPTION_HANDLERS

    @post(
        "/completions",
        summary="OpenAI chat completions: rag:<collection> answers with citations; a chat alias relays.",
        description=described(ChatCompletions),
        status_code=200,
        # counted once the key may use the model's collection
        opt=sec.query(**limited("query", charged=True), **audited(None)),
        responses=openai_error_responses(404, 409, body=True),
        operation_class=JsonOrEventStream,
    )
    async def completions(
        self,
        data: JSONBody[o.ChatBody],
        chat_completions: NamedDependency[ChatCompletions],
        stream_chat_completions: NamedDependency[StreamChatCompletions],
        draining: NamedDependency[Draining],
        request: Request[Any, Any, Any],
    ) -> Response[Any]:
        chat = o.chat_request(data, principal=principal_of(request), caller=caller_of(request.scope))
        chat = replace(chat, admit=gate_of(request))
        completion_id, created, rag = f"chatcmpl-{os.urandom(12).hex()}", int(time.time()), _is_rag(data.model)
        if not data.stream:
            answer = await chat_completions.execute(chat)
            out = o.completion_out(answer, completion_id=completion_id, created=created, model=data.model, rag=rag)
            return Response(out)
        events = stream_chat_completions.execute(chat)
        first = await anext(events)  # validation, retrieval and upstream errors: an ordinary error response
        frames = _Frames(completion_id, created, data.model)
        return EventStream(
            _chunks(first, draining.until_drained(events), frames, rag=rag, include_usage=o.include_usage(data)),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )


def _is_rag(model: str) -> bool:
    return model.startswith(RAG_PREFIX)


class _Frames:
    """``data: <chunk>`` frames of one completion (same id, creation time and model on every chunk)."""

    def __init__(self, completion_id: str, created: int, model: str) -> None:
        self.id, self.created, self.model = completion_id, created, model

    def chunk(self, choices: list[o.ChunkChoice], usage: o.UsageOut | None = None) -> bytes:
        c = o.ChatChunk(
            id=self.id,
            object="chat.completion.chunk",
            created=self.created,
            model=self.model,
            choices=choices,
            usage=usage,
        )
        return b"data: " + msgspec.json.encode(c) + b"\n\n"

    def delta(self, delta: o.Delta, finish_reason: str | None = None) -> bytes:
        return self.chunk([o.ChunkChoice(index=0, delta=delta, finish_reason=finish_reason)])


def _error_frame(body: dict[str, Any]) -> bytes:
    return b"data: " + msgspec.json.encode(body) + b"\n\n"


async def _chunks(
    first: AnswerEvent, events: AsyncGenerator[AnswerEvent | None, None], f: _Frames, *, rag: bool, include_usage: bool
) -> AsyncIterator[bytes]:
    """Role first, then content deltas, then the finish reason with the citations, the usage chunk if asked
    for, and ``[DONE]``. A failure ends the stream with an error event instead (never a silent cut); SIGTERM
    (a ``None`` event) with the ``shutting_down`` error, then ``[DONE]``."""
    citations: list[s.CitationOut] | None = [] if rag else None
    try:
        yield f.delta(o.Delta(role="assistant", content=""))
        event: AnswerEvent | None = first
        while True:
            if isinstance(event, CitationsEvent):
                citations = [s.citation_out(c) for c in event.citations]
            elif isinstance(event, TokenEvent):
                yield f.delta(o.Delta(content=event.text))
            elif isinstance(event, DoneEvent):
                yield f.delta(o.Delta(citations=citations), finish_reason=event.finish_reason)
                if include_usage:
                    yield f.chunk([], usage=o.usage_out(event.usage))
                yield b"data: [DONE]\n\n"
            try:
                event = await anext(events)
            except StopAsyncIteration:
                return
            if event is None:
                yield _error_frame(error_of(ShuttingDown()))
                yield b"data: [DONE]\n\n"
                return
    except AutbotError as error:
        yield _error_frame(error_of(error))
    except Exception as error:
        logger.opt(exception=error).error("chat completion stream failed")
        yield _error_frame(
            openai_error(status=500, message="An internal error occurred; it has been logged.", code="internal_error")
        )
    finally:
        await events.aclose()


class ModelsController(Controller):
    path = "/v1/models"
    tags = ["openai"]
    exception_handlers = OPENAI_EXCEPTION_HANDLERS

    @get(
        "/",
        summary="OpenAI models: the chat aliases, rag:<collection> per collection the key may use, the embedder.",
        description=described(ListModels),
        sync_to_thread=True,
        opt=sec.query(),
        responses=openai_error_responses(),
    )
    def list_models(
        self, list_models: NamedDependency[ListModels], principal: NamedDependency[Principal]
    ) -> o.ModelsOut:
        cards = list_models.execute(ListModelsRequest(principal=principal))
        return o.ModelsOut(object="list", data=[o.model_out(c) for c in cards])

    @get(
        "/{model:str}",
        summary="One model (rag:<collection> only if the key may use that collection).",
        description=described(DescribeModel),
        sync_to_thread=True,
        opt=sec.query(),
        responses=openai_error_responses(404),
    )
    def get_model(
        self,
        model: FromPath[str],
        describe_model: NamedDependency[DescribeModel],
        principal: NamedDependency[Principal],
    ) -> o.ModelOut:
        return o.model_out(describe_model.execute(ModelRef(principal=principal, model=model)))


class EmbeddingsController(Controller):
    path = "/v1/embeddings"
    tags = ["openai"]
    exception_handlers = OPENAI_EXCEPTION_HANDLERS

    @post(
        "/",
        summary="OpenAI embeddings with the configured embedder (float or base64).",
        description=described(EmbedTexts),
        status_code=200,
        # one unit per text, once the request is valid
        opt=sec.query(**limited("embeddings", charged=True), **audited(None)),
        responses=openai_error_responses(404, body=True),
    )
    async def embeddings(
        self,
        data: JSONBody[o.EmbeddingsBody],
        embed_texts: NamedDependency[EmbedTexts],
        request: Request[Any, Any, Any],
    ) -> o.EmbeddingsOut:
        embed = EmbedRequest(
            model=data.model, texts=o.texts_of(data), dimensions=data.dimensions, admit=gate_of(request)
        )
        result = await embed_texts.execute(embed)
        return o.embeddings_out(result, encoding=data.encoding_format)
