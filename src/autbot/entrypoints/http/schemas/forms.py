"""The parts of a multipart upload besides its files: ``metadata``, ``access`` and ``embedder``, and the file
parts themselves, each read within its limits (a part that is not what it should be is 400, never dropped)."""

from __future__ import annotations

from typing import Any

from autbot.domain import limits
from autbot.domain.access import AccessList, parse_access
from autbot.domain.errors import InvalidInput
from autbot.entrypoints.http.schemas.bodies import decode_json


def form_metadata(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    value = decode_json(raw, field="metadata") if isinstance(raw, str) else None
    if not isinstance(value, dict):
        raise InvalidInput("The 'metadata' part must be a JSON object.", field="metadata")
    return value


def form_access(raw: Any) -> AccessList | None:
    """The optional ``access`` part: a JSON object ``{"groups": [...], "subjects": [...]}``."""
    if raw is None:
        return None
    value = decode_json(raw, field="access") if isinstance(raw, str) else None
    if not isinstance(value, dict):
        raise InvalidInput("The 'access' part must be a JSON object.", field="access")
    return parse_access(value)


def form_embedder(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not 1 <= len(raw) <= limits.MAX_MODEL_NAME_CHARS:
        raise InvalidInput(
            f"The 'embedder' part must be a model name of 1 to {limits.MAX_MODEL_NAME_CHARS} characters.",
            field="embedder",
        )
    return raw


def file_parts(data: dict[str, Any]) -> list[Any]:
    """Every file part; a ``files`` part the form parser read as text (no file name, or one like ``\\`` that
    names no file) is refused rather than dropped, so no file of an upload is silently lost."""
    named = data.get("files")
    if any(not hasattr(f, "filename") for f in (named if isinstance(named, list) else [named]) if f is not None):
        raise InvalidInput("Every 'files' part must be a file with a file name.", field="files")
    return [f for v in data.values() for f in (v if isinstance(v, list) else [v]) if hasattr(f, "filename")]
