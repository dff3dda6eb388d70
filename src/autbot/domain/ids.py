"""Stable identifiers: content hashes, derived document ids, chunk ids."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping

_NAMESPACE = uuid.UUID("6f1c9f5e-5b7a-4c1e-9d43-2f0f6a1b7c11")
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")
"""What a slug of a file name replaces: every character of a document id but ``:`` (``model.validate_document_id``)."""
SLUG_CHARS = 100
NAME_HASH_CHARS = 16
"""64 bits of sha256: a slug plus ``:`` and this stays within the 128 characters of a document id."""


def content_hash(text: str) -> str:
    """sha256 of the UTF-8 text: the document's version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def derive_document_id(*, text: str, source: str | None) -> str:
    """A document id when the caller gives none.

    From the source (a file name) when there is one, so that re-uploading a changed file updates it;
    otherwise from the content, so that re-sending identical text is a no-op.

    Distinct file names never share an id: a name that is already a valid id (``report-2024.pdf``) is its
    own id; any other (``a b.txt``, ``契約書.txt``, a name too long) is a readable slug of it, ``:`` and a
    hash of the whole name (``a-b.txt:4f0c...``). A slug never holds ``:``, so the two kinds never meet.
    """
    if source:
        slug = _UNSAFE.sub("-", source).strip("-._@")[:SLUG_CHARS] or "document"
        if slug == source:
            return slug
        return f"{slug}:{hashlib.sha256(source.encode('utf-8', 'surrogatepass')).hexdigest()[:NAME_HASH_CHARS]}"
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
