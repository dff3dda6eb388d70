"""Collections as MCP resources: ``autbot://collections/{name}``, JSON as ``GET /v1/collections`` shows each.

Listing and reading need the ``query`` scope and show only the collections the key may use (a collection outside
its list does not exist for it: ``resources/read`` answers the MCP "resource not found" error, -32002, with the
REST problem, ``collection_not_found``, as its data).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

import anyio
import msgspec
from mcp_types import (
    ListResourcesResult,
    ListResourceTemplatesResult,
    PaginatedRequestParams,
    ReadResourceRequestParams,
    ReadResourceResult,
    Resource,
    ResourceTemplate,
    TextResourceContents,
)

from autbot.domain.auth import Scope as KeyScope
from autbot.domain.errors import AutbotError, CollectionNotFound
from autbot.domain.model import CollectionInfo
from autbot.entrypoints.http.mcp.results import protocol_error
from autbot.entrypoints.http.mcp.tools import Call, Context, call_of
from autbot.entrypoints.http.schemas import collections as s
from autbot.use_cases.documents import ListCollections, ListCollectionsRequest

PREFIX = "autbot://collections/"
JSON = "application/json"


def collection_uri(name: str) -> str:
    return PREFIX + quote(name, safe="")


class CollectionResources:
    def __init__(self, list_collections: ListCollections) -> None:
        self._list = list_collections

    async def list_resources(self, ctx: Context, params: PaginatedRequestParams | None) -> ListResourcesResult:
        found = await self._visible(call_of(ctx))
        return ListResourcesResult(resources=[_resource(c) for c in found])

    async def list_templates(self, ctx: Context, params: PaginatedRequestParams | None) -> ListResourceTemplatesResult:
        template = ResourceTemplate(
            name="collection",
            uri_template=PREFIX + "{collection}",
            description="A collection: its embedding model, dimension, and document and chunk counts.",
            mime_type=JSON,
        )
        return ListResourceTemplatesResult(resource_templates=[template])

    async def read_resource(self, ctx: Context, params: ReadResourceRequestParams) -> ReadResourceResult:
        uri = str(params.uri)
        name = unquote(uri[len(PREFIX) :]) if uri.startswith(PREFIX) else ""
        found = await self._visible(call_of(ctx))
        match = next((c for c in found if c.name == name), None)
        if match is None:
            raise protocol_error(CollectionNotFound(f"Collection '{name[:80]}' does not exist.", collection=name[:80]))
        text = msgspec.json.encode(s.collection_out(match)).decode()
        return ReadResourceResult(contents=[TextResourceContents(uri=uri, mime_type=JSON, text=text)])

    async def _visible(self, call: Call) -> list[CollectionInfo]:
        try:
            call.principal.require(KeyScope.QUERY)
            request = ListCollectionsRequest(principal=call.principal)
            return await anyio.to_thread.run_sync(self._list.execute, request)
        except AutbotError as e:
            raise protocol_error(e) from e


def _resource(c: CollectionInfo) -> Resource:
    out: dict[str, Any] = msgspec.to_builtins(s.collection_out(c))
    return Resource(
        uri=collection_uri(c.name),
        name=c.name,
        title=f"Collection {c.name}",
        description=f"{out['documents']} documents, {out['chunks']} chunks, embedded with {out['embedding_model']}.",
        mime_type=JSON,
    )
