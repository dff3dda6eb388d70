"""The OpenAI-compatible routes in process, driven by the official ``openai`` SDK over Litestar's TestClient
(fakes: hashing embedder, memory stores, scripted model): chat (plain, streamed, multi-turn), models,
embeddings, every error mapped to the SDK's exception class; and server-side sessions."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.app_client import LOOPBACK_BASE_URL, app_client, fake_settings
from tests.support.processes import parse_sse

DOCS = [
    {"id": "eiffel", "title": "Eiffel", "text": "The Eiffel Tower is 330 metres tall. It was completed in 1889."},
    {"id": "moon", "text": "The Moon orbits the Earth every 27 days."},
    {"id": "rome", "text": "Rome was not built in a day."},
]
Q: list[ChatCompletionMessageParam] = [{"role": "user", "content": "How tall is the Eiffel Tower?"}]


class Server:
    def __init__(self, llm: ScriptedLanguageModel | None = None, **settings: Any) -> None:
        self.keys = InMemoryKeyStore()
        create = CreateKey(keys=self.keys).execute
        self.admin = create(CreateKeyRequest(name="admin", scopes=("admin",))).key
        self.reader = create(CreateKeyRequest(name="reader", scopes=("query",))).key
        self.writer = create(CreateKeyRequest(name="writer", scopes=("ingest",))).key
        self.elsewhere = create(CreateKeyRequest(name="elsewhere", scopes=("query",), collections=("other",))).key
        overrides: dict[str, Any] = {"key_store": self.keys, **({"llm": llm} if llm else {})}
        self.http = app_client(fake_settings(**settings), overrides=overrides)

    def __enter__(self) -> Server:
        self.http.__enter__()
        r = self.http.post("/v1/collections/kb/documents", json={"documents": DOCS}, headers=self.auth(self.admin))
        assert r.status_code == 201, r.text
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.__exit__(*exc)

    @staticmethod
    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def sdk(self, key: str | None = None) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=f"{LOOPBACK_BASE_URL}/v1", api_key=key or self.reader, http_client=self.http, max_retries=0
        )


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as s:
        yield s


def citations_of(message: Any) -> list[dict[str, Any]]:
    return list((message.model_extra or {})["citations"])


def test_chat_completion_answers_with_citations_and_usage(server: Server) -> None:
    r = server.sdk().chat.completions.create(model="rag:kb", messages=Q)
    assert r.id.startswith("chatcmpl-")
    assert (r.object, r.model, len(r.choices)) == ("chat.completion", "rag:kb", 1)
    choice = r.choices[0]
    assert (choice.message.role, choice.finish_reason) == ("assistant", "stop")
    assert "330" in (choice.message.content or "")
    assert "[1]" in (choice.message.content or "")  # the markers as the model wrote them
    cited = citations_of(choice.message)
    assert cited[0]["document_id"] == "eiffel"
    assert set(cited[0]) == {"n", "document_id", "chunk_id", "text", "score", "metadata"}
    assert r.usage is not None
    assert r.usage.completion_tokens > 0
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_streamed_chat_completion_chunks(server: Server) -> None:
    stream = server.sdk().chat.completions.create(
        model="rag:kb",
        messages=Q,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "330" in text
    final = next(c for c in chunks if c.choices and c.choices[0].finish_reason)
    assert final.choices[0].finish_reason == "stop"
    assert citations_of(final.choices[0].delta)[0]["document_id"] == "eiffel"
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None
    assert usage_chunk.usage.completion_tokens > 0


def test_the_stream_ends_with_done(server: Server) -> None:
    r = server.http.post(
        "/v1/chat/completions",
        json={"model": "rag:kb", "messages": Q, "stream": True},
        headers=server.auth(server.reader),
    )
    assert r.headers["content-type"].startswith("text/event-stream")
    data = [d for _, d in parse_sse(iter(r.text.splitlines()))]
    assert data[-1] == "[DONE]"
    assert all("usage" not in json.loads(d) for d in data[:-1])  # no usage chunk unless asked for


def test_a_follow_up_retrieves_what_the_conversation_is_about(server: Server) -> None:
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "You are a helpful guide."},
        *Q,
        {"role": "assistant", "content": "The Eiffel Tower is 330 metres tall. [1]"},
        {"role": "user", "content": "and when was it built?"},
    ]
    r = server.sdk().chat.completions.create(model="rag:kb", messages=messages)
    assert citations_of(r.choices[0].message)[0]["document_id"] == "eiffel"
    alone = server.sdk().chat.completions.create(
        model="rag:kb",
        messages=[{"role": "user", "content": "and when was it built?"}],
    )
    assert citations_of(alone.choices[0].message)[0]["document_id"] == "rome"  # without the conversation


def test_a_chat_alias_relays_without_retrieval() -> None:
    llm = ScriptedLanguageModel(["Hello there, friend."])
    with Server(llm=llm) as server:
        r = server.sdk().chat.completions.create(
            model="chat",
            messages=[{"role": "developer", "content": "Be nice."}, {"role": "user", "content": "Say hello"}],
            max_completion_tokens=2,
            temperature=0.2,
            top_p=0.9,
            stop=["\n"],
            user="u-1",
            seed=7,
            presence_penalty=0.1,
            frequency_penalty=0.1,
            logit_bias={},
            metadata={"a": "b"},
            store=False,
            parallel_tool_calls=False,
            response_format={"type": "text"},
            n=1,
        )
        assert (r.model, r.choices[0].message.content, r.choices[0].finish_reason) == (
            "chat",
            "Hello there, ",
            "length",
        )
        assert "citations" not in (r.choices[0].message.model_extra or {})
        assert [(m.role, m.content) for m in llm.calls[-1]] == [("system", "Be nice."), ("user", "Say hello")]
        streamed = list(server.sdk().chat.completions.create(model="chat", messages=Q, stream=True))
        assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == "Hello there, friend."


def test_models(server: Server) -> None:
    ids = [m.id for m in server.sdk().models.list()]
    assert ids == ["chat", "rag:kb", "hashing-256"]
    assert {m.owned_by for m in server.sdk().models.list()} == {"autbot"}
    assert [m.id for m in server.sdk(server.elsewhere).models.list()] == ["chat", "hashing-256"]  # kb is not its
    assert server.sdk().models.retrieve("rag:kb").id == "rag:kb"
    assert server.sdk().models.retrieve("embedding").id == "embedding"
    for missing in ("rag:missing", "gpt-4o"):
        with pytest.raises(openai.NotFoundError) as e:
            server.sdk().models.retrieve(missing)
        assert e.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        server.sdk(server.elsewhere).models.retrieve("rag:kb")


def test_embeddings_float_and_base64(server: Server) -> None:
    floats = server.sdk().embeddings.create(model="embedding", input=["tower", "moon"], encoding_format="float")
    assert [d.index for d in floats.data] == [0, 1]
    assert len(floats.data[0].embedding) == 256
    assert floats.model == "embedding"
    assert floats.usage.prompt_tokens > 0
    decoded = server.sdk().embeddings.create(model="hashing-256", input="tower")  # the SDK asks for base64
    assert decoded.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-6)
    raw = server.http.post(
        "/v1/embeddings",
        json={"model": "embedding", "input": "tower", "encoding_format": "base64"},
        headers=server.auth(server.reader),
    ).json()
    vector = struct.unpack("<256f", base64.b64decode(raw["data"][0]["embedding"]))  # little-endian float32
    assert list(vector) == pytest.approx(floats.data[0].embedding, abs=1e-6)


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda c: c.chat.completions.create(model="chat", messages=Q, n=2), "n"),
        (
            lambda c: c.chat.completions.create(
                model="chat", messages=Q, tools=[{"type": "function", "function": {"name": "f"}}]
            ),
            "tools",
        ),
        (
            lambda c: c.chat.completions.create(model="chat", messages=Q, response_format={"type": "json_object"}),
            "response_format",
        ),
        (lambda c: c.chat.completions.create(model="chat", messages=Q, logprobs=True), "logprobs"),
        (
            lambda c: c.chat.completions.create(
                model="rag:kb",
                messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
            ),
            "messages[0].content",
        ),
        (
            lambda c: c.chat.completions.create(model="rag:kb", messages=[{"role": "assistant", "content": "hi"}]),
            "messages",
        ),
        (lambda c: c.chat.completions.create(model="chat", messages=Q, max_tokens=10**6), "max_tokens"),
        (lambda c: c.chat.completions.create(model="chat", messages=[]), None),
        (lambda c: c.embeddings.create(model="embedding", input=[[1, 2, 3]]), "input"),
        (lambda c: c.embeddings.create(model="embedding", input="x", dimensions=64), "dimensions"),
        (lambda c: c.embeddings.create(model="embedding", input=[""]), "input"),
    ],
)
def test_bad_requests_are_400_in_openais_envelope(server: Server, call: Any, param: str | None) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        call(server.sdk())
    body = e.value.body
    assert isinstance(body, dict)
    assert set(body) == {"message", "type", "param", "code"}
    assert body["type"] == "invalid_request_error"
    if param is not None:
        assert body["param"] == param


def test_auth_errors_map_to_the_sdks_classes(server: Server) -> None:
    with pytest.raises(openai.AuthenticationError) as unauthorized:
        server.sdk("abk_not_a_real_key").chat.completions.create(model="rag:kb", messages=Q)
    body = unauthorized.value.body
    assert isinstance(body, dict)
    assert body["type"] == "authentication_error"
    assert unauthorized.value.response.headers["www-authenticate"].startswith("Bearer")
    with pytest.raises(openai.PermissionDeniedError):
        server.sdk(server.writer).chat.completions.create(model="rag:kb", messages=Q)
    for model in ("rag:missing", "gpt-4o"):
        with pytest.raises(openai.NotFoundError):
            server.sdk().chat.completions.create(model=model, messages=Q)
    with pytest.raises(openai.NotFoundError) as hidden:
        server.sdk(server.elsewhere).chat.completions.create(model="rag:kb", messages=Q)
    assert hidden.value.code == "collection_not_found"


def test_rate_limits_are_429_with_retry_after() -> None:
    with Server(limits={"query": "2/minute"}) as server:
        client = server.sdk()
        for _ in range(2):
            client.chat.completions.create(model="chat", messages=Q)
        with pytest.raises(openai.RateLimitError) as e:
            client.chat.completions.create(model="chat", messages=Q)
        assert int(e.value.response.headers["retry-after"]) >= 1
        assert e.value.code == "rate_limited"


def test_a_failing_model_is_503_and_a_failure_mid_stream_raises() -> None:
    with Server(llm=ScriptedLanguageModel(["one two three four"], fail_after_tokens=0)) as server:
        with pytest.raises(openai.InternalServerError) as e:
            server.sdk().chat.completions.create(model="rag:kb", messages=Q)
        assert e.value.status_code == 503
        assert e.value.response.headers["retry-after"]
        assert e.value.code == "llm_unavailable"
    with Server(llm=ScriptedLanguageModel(["one two three four"], fail_after_tokens=2)) as server:
        got = []
        with pytest.raises(openai.APIError) as mid:
            for chunk in server.sdk().chat.completions.create(model="rag:kb", messages=Q, stream=True):
                got.append(chunk.choices[0].delta.content or "")
        assert "".join(got) == "one two "
        assert mid.value.code == "llm_unavailable"


def test_other_routes_keep_problem_json(server: Server) -> None:
    r = server.http.post("/v1/collections/missing/search", json={"query": "x"}, headers=server.auth(server.reader))
    assert r.headers["content-type"].startswith("application/problem+json")
    r = server.http.post(
        "/v1/chat/completions",
        content=b"{not json",
        headers={**server.auth(server.reader), "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"


# --- sessions -----------------------------------------------------------------------------------------
def test_sessions_keep_the_conversation_per_key(server: Server) -> None:
    http, me, other = server.http, server.auth(server.reader), server.auth(server.admin)
    created = http.post("/v1/sessions", json={"collection": "kb", "title": "Paris"}, headers=me)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    first = http.post(f"/v1/sessions/{sid}/messages", json={"question": "How tall is the Eiffel Tower?"}, headers=me)
    assert first.status_code == 200, first.text
    assert set(first.json()) == {"answer", "citations", "usage", "model"}
    streamed = http.post(
        f"/v1/sessions/{sid}/messages", json={"question": "and when was it built?", "stream": True}, headers=me
    )
    events = list(parse_sse(iter(streamed.text.splitlines())))
    assert events[0][0] == "citations"
    assert events[-1][0] == "done"
    assert json.loads(events[0][1])["citations"][0]["document_id"] == "eiffel"  # the follow-up, condensed
    got = http.get(f"/v1/sessions/{sid}", headers=me).json()
    assert [m["role"] for m in got["messages"]] == ["user", "assistant", "user", "assistant"]
    assert got["messages"][3]["citations"][0]["document_id"] == "eiffel"
    assert [s["id"] for s in http.get("/v1/sessions", headers=me).json()["data"]] == [sid]
    assert http.get("/v1/sessions", headers=other).json()["data"] == []
    hidden = http.get(f"/v1/sessions/{sid}", headers=other)
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "session_not_found"
    assert http.post(f"/v1/sessions/{sid}/messages", json={"question": "x"}, headers=other).status_code == 404
    assert http.delete(f"/v1/sessions/{sid}", headers=other).status_code == 404
    assert http.delete(f"/v1/sessions/{sid}", headers=me).status_code == 204
    assert http.get(f"/v1/sessions/{sid}", headers=me).status_code == 404
    elsewhere = http.post("/v1/sessions", json={"collection": "kb"}, headers=server.auth(server.elsewhere))
    assert elsewhere.status_code == 404
    assert http.post("/v1/sessions", json={"collection": "kb", "colour": 1}, headers=me).status_code == 400
