"""The MCP tools' arguments: the REST bodies' fields, with ``collection`` (a path parameter in REST) beside them.

Each tool's ``inputSchema`` is the JSON Schema msgspec writes for its Struct, and its arguments are decoded by
msgspec into that Struct, so the bounds are the REST ones (``domain.limits``): what REST refuses with 400
``invalid_input``, a tool refuses with the same code.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta

from autbot.domain import limits
from autbot.domain.errors import InvalidInput
from autbot.entrypoints.http.schemas import collections as s

Collection = Annotated[str, Meta(min_length=1)]
"""A collection name, as in a REST path: the use case decides its visibility, then checks its form."""
DocumentId = Annotated[str, Meta(min_length=1)]
"""A document id, as in a REST path: the use case checks it."""
T = TypeVar("T", bound=msgspec.Struct)


class SearchArgs(s.SearchBody, kw_only=True):
    """``POST /v1/collections/{collection}/search``'s body, and the collection."""

    collection: Collection


class AskArgs(s._Body, s.RetrievalFields, kw_only=True):
    """``POST /v1/collections/{collection}/query``'s body without ``stream`` (progress notifications carry the
    tokens when the client asks for them), and the collection."""

    collection: Collection
    question: s.Query
    max_tokens: Annotated[int, Meta(ge=1)] | None = None
    temperature: Annotated[float, Meta(ge=0, le=limits.MAX_TEMPERATURE)] | None = None


class ListCollectionsArgs(s._Body):
    """No arguments: the collections the key may use."""


class GetDocumentArgs(s._Body, kw_only=True):
    """``GET /v1/collections/{collection}/documents/{document_id}``'s path parameters."""

    collection: Collection
    document_id: DocumentId


def input_schema(struct: type[msgspec.Struct]) -> dict[str, Any]:
    """The Struct's JSON Schema with its object at the root (MCP wants ``"type": "object"`` there), the
    definitions it refers to kept under ``$defs``."""
    schema = msgspec.json.schema(struct)
    defs: dict[str, Any] = dict(schema.get("$defs", {}))
    ref = schema.get("$ref")
    root: dict[str, Any] = dict(defs.pop(ref.rsplit("/", 1)[-1])) if isinstance(ref, str) else dict(schema)
    root.pop("title", None)
    root.pop("description", None)  # the tool's description says it
    if defs:
        root["$defs"] = defs
    cleaned: dict[str, Any] = _without_extra(root)
    return cleaned


def _without_extra(node: Any) -> Any:
    """The schema without the ``extra`` entries written for Litestar's OpenAPI document (``maxProperties``, which
    they repeat, is kept as a keyword of its own)."""
    if isinstance(node, dict):
        return {k: _without_extra(v) for k, v in node.items() if k != "extra"}
    if isinstance(node, list):
        return [_without_extra(v) for v in node]
    return node


def parse_arguments(struct: type[T], arguments: dict[str, Any] | None) -> T:
    """The arguments as ``struct``; what msgspec refuses is ``invalid_input`` (400), naming the field."""
    try:
        return msgspec.convert(arguments or {}, struct)
    except msgspec.ValidationError as e:
        raise InvalidInput(f"The tool's arguments are not valid: {e}", field="arguments") from e
