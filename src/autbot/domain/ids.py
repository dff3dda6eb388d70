"""Stable identifiers: content hashes, derived document ids, chunk ids."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping

_NAMESPACE = uuid.UUID("6f1c9f5e-5b7a-4c1e-9d43-2f0f6a1b7c11")
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def content_hash(text: str) -> str:
    """sha256 of the UTF-8 text: the document's version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def derive_document_id(*, text: str, source: str | None) -> str:
    """A document id when the caller gives none.

    From the source (a file name) when there is one, so that re-uploading a changed file updates it;
    otherwise from the content, so that re-sending identical text is a no-op.
    """
    if source:
        stem = _UNSAFE.sub("-", source.strip()).strip("-._@") or "document"
        if len(stem) <= 100:
            return stem
        return f"{stem[:80]}-{hashlib.sha256(source.encode()).hexdigest()[:16]}"
    return "doc-" + content_hash(text)[:24]


def chunk_id(document_id: str, version: str, position: int) -> str:
    """Chunk ids carry the document version, so two versions never overwrite each other."""
    return f"{document_id}#{version[:16]}#{position}"


def object_uuid(*parts: str) -> str:
    """A deterministic UUIDv5, for stores that key objects by UUID."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def document_version(*, text: str, title: str | None, source: str | None, metadata: Mapping[str, object]) -> str:
    """A document's version: what makes two ingestions "the same" (text, title, source and metadata).

    Re-ingesting the same version is a no-op; any change is a new version that replaces the old one.
    """
    return content_hash(json.dumps([text, title, source, sorted(metadata.items())], default=str))
