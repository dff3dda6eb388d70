"""Tool results and errors in MCP's shapes, with REST's bodies inside.

A tool's result is the REST response body, as ``structuredContent`` and as JSON text (for clients that read only
text). A tool error is a result with ``isError`` whose content is the REST problem body (``code``, ``status``,
``title``, ``detail``, ``details``, ``request_id``): the same stable codes as ``application/problem+json``. The
MCP protocol's own errors (an unknown tool, a resource that does not exist) are JSON-RPC errors whose ``data``
is that problem body.
"""

from __future__ import annotations

from typing import Any

import msgspec
from loguru import logger
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, CallToolResult, TextContent

from autbot.domain.errors import AutbotError, NotFound
from autbot.entrypoints.http.errors.problems import autbot_problem, problem_body

INSTANCE = "/mcp"
RESOURCE_NOT_FOUND = -32002
"""The JSON-RPC error code the MCP specification gives a resource that does not exist."""


def tool_result(body: msgspec.Struct) -> CallToolResult:
    data = msgspec.to_builtins(body)
    return CallToolResult(content=[_text(data)], structured_content=data)


def error_result(problem: dict[str, Any]) -> CallToolResult:
    return CallToolResult(content=[_text(problem)], structured_content=problem, is_error=True)


def problem_of(error: BaseException, tool: str) -> dict[str, Any]:
    """The REST problem body of what a tool raised; an unexpected exception is logged and shown as REST shows
    it (500 ``internal_error``, nothing of its text)."""
    if isinstance(error, AutbotError):
        problem = autbot_problem(error, INSTANCE)
        if problem["status"] >= 500:
            logger.warning("MCP tool {} -> {} {}: {}", tool, problem["status"], error.code, error.message)
        return problem
    logger.opt(exception=error).error("unhandled error in MCP tool {}", tool)
    return problem_body(
        status=500,
        code="internal_error",
        title="An internal error occurred.",
        detail="An internal error occurred; it has been logged.",
        instance=INSTANCE,
    )


def protocol_error(error: AutbotError) -> MCPError:
    """A JSON-RPC error for what a resource read raised, the problem body as its ``data``."""
    problem = autbot_problem(error, INSTANCE)
    if isinstance(error, NotFound):
        code = RESOURCE_NOT_FOUND
    else:
        code = INTERNAL_ERROR if problem["status"] >= 500 else INVALID_PARAMS
    return MCPError(code, str(problem["detail"]), problem)


def unknown_tool(name: str) -> MCPError:
    tools = "search, ask, list_collections, get_document"
    return MCPError(INVALID_PARAMS, f"Unknown tool {name[:100]!r}; the tools are {tools}.")


def _text(data: Any) -> TextContent:
    return TextContent(text=msgspec.json.encode(data).decode())
