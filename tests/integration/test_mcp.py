"""``/mcp`` end to end: the official MCP client SDK against a running ``autbot serve`` with keys from ``autbot keys``:
tools listed and called, refusals with REST's stable codes, ``ask``'s tokens as progress, and a document's access
list applied to a key without its group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.test_auth_server import FAKES, create
from tests.support.mcp_client import mcp_client, structured
from tests.support.processes import AutbotServer, running

pytestmark = pytest.mark.slow

DOCS = [
    {"id": "open", "text": "The quarterly budget grows by four percent.", "title": "Budget"},
    {"id": "fin", "text": "The quarterly budget pays salaries first.", "access": {"groups": ["finance"]}},
]


def keys(env: dict[str, str]) -> dict[str, str]:
    return {
        "admin": create(env, "admin", "admin"),
        "finance": create(env, "fin-bot", "query", "--groups", "finance"),
        "plain": create(env, "plain", "query"),
        "writer": create(env, "writer", "ingest"),
        "other": create(env, "other", "query", "--collections", "other"),
    }


async def call(server: AutbotServer, key: str, tool: str, args: dict[str, Any], **kw: Any) -> Any:
    async with mcp_client(key, base_url=server.url) as client:
        return await client.call_tool(tool, args, **kw)


async def test_an_mcp_client_uses_autbot_with_the_rest_rules(tmp_path: Path) -> None:
    env = {**FAKES, "AUTBOT_STORAGE__DATA_DIR": str(tmp_path / "data")}
    key = keys(env)
    with running(AutbotServer(tmp_path / "data", env=env)) as server:
        rest = httpx.AsyncClient(base_url=server.url, timeout=60)
        ingested = await rest.post(
            "/v1/collections/kb/documents",
            json={"documents": DOCS},
            headers={"Authorization": f"Bearer {key['admin']}"},
        )
        assert ingested.status_code == 201, ingested.text

        for mode in ("auto", "legacy"):  # the 2026-07-28 protocol, and the handshake of earlier clients
            async with mcp_client(key["plain"], base_url=server.url, mode=mode) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                assert names == {"search", "ask", "list_collections", "get_document"}
                listed = structured(await client.call_tool("list_collections", {}))
                assert [c["name"] for c in listed["collections"]] == ["kb"]

        query = {"collection": "kb", "query": "quarterly budget", "top_k": 10}
        seen = {who: structured(await call(server, key[who], "search", query)) for who in ("finance", "plain")}
        assert sorted(r["document_id"] for r in seen["finance"]["results"]) == ["fin", "open"]
        assert [r["document_id"] for r in seen["plain"]["results"]] == ["open"]

        doc = structured(await call(server, key["plain"], "get_document", {"collection": "kb", "document_id": "open"}))
        assert (doc["id"], doc["title"]) == ("open", "Budget")
        hidden = await call(server, key["plain"], "get_document", {"collection": "kb", "document_id": "fin"})
        assert hidden.is_error
        assert structured(hidden)["code"] == "document_not_found"  # as if it did not exist

        tokens: list[str] = []

        async def progress(done: float, total: float | None, message: str | None) -> None:
            tokens.append(message or "")

        ask = {"collection": "kb", "question": "How does the quarterly budget change?"}
        answer = structured(await call(server, key["plain"], "ask", ask, progress_callback=progress))
        assert len(tokens) > 1  # streamed, a token at a time, before the result
        assert "".join(tokens).strip() == answer["answer"]
        assert [c["document_id"] for c in answer["citations"]] == ["open"]

        no_scope = await call(server, key["writer"], "search", query)
        outside = await call(server, key["other"], "search", query)
        assert (structured(no_scope)["code"], structured(no_scope)["status"]) == ("forbidden", 403)
        assert (structured(outside)["code"], structured(outside)["status"]) == ("collection_not_found", 404)

        refused = await rest.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized")

        metrics = await rest.get("/metrics", headers={"Authorization": f"Bearer {key['admin']}"})
        await rest.aclose()
        assert 'autbot_mcp_tool_calls_total{outcome="forbidden",tool="search"} 1.0' in metrics.text
    log = server.log.read_text()
    assert "MCP tool ask ok" in log
    assert key["plain"] not in log
