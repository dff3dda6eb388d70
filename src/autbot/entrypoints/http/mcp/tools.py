"""The MCP tools: ``search``, ``ask``, ``list_collections``, ``get_document``, over the REST routes' use cases.

Each call acts as the ``Principal`` the authentication middleware resolved for its HTTP request, so a key's
scopes, collection list and groups (documents' access lists) apply as they do in REST. Every tool needs the
``query`` scope, like the REST routes it mirrors (``forbidden``, 403, otherwise). ``search`` and ``ask``
count against the ``search`` and ``query`` rate limits (the REST routes' names) once the collection is known
to be visible to the caller; ``ask`` spends the caller's daily token budget like ``/query``.

Each call is counted in ``autbot_mcp_tool_calls_total{tool,outcome}`` (outcome ``ok``, the error's stable code,
or ``client_closed``) and, with the access log on, written as one ``autbot.access`` line.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import msgspec
from mcp.server import ServerRequestContext
from mcp.shared.jsonrpc_dispatcher import progress_token_from_params
from mcp_types import CallToolRequestParams, CallToolResult, Tool, ToolAnnotations

from autbot.domain.answers import CitationsEvent, DoneEvent, TokenEvent, Usage
from autbot.domain.auth import Principal
from autbot.domain.auth import Scope as KeyScope
from autbot.domain.errors import RateLimited
from autbot.entrypoints.http.errors.transport import ShuttingDown
from autbot.entrypoints.http.mcp import arguments as a
from autbot.entrypoints.http.mcp.parts import ToolUseCases
from autbot.entrypoints.http.mcp.results import error_result, problem_of, tool_result, unknown_tool
from autbot.entrypoints.http.middleware.auth import PUBLIC_ANONYMOUS
from autbot.entrypoints.http.middleware.rate_limits import RateGate, caller_of
from autbot.entrypoints.http.schemas import collections as s
from autbot.entrypoints.http.schemas.openapi_text import described
from autbot.entrypoints.http.streaming.draining import Draining
from autbot.entrypoints.observability.logs import access_line
from autbot.entrypoints.observability.telemetry import Metrics
from autbot.ports.rate_limiter import RateLimiter
from autbot.use_cases.answer import AnswerQuestion, AnswerRequest
from autbot.use_cases.documents import DocumentRef, GetDocument, ListCollections, ListCollectionsRequest
from autbot.use_cases.search import SearchChunks, SearchRequest

Context = ServerRequestContext[Any, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One tool call: who makes it (from its HTTP request) and the MCP request it came in."""

    principal: Principal
    identity: str
    """The quota identity (``key:<id>`` or ``ip:<address>``), as ``caller_of`` gives it for REST."""
    ctx: Context


def call_of(ctx: Context) -> Call:
    """The call's caller, from the HTTP request's scope the transport hands over; without one (no HTTP request),
    a caller with no scope at all."""
    scope: dict[str, Any] = getattr(ctx.request, "scope", None) or {}
    principal = (scope.get("state") or {}).get("principal")
    if not isinstance(principal, Principal):
        return Call(principal=PUBLIC_ANONYMOUS, identity="ip:unknown", ctx=ctx)
    return Call(principal=principal, identity=caller_of(scope), ctx=ctx)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    title: str
    summary: str
    arguments: type[msgspec.Struct]
    use_case: type
    run: Callable[[Any, Call], Awaitable[msgspec.Struct]]

    def tool(self) -> Tool:
        return Tool(
            name=self.name,
            title=self.title,
            description=f"{self.summary}\n\n{inspect.cleandoc(described(self.use_case))}",
            input_schema=a.input_schema(self.arguments),
            annotations=ToolAnnotations(title=self.title, read_only_hint=True, open_world_hint=False),
        )


