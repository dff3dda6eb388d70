"""The official ``openai`` SDK against a real ``autbot serve``: chat (plain, streamed, multi-turn) with
citations and usage, models, embeddings, every error as the SDK's exception class, and server-side sessions
(SQLite, across a restart). First with the fake model, then with the local SmolLM2 model, then relaying to a
real OpenAI-compatible server (llama.cpp's)."""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.integration.test_answers import DOCS
from tests.integration.test_auth_server import create
from tests.support.processes import AutbotServer, free_port, parse_sse

pytestmark = pytest.mark.slow

FAKES = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",
    "AUTBOT_INDEX__BACKEND": "memory",
    "AUTBOT_LLM__BACKEND": "fake",
    "AUTBOT_LLM__MIN_VECTOR_SCORE": "0.0",
}
EIFFEL: list[ChatCompletionMessageParam] = [{"role": "user", "content": "How tall is the Eiffel Tower?"}]
FOLLOW_UP: list[ChatCompletionMessageParam] = [
    *EIFFEL,
    {"role": "assistant", "content": "The Eiffel Tower is 330 metres tall. [1]"},
    {"role": "user", "content": "And when was it built?"},
]


class Deployment:
    """``autbot serve`` with keys made by the CLI first (so it requires them) and the documents ingested."""

    def __init__(self, tmp: Path, env: dict[str, str], *, docs: list[dict[str, Any]] | None = None) -> None:
        self.env = {**env, "AUTBOT_STORAGE__DATA_DIR": str(tmp / "data")}
        self.app = create(self.env, "app", "query,ingest")
        self.ingester = create(self.env, "ingester", "ingest")
        self.other = create(self.env, "other", "query", "--collections", "other")
        self.server = AutbotServer(tmp / "data", env=self.env).start(timeout=180)
        self.docs = docs if docs is not None else DOCS
        if self.docs:
            with self.http() as c:
                assert c.post("/v1/collections/kb/documents", json={"documents": self.docs}).status_code == 201

    def http(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url, timeout=300, headers={"Authorization": f"Bearer {key or self.app}"}
        )

    def sdk(self, key: str | None = None) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.server.url}/v1", api_key=key or self.app, max_retries=0, timeout=300)

    def stop(self) -> None:
        self.server.stop()


def cited(message: Any) -> list[str]:
    return [c["document_id"] for c in (message.model_extra or {})["citations"]]


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    d = Deployment(tmp_path_factory.mktemp("sdk-fake"), FAKES)
    yield d
    d.stop()


