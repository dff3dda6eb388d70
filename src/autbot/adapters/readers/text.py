"""Plain text, Markdown and JSON files: decoded as UTF-8 (or UTF-16 with a byte-order mark), then read.

JSON files nest at most ``limits.MAX_JSON_DEPTH`` levels; a file of objects and lists is flattened into
``path: value`` lines, which repeat each path's prefix: the flattening stops as soon as its text passes
``ingest.max_document_chars`` (413), so a small file of long keys cannot inflate to gigabytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from autbot.adapters.readers.budget import Extracted, ParseLimits, too_many_chars
from autbot.domain import limits as default
from autbot.domain.errors import DocumentUnparseable, InvalidEncoding, InvalidInput
from autbot.domain.model import check_nesting


def decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise InvalidEncoding(f"'{name}' is not valid UTF-16.", filename=name) from e
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidEncoding(
            f"'{name}' is not valid UTF-8 (byte {e.start}); convert it to UTF-8 first.", filename=name, position=e.start
        ) from e


def extract_text(data: bytes, limits: ParseLimits, name: str) -> Extracted:
    """Plain text and Markdown: their text as it is."""
    return Extracted(text=decode(data, name))


def extract_json(data: bytes, limits: ParseLimits, name: str) -> Extracted:
    """A JSON object's ``text`` string, or every value of the file as ``path: value`` lines."""
    value = _load(decode(data, name), name)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return Extracted(text=value["text"])
    if not isinstance(value, (dict, list)):
        return Extracted(text="" if value is None else str(value))
    return Extracted(text="\n".join(_lines(value, limits.max_chars, name)))


def _load(raw: str, name: str) -> Any:
    quoted = f"'{name}'"
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"{quoted} is not valid JSON (line {e.lineno}, column {e.colno}).", filename=name) from e
    except RecursionError as e:
        raise _too_deep(quoted, name) from e
    except ValueError as e:  # a number past the interpreter's limit on digits (sys.get_int_max_str_digits)
        raise DocumentUnparseable(f"{quoted} holds a number too long to read: {str(e)[:120]}", filename=name) from e
    check_nesting(value, field=quoted)
    return value


def _too_deep(quoted: str, name: str) -> InvalidInput:
    return InvalidInput(f"{quoted} is nested more than {default.MAX_JSON_DEPTH} levels deep.", filename=name)


def _lines(value: dict[str, Any] | list[Any], max_chars: int, name: str) -> list[str]:
    """``path: value`` lines, depth first, each path built only when it is reached, without recursion; 413
    as soon as the lines (or one path alone) pass ``max_chars``."""
    lines: list[str] = []
    chars = 0
    stack = [_children(value, "")]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        path, child = item
        if isinstance(child, (dict, list)):
            stack.append(_children(child, path))
        elif child is not None:
            lines.append(f"{path}: {child}")
            chars += len(lines[-1]) + 1
        if max(chars - 1, len(path)) > max_chars:
            raise too_many_chars(name, max_chars)
    return lines


def _children(value: dict[str, Any] | list[Any], path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        return ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    return ((f"{path}[{i}]", v) for i, v in enumerate(value))
