"""msgspec Structs of the OpenAI-compatible API (as the official SDKs send and parse them), and their
translation to and from domain types.

Request bodies accept fields they do not name (``seed``, ``metadata``, ``store``, ``presence_penalty``, ...):
OpenAI clients send them freely, and they do not change what AutBot can do. Fields whose meaning AutBot
cannot honour (``n`` > 1, tools, JSON mode, log probabilities, audio, images) are refused clearly, as 400
``unsupported_parameter`` naming the parameter. The ``autbot`` field is AutBot's own extension.
"""

from __future__ import annotations

import base64
import struct
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from autbot.domain import limits
from autbot.domain.answers import Answer, ChatMessage, Role, Usage
from autbot.domain.auth import Principal
from autbot.domain.errors import InvalidInput, UnsupportedParameter
from autbot.domain.models import OWNER, ModelCard
from autbot.entrypoints.http.schemas import collections as s
from autbot.use_cases.chat import ChatRequest
from autbot.use_cases.embeddings import Embeddings

ModelName = Annotated[str, Meta(min_length=1, max_length=256)]


class _Open(msgspec.Struct, kw_only=True):
    """A request part that ignores fields it does not name (OpenAI clients send many)."""


class _Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """AutBot's own fields: a misspelt one is an error, not silently ignored."""


class _Out(msgspec.Struct, kw_only=True):
    pass


# --- chat completions: request ----------------------------------------------------------------------
class ContentPart(_Open):
    type: str
    text: str | None = None


class MessageIn(_Open):
    role: str
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[Any] | None = None
    function_call: Any = None


class StreamOptions(_Open):
    include_usage: bool = False


class ResponseFormat(_Open):
    type: str


class AutbotOptions(_Strict, s.RetrievalFields, kw_only=True):
    """AutBot's extension: how a ``rag:`` model retrieves (as ``/query`` takes it)."""


class ChatBody(_Open):
    model: ModelName
    messages: Annotated[list[MessageIn], Meta(min_length=1, max_length=limits.MAX_CHAT_MESSAGES)]
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    max_tokens: Annotated[int, Meta(ge=1)] | None = None
    max_completion_tokens: Annotated[int, Meta(ge=1)] | None = None
    temperature: Annotated[float, Meta(ge=0, le=limits.MAX_TEMPERATURE)] | None = None
    top_p: Annotated[float, Meta(gt=0, le=1)] | None = None
    stop: str | list[str] | None = None
    user: str | None = None
    n: int | None = None
    tools: list[Any] | None = None
    functions: list[Any] | None = None
    tool_choice: Any = None
    function_call: Any = None
    response_format: ResponseFormat | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    modalities: list[str] | None = None
    audio: Any = None
    autbot: AutbotOptions | None = None


def _unsupported(param: str, message: str) -> UnsupportedParameter:
    return UnsupportedParameter(message, field=param)


def _check_supported(b: ChatBody) -> None:
    if b.n not in (None, 1):
        raise _unsupported("n", "n must be 1: AutBot returns one choice.")
    if b.tools or b.functions or b.tool_choice not in (None, "none", "auto") or b.function_call not in (None, "none"):
        raise _unsupported("tools", "Tools and function calling are not supported.")
    if b.response_format is not None and b.response_format.type != "text":
        raise _unsupported("response_format", "Only response_format type 'text' is supported.")
    if b.logprobs or b.top_logprobs:
        raise _unsupported("logprobs", "Log probabilities are not supported.")
    if b.audio is not None or (b.modalities is not None and set(b.modalities) - {"text"}):
        raise _unsupported("modalities", "Only text output is supported.")


_ROLES: dict[str, Role] = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


def _message(i: int, m: MessageIn) -> ChatMessage:
    if m.role in ("tool", "function") or m.tool_calls:
        raise _unsupported(f"messages[{i}]", "Tool messages and tool calls are not supported.")
    role = _ROLES.get(m.role)
    if role is None:
        raise InvalidInput(
            f"messages[{i}].role must be system, developer, user or assistant.", field=f"messages[{i}].role"
        )
    if isinstance(m.content, list):
        if any(p.type != "text" or p.text is None for p in m.content):
            raise _unsupported(f"messages[{i}].content", "Only text content parts are supported.")
        text = "\n".join(p.text or "" for p in m.content)
    else:
        text = m.content or ""
    return ChatMessage(role=role, content=text)


