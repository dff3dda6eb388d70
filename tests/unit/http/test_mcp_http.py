"""``/mcp`` in process, with the official MCP client SDK: the tools call the REST use cases as the key's principal
(scopes, collection lists, document access lists), errors carry REST's stable codes, ``ask`` streams its tokens as
progress, and the endpoint sits behind the app's authentication, body bounds, rate limits and metrics."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from litestar import Litestar
from litestar.di import Provide
from mcp.shared.exceptions import MCPError

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.domain import limits
from autbot.entrypoints.http.streaming.draining import Draining
from autbot.entrypoints.settings import Settings
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.app_client import LOOPBACK_BASE_URL, fake_app, fake_settings
from tests.support.mcp_client import in_process, mcp_client, structured

DOCS = [
    {"id": "open", "text": "Quarterly budget notes for everyone.", "metadata": {"lang": "en"}},
    {"id": "fin", "text": "Quarterly budget salaries, finance only.", "access": {"groups": ["finance"]}},
]
TOOLS = {"search", "ask", "list_collections", "get_document"}


class World:
    """Keys made before the app starts (it caches whether any exist), the app, and a transport into it."""

    transport: httpx2.ASGITransport

    def __init__(self, settings: Settings | None = None, **overrides: object) -> None:
        store = InMemoryKeyStore()
        create = CreateKey(keys=store).execute
        self.keys = {
            "admin": create(CreateKeyRequest(name="root", scopes=("admin",))).key,
            "finance": create(CreateKeyRequest(name="fin-bot", scopes=("query",), groups=("finance",))).key,
            "plain": create(CreateKeyRequest(name="plain", scopes=("query",))).key,
            "writer": create(CreateKeyRequest(name="writer", scopes=("ingest",))).key,
            "other": create(CreateKeyRequest(name="other", scopes=("query",), collections=("other",))).key,
        }
        self.app: Litestar = fake_app(settings, overrides={"key_store": store, **overrides})

    def client(self, who: str | None, **kw: Any) -> Any:
        return mcp_client(self.keys[who] if who else None, transport=self.transport, **kw)

    async def http(self, method: str, path: str, who: str | None = "admin", **kw: Any) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        async with httpx2.AsyncClient(transport=self.transport, base_url=LOOPBACK_BASE_URL) as http:
            return await http.request(method, path, headers=headers | kw.pop("headers", {}), **kw)


@asynccontextmanager
async def started(settings: Settings | None = None, **overrides: object) -> AsyncIterator[World]:
    world = World(settings, **overrides)
    async with in_process(world.app) as transport:
        world.transport = transport
        res = await world.http("POST", "/v1/collections/kb/documents", json={"documents": DOCS})
        assert res.status_code == 201, res.text
        yield world


async def test_tools_are_listed_with_the_rest_fields_and_bounds() -> None:
    async with started() as world, world.client("plain") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    search = tools["search"].input_schema
    assert search["type"] == "object"
    assert set(search["required"]) == {"collection", "query"}
    assert search["properties"]["top_k"]["maximum"] == limits.MAX_TOP_K
    assert search["properties"]["query"]["maxLength"] == limits.MAX_QUERY_CHARS
    assert set(tools["ask"].input_schema["required"]) == {"collection", "question"}
    assert set(tools["get_document"].input_schema["required"]) == {"collection", "document_id"}
    assert all(t.annotations is not None and t.annotations.read_only_hint for t in tools.values())


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_search_shows_each_key_what_its_groups_admit(mode: str) -> None:
    async with started() as world:
        found = {}
        for who in ("finance", "plain"):
            async with world.client(who, mode=mode) as client:
                result = await client.call_tool(
                    "search", {"collection": "kb", "query": "quarterly budget", "top_k": 10}
                )
            assert not result.is_error
            found[who] = sorted(r["document_id"] for r in structured(result)["results"])
    assert found == {"finance": ["fin", "open"], "plain": ["open"]}


async def test_ask_streams_its_tokens_as_progress_then_answers_with_citations() -> None:
    seen: list[tuple[float, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, message))

    question = {"collection": "kb", "question": "What about the quarterly budget?", "top_k": 10}
    async with started() as world, world.client("plain") as client:
        streamed = structured(await client.call_tool("ask", question, progress_callback=progress))
        whole = structured(await client.call_tool("ask", question))
    assert seen, "no progress notification arrived"
    assert [done for done, _ in seen] == list(range(1, len(seen) + 1))
    assert "".join(m or "" for _, m in seen).strip() == streamed["answer"]
    assert streamed["answer"] == whole["answer"]
    assert {c["document_id"] for c in streamed["citations"]} == {"open"}  # never the finance-only document
    assert streamed["citations"] == whole["citations"]
    assert streamed["usage"]["completion_tokens"] > 0


async def test_a_streamed_answer_still_running_when_the_grace_ends_is_shutting_down() -> None:
    """As a REST answer stream: SIGTERM's grace ends it at once (the model waits 30 s per token), with the code."""
    async with started(llm=ScriptedLanguageModel(token_delay_s=30.0)) as world, world.client("plain") as client:
        provide = world.app.dependencies["draining"]
        assert isinstance(provide, Provide)
        draining: Draining = provide.dependency()
        draining.begin()
        timer = threading.Timer(0.5, draining.end_streams)  # from another thread, as the grace timer would
        timer.start()

        async def progress(done: float, total: float | None, message: str | None) -> None:
            raise AssertionError("no token comes before the end")

        question = {"collection": "kb", "question": "What about the quarterly budget?"}
        result = await client.call_tool("ask", question, progress_callback=progress)
        timer.join()
    assert (structured(result)["code"], structured(result)["status"]) == ("shutting_down", 503)


