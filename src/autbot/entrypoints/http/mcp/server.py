"""The SDK's side of ``/mcp``: its low-level ``Server`` over the tools and resources, and the stateless streamable
HTTP session manager that serves it. Imported on the first ``/mcp`` request (``endpoint``), never at start-up."""

from __future__ import annotations

from typing import Any

import anyio
from anyio.abc import TaskStatus
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp_types import ListToolsResult, PaginatedRequestParams

from autbot import __version__
from autbot.entrypoints.http.mcp.parts import McpParts
from autbot.entrypoints.http.mcp.resources import CollectionResources
from autbot.entrypoints.http.mcp.tools import Context, McpTools

INSTRUCTIONS = (
    "AutBot searches document collections and answers questions with citations. Call list_collections first, "
    "then search or ask with a collection's name; get_document shows a cited document's record."
)


def build_server(parts: McpParts) -> Server[Any]:
    tools = McpTools(
        parts.use_cases,
        metrics=parts.metrics,
        limiter=parts.limiter,
        access_log=parts.access_log,
        draining=parts.draining,
    )
    resources = CollectionResources(parts.use_cases.list_collections)

    async def list_tools(ctx: Context, params: PaginatedRequestParams | None) -> ListToolsResult:
        return ListToolsResult(tools=tools.tools())

    return Server(
        "autbot",
        version=__version__,
        title="AutBot",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=tools.input_schema,
        on_list_tools=list_tools,
        on_call_tool=tools.call,
        on_list_resources=resources.list_resources,
        on_list_resource_templates=resources.list_templates,
        on_read_resource=resources.read_resource,
    )


async def run_manager(
    parts: McpParts, *, task_status: TaskStatus[StreamableHTTPSessionManager] = anyio.TASK_STATUS_IGNORED
) -> None:
    """Run a stateless session manager (SSE responses, so progress notifications can precede a result) until
    cancelled; ``task_status`` receives it once it serves."""
    manager = StreamableHTTPSessionManager(
        build_server(parts), stateless=True, json_response=False, max_request_body_size=parts.max_body_bytes
    )
    async with manager.run():
        task_status.started(manager)
        await anyio.sleep_forever()
