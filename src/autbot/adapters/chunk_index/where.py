"""Chroma ``where`` clauses: metadata filters and ``domain.access``, pushed into Chroma's own query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autbot.domain.access import RESTRICTED_KEY, AccessFilter
from autbot.domain.model import MetadataFilter


def where_clause(filters: Sequence[MetadataFilter], extra: Sequence[dict[str, Any]] = ()) -> dict[str, Any] | None:
    """Filters as a Chroma ``where``: equality, ``$in`` for lists, ``$and`` to combine."""
    parts: list[dict[str, Any]] = [
        {f.key: {"$in": list(f.value)}} if isinstance(f.value, list) else {f.key: f.value} for f in filters
    ]
    parts.extend(extra)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def access_where(access: AccessFilter | None) -> list[dict[str, Any]]:
    """``domain.access`` as a Chroma ``where`` part: not restricted (``$ne`` also matches a chunk without
    the flag), or one of the caller's flags set."""
    if access is None:
        return []
    options: list[dict[str, Any]] = [{RESTRICTED_KEY: {"$ne": True}}, *({k: True} for k in access.keys)]
    return [options[0] if len(options) == 1 else {"$or": options}]