def test_chat_plain_and_streamed_with_citations_and_usage(fake: Deployment) -> None:
    r = fake.sdk().chat.completions.create(model="rag:kb", messages=EIFFEL)
    assert (r.choices[0].message.content or "").startswith("The Eiffel Tower is")  # the fake quotes source [1]
    assert (r.choices[0].message.content or "").endswith("[1]")
    assert cited(r.choices[0].message)[0] == "eiffel"
    assert r.usage is not None
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens > 0
    chunks = list(
        fake.sdk().chat.completions.create(
            model="rag:kb",
            messages=EIFFEL,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == r.choices[0].message.content
    final = next(c for c in chunks if c.choices and c.choices[0].finish_reason)
    assert cited(final.choices[0].delta)[0] == "eiffel"
    assert chunks[-1].usage is not None
    relay = fake.sdk().chat.completions.create(model="chat", messages=[{"role": "user", "content": "Say hi"}])
    assert relay.choices[0].message.content == "You said: Say hi"


def test_a_follow_up_is_answered_from_the_right_document(fake: Deployment) -> None:
    r = fake.sdk().chat.completions.create(model="rag:kb", messages=FOLLOW_UP)
    assert cited(r.choices[0].message)[0] == "eiffel"


def test_models_and_embeddings(fake: Deployment) -> None:
    assert [m.id for m in fake.sdk().models.list()] == ["chat", "rag:kb", "hashing-256"]
    assert [m.id for m in fake.sdk(fake.other).models.list()] == ["chat", "hashing-256"]
    floats = fake.sdk().embeddings.create(model="embedding", input=["tower"], encoding_format="float")
    b64 = fake.sdk().embeddings.create(model="embedding", input=["tower"])  # the SDK asks for base64
    assert len(floats.data[0].embedding) == 256
    assert b64.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-6)
    with fake.http() as c:
        raw = c.post("/v1/embeddings", json={"model": "embedding", "input": "tower", "encoding_format": "base64"})
    assert list(struct.unpack("<256f", base64.b64decode(raw.json()["data"][0]["embedding"]))) == pytest.approx(
        floats.data[0].embedding, abs=1e-6
    )


def test_errors_are_the_sdks_exception_classes(fake: Deployment) -> None:
    with pytest.raises(openai.AuthenticationError):
        fake.sdk("abk_wrong").models.list()
    with pytest.raises(openai.PermissionDeniedError):
        fake.sdk(fake.ingester).chat.completions.create(model="rag:kb", messages=EIFFEL)
    with pytest.raises(openai.NotFoundError):
        fake.sdk().chat.completions.create(model="rag:missing", messages=EIFFEL)
    with pytest.raises(openai.NotFoundError):
        fake.sdk(fake.other).chat.completions.create(model="rag:kb", messages=EIFFEL)
    with pytest.raises(openai.NotFoundError):
        fake.sdk().models.retrieve("rag:missing")
    with pytest.raises(openai.BadRequestError) as e:
        fake.sdk().chat.completions.create(model="rag:kb", messages=EIFFEL, n=2)
    body = e.value.body
    assert isinstance(body, dict)
    assert body["param"] == "n"
    with pytest.raises(openai.BadRequestError):
        fake.sdk().embeddings.create(model="embedding", input=[[1, 2]])


def test_rate_limits_and_an_unreachable_upstream(tmp_path: Path) -> None:
    env = {
        **FAKES,
        "AUTBOT_LIMITS__QUERY": "2/minute",
        "AUTBOT_LLM__BACKEND": "openai",
        "AUTBOT_LLM__OPENAI__BASE_URL": f"http://127.0.0.1:{free_port()}/v1",  # nothing listens there
        "AUTBOT_LLM__OPENAI__MAX_RETRIES": "0",
    }
    d = Deployment(tmp_path, env, docs=[])
    try:
        for _ in range(2):
            with pytest.raises(openai.APIStatusError) as down:
                d.sdk().chat.completions.create(model="chat", messages=EIFFEL)
            assert down.value.status_code == 503
            assert down.value.code == "llm_unavailable"
        with pytest.raises(openai.RateLimitError) as limited:
            d.sdk().chat.completions.create(model="chat", messages=EIFFEL)
        assert int(limited.value.response.headers["retry-after"]) >= 1
    finally:
        d.stop()


def test_sessions_survive_a_restart(tmp_path: Path) -> None:
    d = Deployment(tmp_path, FAKES | {"AUTBOT_INDEX__BACKEND": "chroma"})
    try:
        with d.http() as c:
            sid = c.post("/v1/sessions", json={"collection": "kb", "title": "Paris"}).json()["id"]
            assert c.post(f"/v1/sessions/{sid}/messages", json={"question": EIFFEL[0]["content"]}).status_code == 200
            with c.stream(
                "POST", f"/v1/sessions/{sid}/messages", json={"question": "And when was it built?", "stream": True}
            ) as r:
                events = list(parse_sse(r.iter_lines()))
            assert events[0][0] == "citations"
            assert events[-1][0] == "done"
        with d.http(d.other) as c:
            assert c.get(f"/v1/sessions/{sid}").json()["error"]["code"] == "session_not_found"
        d.server.stop()
        d.server.start(timeout=180)
        with d.http() as c:
            got = c.get(f"/v1/sessions/{sid}").json()
        assert [m["role"] for m in got["messages"]] == ["user", "assistant", "user", "assistant"]
        assert got["messages"][3]["citations"][0]["document_id"] == "eiffel"
    finally:
        d.stop()


# --- real models ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The default local profile: ONNX embeddings, the embedded store, SmolLM2 in-process."""
    d = Deployment(tmp_path_factory.mktemp("sdk-local"), {"AUTBOT_LLM__BACKEND": "local"})
    yield d
    d.stop()


def test_local_model_answers_streams_and_follows_up(local: Deployment) -> None:
    r = local.sdk().chat.completions.create(model="rag:kb", messages=EIFFEL)
    assert "330" in (r.choices[0].message.content or "")
    assert cited(r.choices[0].message)[0] == "eiffel"
    assert r.usage is not None
    assert r.usage.completion_tokens > 0
    text = "".join(
        c.choices[0].delta.content or ""
        for c in local.sdk().chat.completions.create(model="rag:kb", messages=EIFFEL, stream=True)
        if c.choices
    )
    assert "330" in text
    follow = local.sdk().chat.completions.create(model="rag:kb", messages=FOLLOW_UP)
    assert cited(follow.choices[0].message)[0] == "eiffel"
    assert follow.usage is not None
    assert follow.usage.prompt_tokens > r.usage.prompt_tokens  # the condensing call is counted


def test_relay_and_rag_through_an_openai_compatible_upstream(openai_server: str, tmp_path: Path) -> None:
    env = {
        "AUTBOT_LLM__BACKEND": "openai",
        "AUTBOT_LLM__OPENAI__BASE_URL": openai_server,
        "AUTBOT_LLM__OPENAI__MODEL": "smollm2",
    }
    d = Deployment(tmp_path, env)
    try:
        relay = d.sdk().chat.completions.create(
            model="chat", messages=[{"role": "user", "content": "What is the capital of France?"}], max_tokens=24
        )
        assert relay.choices[0].message.content
        assert relay.usage is not None
        assert relay.usage.prompt_tokens > 0  # llama.cpp's own counts, passed on
        assert relay.usage.completion_tokens > 0
        chunks = list(
            d.sdk().chat.completions.create(
                model="chat",
                messages=[{"role": "user", "content": "Say hello."}],
                max_tokens=16,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert chunks[-1].usage is not None
        assert chunks[-1].usage.completion_tokens > 0
        rag = d.sdk().chat.completions.create(model="rag:kb", messages=EIFFEL)
        assert "330" in (rag.choices[0].message.content or "")
        assert cited(rag.choices[0].message)[0] == "eiffel"
    finally:
        d.stop()
