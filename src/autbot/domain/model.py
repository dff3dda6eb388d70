"""Domain types: frozen, slotted dataclasses with no framework in sight."""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from autbot.domain import limits
from autbot.domain.access import ACL_PREFIX, AccessFilter, AccessList
from autbot.domain.errors import InvalidEncoding, InvalidInput

MetadataValue = str | int | float | bool
Metadata = dict[str, MetadataValue]

_COLLECTION_RE = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?")
_DOCUMENT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
_METADATA_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
"""Every name pattern is applied with ``fullmatch``: ``match`` with ``$`` would accept a trailing newline."""
RESERVED_METADATA_KEYS = frozenset(
    {"document_id", "document_version", "position", "title", "source", "text", "chunk_id"}
)


@dataclass(frozen=True, slots=True)
class CollectionName:
    """A collection name: 1-63 characters of ``a-z 0-9 _ -``, starting and ending alphanumeric."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _COLLECTION_RE.fullmatch(self.value):
            raise InvalidInput(
                "Collection names are 1-63 characters of a-z, 0-9, '_' and '-', "
                "starting and ending with a letter or digit.",
                field="collection",
                value=str(self.value)[:80],
            )

    def __str__(self) -> str:
        return self.value


def validate_document_id(value: str) -> str:
    """Document ids: 1-128 characters of ``A-Z a-z 0-9 . _ : @ -``, starting alphanumeric."""
    if not isinstance(value, str) or not _DOCUMENT_ID_RE.fullmatch(value):
        raise InvalidInput(
            "Document ids are 1-128 characters of letters, digits and . _ : @ -, starting with a letter or digit.",
            field="id",
            value=str(value)[:160],
        )
    return value


def check_text(value: str, *, field: str) -> None:
    """Text must be encodable as UTF-8: a lone surrogate (``"\\ud800"`` in JSON some decoders accept) is not."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidEncoding(
            f"{field} is not valid Unicode text (a lone surrogate at character {e.start}).", field=field
        ) from e


def check_nesting(value: Any, *, field: str, limit: int = limits.MAX_JSON_DEPTH) -> None:
    """Refuse JSON-like data (dicts and lists) nested more than ``limit`` levels deep (``[[1]]`` is 2)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                if depth >= limit:
                    raise InvalidInput(f"{field} is nested more than {limit} levels deep.", field=field, limit=limit)
                stack.append((child, depth + 1))


def _check_scalar(value: Any, *, field: str, what: str) -> None:
    """A metadata or filter value every store can keep: a string of bounded length in UTF-8, an integer
    of 64 bits, a finite float, a boolean."""
    if isinstance(value, bool):
        return
    if isinstance(value, str):
        if len(value) > limits.MAX_METADATA_STRING_CHARS:
            raise InvalidInput(
                f"{what} strings are at most {limits.MAX_METADATA_STRING_CHARS} characters.", field=field
            )
        check_text(value, field=field)
    elif isinstance(value, int) and not limits.MIN_INTEGER <= value <= limits.MAX_INTEGER:
        raise InvalidInput(f"{what} integers must fit in 64 bits (signed).", field=field)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{what} numbers must be finite (not NaN or infinity).", field=field)


def validate_metadata(metadata: dict[str, Any], *, field_name: str = "metadata") -> Metadata:
    """Flat: identifier keys, scalar values (str, int, float, bool), at most ``limits.MAX_METADATA_BYTES`` as JSON."""
    if not isinstance(metadata, dict):
        raise InvalidInput("Metadata must be an object.", field=field_name)
    if len(metadata) > limits.MAX_METADATA_KEYS:
        raise InvalidInput(f"At most {limits.MAX_METADATA_KEYS} metadata keys are allowed.", field=field_name)
    clean: Metadata = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not _METADATA_KEY_RE.fullmatch(key):
            raise InvalidInput(
                "Metadata keys are identifiers: a letter or '_' then letters, digits or '_'.",
                field=f"{field_name}.{str(key)[:80]}",
            )
        if key in RESERVED_METADATA_KEYS or key.startswith(ACL_PREFIX):
            raise InvalidInput(f"Metadata key '{key}' is reserved.", field=f"{field_name}.{key}")
        if not isinstance(value, (str, int, float, bool)):
            raise InvalidInput("Metadata values must be strings, numbers or booleans.", field=f"{field_name}.{key}")
        _check_scalar(value, field=f"{field_name}.{key}", what="Metadata")
        clean[key] = value
    size = len(json.dumps(clean, ensure_ascii=False).encode())
    if size > limits.MAX_METADATA_BYTES:
        raise InvalidInput(
            f"Metadata is {size} bytes as JSON; the limit is {limits.MAX_METADATA_BYTES}.",
            field=field_name,
            limit=limits.MAX_METADATA_BYTES,
        )
    return clean


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentInput:
    """A document as a caller hands it in, before chunking."""

    text: str
    id: str | None = None
    title: str | None = None
    source: str | None = None
    metadata: Metadata = field(default_factory=dict)
    access: AccessList | None = None  # who may see it (domain.access); None: whoever may see the collection


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """A stored document. ``version`` is the content hash of what was embedded."""

    id: str
    collection: str
    title: str | None
    source: str | None
    metadata: Metadata
    version: str
    chunk_count: int
    embedding_model: str
    created_at: float
    updated_at: float
    previous_version: str | None = None
    """The version this one replaced, while its chunks may remain: set when the registry switches, cleared once
    they are removed; set after a restart, it names a replacement a crash cut short. Search never shows it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Chunk:
    """A piece of a document's text, the unit that is embedded and retrieved."""

    id: str
    document_id: str
    document_version: str
    text: str
    position: int
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchHit:
    chunk: Chunk
    score: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionInfo:
    name: str
    embedding_model: str
    dimension: int
    document_count: int | None = None  # None when not counted (expensive on a cluster, or hidden from the caller)
    chunk_count: int | None = None
    generation: int = 0  # the live generation (domain.generations), whose chunks the chunk index holds