def chat_request(b: ChatBody, *, principal: Principal, caller: str) -> ChatRequest:
    _check_supported(b)
    a = b.autbot or AutbotOptions()
    stop = (b.stop,) if isinstance(b.stop, str) else tuple(b.stop or ())
    return ChatRequest(
        model=b.model,
        messages=tuple(_message(i, m) for i, m in enumerate(b.messages)),
        principal=principal,
        max_tokens=b.max_completion_tokens if b.max_completion_tokens is not None else b.max_tokens,
        temperature=b.temperature,
        top_p=b.top_p,
        stop=stop,
        retrieval=a.options(),
        caller=caller,
    )


def include_usage(b: ChatBody) -> bool:
    return b.stream_options is not None and b.stream_options.include_usage


# --- chat completions: response ---------------------------------------------------------------------
class UsageOut(_Out):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(_Out, omit_defaults=True):
    role: str
    content: str
    citations: list[s.CitationOut] | None = None
    """AutBot's extension, on ``rag:`` answers: the chunks the model was given, numbered as in the text."""


class Choice(_Out):
    index: int
    message: AssistantMessage
    finish_reason: str
    logprobs: None = None


class ChatCompletion(_Out):
    id: str
    object: str
    created: int
    model: str
    choices: list[Choice]
    usage: UsageOut
    system_fingerprint: None = None


class Delta(_Out, omit_defaults=True):
    role: str | None = None
    content: str | None = None
    citations: list[s.CitationOut] | None = None


class ChunkChoice(_Out):
    index: int
    delta: Delta
    finish_reason: str | None = None
    logprobs: None = None


class ChatChunk(_Out, omit_defaults=True):
    id: str
    object: str
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: UsageOut | None = None


def usage_out(u: Usage) -> UsageOut:
    return UsageOut(
        prompt_tokens=u.prompt_tokens,
        completion_tokens=u.completion_tokens,
        total_tokens=u.prompt_tokens + u.completion_tokens,
    )


def completion_out(a: Answer, *, completion_id: str, created: int, model: str, rag: bool) -> ChatCompletion:
    message = AssistantMessage(
        role="assistant", content=a.text, citations=[s.citation_out(c) for c in a.citations] if rag else None
    )
    return ChatCompletion(
        id=completion_id,
        object="chat.completion",
        created=created,
        model=model,
        choices=[Choice(index=0, message=message, finish_reason=a.finish_reason)],
        usage=usage_out(a.usage),
    )


# --- models -------------------------------------------------------------------------------------------
class ModelOut(_Out):
    id: str
    object: str
    created: int
    owned_by: str


class ModelsOut(_Out):
    object: str
    data: list[ModelOut]


def model_out(card: ModelCard) -> ModelOut:
    return ModelOut(id=card.id, object="model", created=0, owned_by=OWNER)


# --- embeddings ---------------------------------------------------------------------------------------
class EmbeddingsBody(_Open):
    input: str | list[Any]
    model: ModelName
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: Annotated[int, Meta(ge=1)] | None = None
    user: str | None = None


def texts_of(b: EmbeddingsBody) -> tuple[str, ...]:
    items = [b.input] if isinstance(b.input, str) else b.input
    if not all(isinstance(x, str) for x in items):
        raise _unsupported("input", "input must be a string or a list of strings (token arrays are not supported).")
    return tuple(items)


class EmbeddingOut(_Out):
    object: str
    index: int
    embedding: list[float] | str


class EmbeddingUsage(_Out):
    prompt_tokens: int
    total_tokens: int


class EmbeddingsOut(_Out):
    object: str
    data: list[EmbeddingOut]
    model: str
    usage: EmbeddingUsage


def _base64(vector: list[float]) -> str:
    """Little-endian float32, base64: what OpenAI sends for ``encoding_format=base64``."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def embeddings_out(e: Embeddings, *, encoding: str) -> EmbeddingsOut:
    data = [
        EmbeddingOut(object="embedding", index=i, embedding=_base64(v) if encoding == "base64" else v)
        for i, v in enumerate(e.vectors)
    ]
    usage = EmbeddingUsage(prompt_tokens=e.prompt_tokens, total_tokens=e.prompt_tokens)
    return EmbeddingsOut(object="list", data=data, model=e.model, usage=usage)