async def test_list_collections_and_get_document_follow_the_key() -> None:
    async with started() as world:
        async with world.client("finance") as client:
            names = structured(await client.call_tool("list_collections", {}))["collections"]
            doc = structured(await client.call_tool("get_document", {"collection": "kb", "document_id": "fin"}))
        async with world.client("plain") as client:
            hidden = await client.call_tool("get_document", {"collection": "kb", "document_id": "fin"})
        async with world.client("other") as client:
            none = structured(await client.call_tool("list_collections", {}))["collections"]
    assert [c["name"] for c in names] == ["kb"]
    assert doc["id"] == "fin"
    assert doc["access"] == {"groups": ["finance"], "subjects": []}
    assert hidden.is_error
    assert structured(hidden)["code"] == "document_not_found"
    assert none == []


@pytest.mark.parametrize(
    ("who", "tool", "args", "code", "status"),
    [
        ("writer", "search", {"collection": "kb", "query": "budget"}, "forbidden", 403),
        ("writer", "list_collections", {}, "forbidden", 403),
        ("other", "search", {"collection": "kb", "query": "budget"}, "collection_not_found", 404),
        ("other", "ask", {"collection": "kb", "question": "budget?"}, "collection_not_found", 404),
        (
            "plain",
            "search",
            {"collection": "kb", "query": "budget", "top_k": limits.MAX_TOP_K + 1},
            "invalid_input",
            400,
        ),
        ("plain", "search", {"collection": "kb", "query": "budget", "stray": 1}, "invalid_input", 400),
        ("plain", "ask", {"collection": "kb"}, "invalid_input", 400),
        ("plain", "get_document", {"collection": "Not A Name", "document_id": "x"}, "invalid_input", 400),
    ],
)
async def test_a_refused_call_carries_the_rest_code(
    who: str, tool: str, args: dict[str, Any], code: str, status: int
) -> None:
    async with started() as world, world.client(who) as client:
        result = await client.call_tool(tool, args)
    assert result.is_error
    problem = structured(result)
    assert (problem["code"], problem["status"]) == (code, status)
    assert problem["detail"]
    assert problem["request_id"]


async def test_an_unknown_tool_is_a_protocol_error() -> None:
    async with started() as world, world.client("plain") as client:
        with pytest.raises(MCPError, match="Unknown tool"):
            await client.call_tool("delete_everything", {})