IngestStatus = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestOutcome:
    document_id: str
    status: IngestStatus
    chunks: int


class SearchMode(enum.StrEnum):
    VECTOR = "vector"
    HYBRID = "hybrid"
    KEYWORD = "keyword"


class Fusion(enum.StrEnum):
    """How hybrid search merges the vector and keyword rankings (``domain.fusion``)."""

    RELATIVE_SCORE = "relative_score"
    RECIPROCAL_RANK = "reciprocal_rank"


DEFAULT_FUSION = Fusion(limits.DEFAULT_FUSION)
ANSWER_MODE = SearchMode(limits.DEFAULT_ANSWER_MODE)
"""How answers retrieve when the request does not say (``limits.DEFAULT_ANSWER_MODE``)."""


FilterValue = MetadataValue | list[MetadataValue]


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataFilter:
    """Equality on one metadata key; a list value means "any of these" (``$in``)."""

    key: str
    value: FilterValue


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkQuery:
    """One search of a chunk index: what to look for, how many, under which filters and mode.

    ``vector`` is the query embedding (empty in keyword mode), ``text`` the query words (used by
    keyword and hybrid modes), ``alpha`` the weight of the vector side in hybrid mode (1 = vector only),
    ``access`` what the caller may see (``domain.access``; None: every chunk), applied inside the store's query."""

    top_k: int
    vector: Sequence[float] = ()
    text: str = ""
    filters: tuple[MetadataFilter, ...] = ()
    mode: SearchMode = SearchMode.VECTOR
    alpha: float = limits.DEFAULT_HYBRID_ALPHA
    fusion: Fusion = DEFAULT_FUSION
    access: AccessFilter | None = None
    min_vector_score: float | None = None
    """The relevance floor (None: none). In vector and hybrid modes no chunk less similar to ``vector`` (cosine)
    is returned: the vector side is cut before fusion, and a keyword match is fused only if its own similarity
    clears it too, so words shared with an off-topic question bring nothing. Keyword mode ignores it."""


def parse_filters(raw: dict[str, Any] | None) -> tuple[MetadataFilter, ...]:
    """``{"lang": "en", "year": [2023, 2024]}`` → filters, all of which must hold."""
    if not raw:
        return ()
    if not isinstance(raw, dict):
        raise InvalidInput("filters must be an object of metadata key to value.", field="filters")
    if len(raw) > limits.MAX_FILTER_KEYS:
        raise InvalidInput(
            f"At most {limits.MAX_FILTER_KEYS} filter keys are allowed; got {len(raw)}.",
            field="filters",
            limit=limits.MAX_FILTER_KEYS,
        )
    out: list[MetadataFilter] = []
    for key, value in raw.items():
        if not isinstance(key, str) or not (_METADATA_KEY_RE.fullmatch(key) or key == "document_id"):
            shown = str(key)[:80]
            raise InvalidInput(f"Filter key '{shown}' is not a metadata key.", field=f"filters.{shown}")
        if isinstance(value, list):
            if not value or len(value) > limits.MAX_FILTER_VALUES:
                raise InvalidInput(
                    f"A list filter needs 1 to {limits.MAX_FILTER_VALUES} values.", field=f"filters.{key}"
                )
            if not all(isinstance(v, (str, int, float, bool)) for v in value):
                raise InvalidInput("Filter values must be scalars.", field=f"filters.{key}")
            if len({type(v) for v in value}) > 1:
                raise InvalidInput("A list filter's values must share one type.", field=f"filters.{key}")
        elif not isinstance(value, (str, int, float, bool)):
            raise InvalidInput("Filter values must be scalars or lists of scalars.", field=f"filters.{key}")
        for v in value if isinstance(value, list) else [value]:
            _check_scalar(v, field=f"filters.{key}", what="Filter")
        out.append(MetadataFilter(key=key, value=value))
    return tuple(out)


def filter_matches(filters: tuple[MetadataFilter, ...], chunk: Chunk) -> bool:
    """Reference semantics of filters, used by in-process indexes and tests."""
    for f in filters:
        actual: Any = chunk.document_id if f.key == "document_id" else chunk.metadata.get(f.key)
        wanted = f.value if isinstance(f.value, list) else [f.value]
        if not any(_same(actual, w) for w in wanted):
            return False
    return True


def _same(actual: Any, wanted: MetadataValue) -> bool:
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return isinstance(actual, bool) and isinstance(wanted, bool) and actual is wanted
    return bool(actual == wanted)


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthStatus:
    ok: bool
    detail: str = ""
