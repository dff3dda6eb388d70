"""The OpenAI adapter's retry rules against a real (tiny, scripted) HTTP server on loopback."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypedDict, Unpack

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.adapters.llm import openai_http
from autbot.adapters.llm.openai import OpenAILanguageModel, retry_after_seconds
from autbot.adapters.llm.openai_http import env_proxy
from autbot.domain.answers import ChatMessage, GenerationParams
from autbot.domain.errors import LanguageModelTimeout, LanguageModelUnavailable
from tests.support.processes import free_port

MSG = (ChatMessage(role="user", content="hi"),)
PARAMS = GenerationParams(max_tokens=8, timeout_s=10)


class Script:
    def __init__(self, steps: list[tuple[int, dict[str, str]]], stream_break: bool = False) -> None:
        self.steps = steps
        self.calls: list[float] = []
        self.keys: list[str] = []
        self.paths: list[str] = []
        self.stream_break = stream_break
        self.stall = False  # read the request, then answer nothing until the test ends
        self.garbage: bytes | None = None  # answer 200 with this body instead
        self.released = threading.Event()


def _completion() -> bytes:
    return json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hello there"}}
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
    ).encode()


def _chunk(text: str) -> bytes:
    body = {
        "id": "x",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script([])

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            script.paths.append(self.path)
            script.calls.append(time.monotonic())
            script.keys.append(self.headers.get("authorization", ""))
            if script.stall:
                script.released.wait(30)
                return
            if script.garbage is not None:
                self.send_response(200)
                self.send_header("content-length", str(len(script.garbage)))
                self.end_headers()
                self.wfile.write(script.garbage)
                return
            status, headers = script.steps.pop(0) if script.steps else (200, {})
            if status != 200:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                payload = json.dumps({"error": {"message": "scripted", "type": "x"}}).encode()
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            if body.get("stream"):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                self.wfile.write(_chunk("hel") + _chunk("lo"))
                self.wfile.flush()
                if script.stream_break:
                    self.connection.shutdown(2)  # the connection dies after tokens were sent
                    return
                end = {
                    "id": "x",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "m",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(b"data: " + json.dumps(end).encode() + b"\n\ndata: [DONE]\n\n")
                return
            payload = _completion()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", script
    script.released.set()
    httpd.shutdown()
    httpd.server_close()


class Retries(TypedDict, total=False):
    max_retries: int


def model(url: str, **kw: Unpack[Retries]) -> OpenAILanguageModel:
    return OpenAILanguageModel(base_url=url, model="m", api_key="sk-test", backoff_s=0.05, **kw)


async def test_retries_429_honouring_retry_after(server: tuple[str, Script]) -> None:
    url, script = server
    script.steps = [(429, {"retry-after": "0.3"}), (503, {})]
    out = await model(url, max_retries=2).complete(MSG, PARAMS)
    assert out.text == "hello there"
    assert len(script.calls) == 3
    assert script.calls[1] - script.calls[0] >= 0.3
    assert script.keys[0] == "Bearer sk-test"


async def test_calls_go_through_the_proxy_the_environment_names(
    server: tuple[str, Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, script = server
    proxy = url.removesuffix("/v1")  # the fake endpoint plays the proxy: it answers whatever URL it is asked for
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert env_proxy(url) is None  # NO_PROXY
    assert env_proxy("http://llm.internal.example:8000/v1/chat/completions") == proxy
    out = await model("http://llm.internal.example:8000/v1").complete(MSG, PARAMS)
    assert out.text == "hello there"
    assert script.paths == ["http://llm.internal.example:8000/v1/chat/completions"]  # an absolute URI: proxied


async def test_gives_up_after_max_retries(server: tuple[str, Script]) -> None:
    url, script = server
    script.steps = [(500, {}), (500, {}), (500, {})]
    with pytest.raises(LanguageModelUnavailable, match="500"):
        await model(url, max_retries=1).complete(MSG, PARAMS)
    assert len(script.calls) == 2


async def test_client_errors_are_not_retried(server: tuple[str, Script]) -> None:
    url, script = server
    script.steps = [(401, {})]
    with pytest.raises(LanguageModelUnavailable, match="API key"):
        await model(url, max_retries=3).complete(MSG, PARAMS)
    assert len(script.calls) == 1


async def test_stream_retries_before_the_first_token(server: tuple[str, Script]) -> None:
    url, script = server
    script.steps = [(429, {"retry-after": "0"})]
    deltas = [d async for d in model(url, max_retries=2).stream(MSG, PARAMS)]
    assert "".join(d.text for d in deltas) == "hello"
    assert len(script.calls) == 2


async def test_stream_is_never_retried_once_tokens_were_sent(server: tuple[str, Script]) -> None:
    url, script = server
    script.stream_break = True
    got = []
    with pytest.raises(LanguageModelUnavailable):
        async for d in model(url, max_retries=3).stream(MSG, PARAMS):
            got.append(d.text)
    assert "".join(got) == "hello"
    assert len(script.calls) == 1


async def test_unreachable_endpoint() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    with pytest.raises(LanguageModelUnavailable, match="reach") as e:
        await model(nowhere, max_retries=0).complete(MSG, PARAMS)
    assert e.value.code == "llm_unavailable"
    health = model(nowhere).health()
    assert not health.ok
    assert "sk-test" not in repr(model(nowhere))


async def test_a_stalled_endpoint_times_out_after_bounded_retries(server: tuple[str, Script]) -> None:
    url, script = server
    script.stall = True
    params = GenerationParams(max_tokens=8, timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(LanguageModelTimeout) as e:
        await model(url, max_retries=1).complete(MSG, params)
    assert (e.value.code, e.value.details["endpoint"]) == ("llm_timeout", url)
    assert len(script.calls) == 2  # a timed-out call is retried once, then translated
    with pytest.raises(LanguageModelTimeout) as e:
        async for _ in model(url, max_retries=0).stream(MSG, params):
            pass
    assert e.value.code == "llm_timeout"
    assert len(script.calls) == 3
    assert time.monotonic() - started < 5  # bounded by the timeouts, not by the stalled server


@given(st.floats(min_value=0, max_value=10_000, allow_nan=False))
def test_retry_after_seconds_and_milliseconds(value: float) -> None:
    assert retry_after_seconds({"retry-after": str(value)}) == pytest.approx(value)
    assert retry_after_seconds({"retry-after-ms": str(value * 1000)}) == pytest.approx(value)


def test_retry_after_http_date() -> None:
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470.0) == 10.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


async def test_a_rotated_key_is_used_by_the_next_call(server: tuple[str, Script]) -> None:
    from autbot.adapters.secrets.stores import StaticSecretStore

    url, script = server
    store = StaticSecretStore({"openai_api_key": "sk-old"})
    llm = OpenAILanguageModel(base_url=url, model="m", api_key=lambda: store.get("openai_api_key"), max_retries=0)
    await llm.complete(MSG, PARAMS)
    store.set("openai_api_key", "sk-new")  # rotated at the source: no restart, no rebuild by the caller
    await llm.complete(MSG, PARAMS)
    assert script.keys == ["Bearer sk-old", "Bearer sk-new"]


async def test_credentials_in_the_base_url_never_show() -> None:
    url = f"http://user:url-canary-pw@127.0.0.1:{free_port()}/v1"  # nothing listens there
    llm = OpenAILanguageModel(base_url=url, model="m", api_key="sk-key-canary", max_retries=0)
    with pytest.raises(LanguageModelUnavailable) as caught:
        await llm.complete(MSG, PARAMS)
    health = llm.health()
    shown = f"{caught.value.message} {caught.value.details} {health.detail} {llm!r}"
    assert "http://***@127.0.0.1" in shown
    assert "url-canary-pw" not in shown
    assert "sk-key-canary" not in shown


async def test_credentials_in_the_base_url_are_sent_as_basic_auth_unless_a_key_is_set(
    server: tuple[str, Script],
) -> None:
    url, script = server
    with_credentials = url.replace("http://", "http://user:p%40ss@")
    await OpenAILanguageModel(base_url=with_credentials, model="m", max_retries=0).complete(MSG, PARAMS)
    await OpenAILanguageModel(base_url=with_credentials, model="m", api_key="sk-k", max_retries=0).complete(MSG, PARAMS)
    assert script.keys == ["Basic " + base64.b64encode(b"user:p@ss").decode(), "Bearer sk-k"]


@pytest.mark.parametrize("through_proxy", [False, True])
async def test_answers_that_are_not_json_are_unavailable_errors(
    server: tuple[str, Script], monkeypatch: pytest.MonkeyPatch, through_proxy: bool
) -> None:
    url, script = server
    if through_proxy:  # the aiohttp wire; else the lean one
        monkeypatch.setenv("HTTP_PROXY", url.removesuffix("/v1"))
        url = "http://llm.internal.example:8000/v1"
    script.garbage = b"<html>not json</html>"
    with pytest.raises(LanguageModelUnavailable, match="other than JSON"):
        await model(url, max_retries=0).complete(MSG, PARAMS)
    script.garbage = b"data: {nope\n\n"
    with pytest.raises(LanguageModelUnavailable, match="not JSON"):
        async for _ in model(url, max_retries=0).stream(MSG, PARAMS):
            pass
    script.garbage = b"x" * 100
    monkeypatch.setattr(openai_http, "MAX_RESPONSE_BYTES", 10)
    with pytest.raises(LanguageModelUnavailable, match="larger than 10 bytes"):
        await model(url, max_retries=0).complete(MSG, PARAMS)


async def test_streams_go_through_the_proxy_too(server: tuple[str, Script], monkeypatch: pytest.MonkeyPatch) -> None:
    url, script = server
    monkeypatch.setenv("HTTP_PROXY", url.removesuffix("/v1"))
    llm = model("http://llm.internal.example:8000/v1")
    deltas = [d async for d in llm.stream(MSG, PARAMS)]
    assert "".join(d.text for d in deltas) == "hello"
    assert script.paths == ["http://llm.internal.example:8000/v1/chat/completions"]
    await llm.aclose()