async def test_collections_are_resources_the_key_may_read() -> None:
    async with started() as world:
        async with world.client("plain") as client:
            listed = (await client.list_resources()).resources
            read = await client.read_resource(listed[0].uri)
        async with world.client("other") as client:
            assert (await client.list_resources()).resources == []
            with pytest.raises(MCPError) as refused:
                await client.read_resource("autbot://collections/kb")
    assert [str(r.uri) for r in listed] == ["autbot://collections/kb"]
    assert '"documents":1' in getattr(read.contents[0], "text", "")  # the finance-only one is not counted
    assert refused.value.code == -32002
    assert refused.value.data["code"] == "collection_not_found"


async def test_a_missing_or_wrong_key_is_refused_before_the_sdk_as_rest_refuses_it() -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    async with started() as world:
        missing = await world.http("POST", "/mcp", None, json=body)
        wrong = await world.http("POST", "/mcp", None, json=body, headers={"Authorization": "Bearer nope"})
    for res in (missing, wrong):
        assert res.status_code == 401
        assert res.headers["content-type"].startswith("application/problem+json")
        assert res.json()["code"] == "unauthorized"
        assert res.headers["www-authenticate"].startswith("Bearer")


async def test_a_body_past_the_server_bound_is_413_before_the_sdk_reads_it() -> None:
    async with started(fake_settings(server={"max_request_bytes": 4096})) as world:
        res = await world.http(
            "POST", "/mcp", content=b"[" + b" " * 5000 + b"]", headers={"content-type": "application/json"}
        )
    assert res.status_code == 413
    assert res.json()["code"] == "request_too_large"


@pytest.mark.parametrize(
    ("method", "headers", "status", "code"),
    [
        ("GET", {"accept": "text/event-stream"}, 405, "method_not_allowed"),  # no stream without sessions
        ("DELETE", {}, 405, "method_not_allowed"),
        ("POST", {"content-type": "text/plain"}, 415, "unsupported_media_type"),
    ],
)
async def test_what_the_stateless_endpoint_does_not_take_is_a_problem(
    method: str, headers: dict[str, str], status: int, code: str
) -> None:
    async with started() as world:
        res = await world.http(method, "/mcp", "plain", headers=headers, content=b"{}" if method == "POST" else None)
    assert (res.status_code, res.json()["code"]) == (status, code)
    if status == 405:
        assert res.headers["allow"] == "POST"


async def test_search_and_ask_spend_the_rest_rate_limits_and_are_counted() -> None:
    async with started(fake_settings(limits={"search": "1/hour", "query": "1/hour"})) as world:
        async with world.client("plain") as client:
            first = await client.call_tool("search", {"collection": "kb", "query": "budget"})
            second = await client.call_tool("search", {"collection": "kb", "query": "budget"})
            asked = await client.call_tool("ask", {"collection": "kb", "question": "budget?"})
        async with world.client("other") as client:  # kb is outside its list: refused, never counted
            hidden = [await client.call_tool("ask", {"collection": "kb", "question": "budget?"}) for _ in range(2)]
        rest = await world.http("POST", "/v1/collections/kb/search", "plain", json={"query": "budget"})
        metrics = (await world.http("GET", "/metrics")).text
    assert not first.is_error
    assert structured(second)["code"] == "rate_limited"
    assert structured(second)["status"] == 429
    assert [structured(r)["code"] for r in hidden] == ["collection_not_found"] * 2
    assert not asked.is_error
    assert rest.status_code == 429  # one limit, whichever door the calls came through
    assert 'autbot_mcp_tool_calls_total{outcome="ok",tool="search"} 1.0' in metrics
    assert 'autbot_mcp_tool_calls_total{outcome="rate_limited",tool="search"} 1.0' in metrics
    assert 'autbot_rate_limited_total{limit="search"}' in metrics


def test_the_sdk_is_not_imported_until_the_first_mcp_request() -> None:
    """Building the app leaves the SDK (and pydantic's models) out of start-up; the first request imports it."""
    code = (
        "import sys\n"
        "from tests.support.app_client import fake_app\n"
        "fake_app()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'mcp_types')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"