class McpTools:
    def __init__(
        self,
        use_cases: ToolUseCases,
        *,
        metrics: Metrics,
        limiter: RateLimiter | None,
        access_log: bool,
        draining: Draining | None = None,
    ) -> None:
        self._uc = use_cases
        self._draining = draining
        self._metrics = metrics
        self._limiter = limiter
        self._access_log = access_log
        specs = (
            ToolSpec("search", "Search", "Search a collection: its chunks most relevant to a query, best first.",
                     a.SearchArgs, SearchChunks, self._search),
            ToolSpec("ask", "Ask", "Answer a question from a collection's documents, with numbered citations. "
                     "With a progress token, the answer's tokens arrive as progress notifications first.",
                     a.AskArgs, AnswerQuestion, self._ask),
            ToolSpec("list_collections", "List collections", "The collections this key may use.",
                     a.ListCollectionsArgs, ListCollections, self._list_collections),
            ToolSpec("get_document", "Get a document", "One document's record (title, source, metadata, access "
                     "list, version, chunk count).", a.GetDocumentArgs, GetDocument, self._get_document),
        )  # fmt: skip
        self._specs = {spec.name: spec for spec in specs}
        self._tools = [spec.tool() for spec in specs]
        self._schemas = {tool.name: tool.input_schema for tool in self._tools}

    def tools(self) -> list[Tool]:
        return list(self._tools)

    def input_schema(self, name: str) -> dict[str, Any] | None:
        return self._schemas.get(name)

    async def call(self, ctx: Context, params: CallToolRequestParams) -> CallToolResult:
        spec = self._specs.get(params.name)
        if spec is None:
            raise unknown_tool(params.name)
        call = call_of(ctx)
        started = time.perf_counter()
        outcome = "client_closed"  # unless it ends: the client went away, or the server stopped
        try:
            call.principal.require(KeyScope.QUERY)
            body = await spec.run(a.parse_arguments(spec.arguments, params.arguments), call)
            outcome = "ok"
            return tool_result(body)
        except Exception as e:
            problem = problem_of(e, spec.name)
            outcome = str(problem["code"])
            return error_result(problem)
        finally:
            self._observe(spec.name, outcome, call.principal, time.perf_counter() - started)

    async def _admit(self, name: str, call: Call, collection: str) -> None:
        """Count the call against the REST route's limit ``name``, unless the collection is invisible to the
        caller (its use case answers 404 then, and a refused request costs nothing)."""
        if self._limiter is None or not call.principal.may_use(collection):
            return
        try:
            await RateGate(self._limiter, name, call.identity).charge()
        except RateLimited:
            self._metrics.rate_limited.labels(name).inc()
            raise

    async def _search(self, args: a.SearchArgs, call: Call) -> s.SearchResponse:
        await self._admit("search", call, args.collection)
        request = SearchRequest(
            principal=call.principal, collection=args.collection, query=args.query, retrieval=args.options()
        )
        hits = await anyio.to_thread.run_sync(self._uc.search_chunks.execute, request)
        return s.SearchResponse(results=[s.hit_out(h) for h in hits])

    async def _ask(self, args: a.AskArgs, call: Call) -> s.QueryResponse:
        await self._admit("query", call, args.collection)
        request = AnswerRequest(
            principal=call.principal,
            collection=args.collection,
            question=args.question,
            retrieval=args.options(),
            max_tokens=args.max_tokens,
            temperature=args.temperature,
            caller=call.identity,
        )
        if progress_token_from_params(call.ctx.params) is not None:
            return await self._streamed(request, call.ctx)
        answer = await self._uc.answer_question.execute(request)
        return s.QueryResponse(
            answer=answer.text,
            citations=[s.citation_out(c) for c in answer.citations],
            usage=s.UsageOut(
                prompt_tokens=answer.usage.prompt_tokens, completion_tokens=answer.usage.completion_tokens
            ),
            model=answer.model,
        )

    async def _streamed(self, request: AnswerRequest, ctx: Context) -> s.QueryResponse:
        """The answer generated as a stream: each token a progress notification (``progress`` counts them,
        ``message`` is the token's text), then the whole answer as the result; ``shutting_down`` if the server's
        SIGTERM grace ends first, as for a REST answer stream."""
        citations: list[s.CitationOut] = []
        said: list[str] = []
        usage, model = Usage(), ""
        answer = self._uc.stream_answer.execute(request)
        events = answer if self._draining is None else self._draining.until_drained(answer)
        try:
            async for event in events:
                if event is None:  # SIGTERM's grace is ending: the client learns why the answer stops
                    raise ShuttingDown()
                if isinstance(event, CitationsEvent):
                    citations = [s.citation_out(c) for c in event.citations]
                elif isinstance(event, TokenEvent):
                    said.append(event.text)
                    await ctx.session.report_progress(len(said), None, event.text)
                elif isinstance(event, DoneEvent):
                    usage, model = event.usage, event.model
        finally:
            await events.aclose()
        return s.QueryResponse(
            answer="".join(said).strip(),
            citations=citations,
            usage=s.UsageOut(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens),
            model=model,
        )

    async def _list_collections(self, args: a.ListCollectionsArgs, call: Call) -> s.CollectionsOut:
        request = ListCollectionsRequest(principal=call.principal)
        found = await anyio.to_thread.run_sync(self._uc.list_collections.execute, request)
        return s.CollectionsOut(collections=[s.collection_out(c) for c in found])

    async def _get_document(self, args: a.GetDocumentArgs, call: Call) -> s.DocumentOut:
        ref = DocumentRef(principal=call.principal, collection=args.collection, document_id=args.document_id)
        return s.document_out(await anyio.to_thread.run_sync(self._uc.get_document.execute, ref))

    def _observe(self, tool: str, outcome: str, principal: Principal, elapsed: float) -> None:
        self._metrics.mcp_tool_calls.labels(tool, outcome).inc()
        if outcome == "token_budget_exhausted":
            self._metrics.rate_limited.labels("tokens").inc()
        if self._access_log:
            ms = round(elapsed * 1000, 2)
            fields = {"mcp_tool": tool, "outcome": outcome, "duration_ms": ms, "key_name": principal.name}
            access_line("INFO", f"MCP tool {tool} {outcome} {ms} ms", fields)
