"""Request bodies decoded within the domain's limits, so that what a decoder refuses is a 400, never a 500.

``AutbotRequest`` is the app's request class: every JSON body a handler reads goes through its ``json()``,
and every multipart form through its ``form()`` (``read_form`` makes upload routes parse theirs there).

- JSON nested more than ``limits.MAX_JSON_DEPTH`` levels is ``invalid_input`` (msgspec and the standard
  library recurse per level and fail with ``RecursionError`` a thousand levels down).
- A body or text part that is not UTF-8 (or names a charset Python does not know) is ``invalid_encoding``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType

from autbot.domain import limits
from autbot.domain.errors import InvalidEncoding, InvalidInput
from autbot.domain.model import check_nesting


def decode_json(raw: bytes | str, *, field: str) -> Any:
    """JSON from a client: at most ``limits.MAX_JSON_DEPTH`` levels deep, valid UTF-8, no lone surrogate."""
    try:
        value = msgspec.json.decode(raw)
    except RecursionError as e:
        raise _too_deep(field) from e
    except UnicodeDecodeError as e:
        raise InvalidEncoding(f"{field} is not valid UTF-8 (byte {e.start}).", field=field) from e
    except msgspec.DecodeError as e:
        raise InvalidInput(f"{field} is not valid JSON: {e}", field=field) from e
    if _may_nest(raw):
        check_nesting(value, field=field)
    return value


def _too_deep(field: str) -> InvalidInput:
    return InvalidInput(
        f"{field} is nested more than {limits.MAX_JSON_DEPTH} levels deep.", field=field, limit=limits.MAX_JSON_DEPTH
    )


def _may_nest(raw: bytes | str) -> bool:
    """Whether ``raw`` has enough brackets to be too deep: a cheap test that spares most bodies the walk."""
    brackets = raw.count("[") + raw.count("{") if isinstance(raw, str) else raw.count(b"[") + raw.count(b"{")
    return brackets > limits.MAX_JSON_DEPTH


class AutbotRequest(Request[Any, Any, Any]):
    """Litestar's request, with JSON bodies and forms decoded within limits (see the module docstring)."""

    async def json(self) -> Any:
        try:
            value = await super().json()
        except RecursionError as e:
            raise _too_deep("body") from e
        except UnicodeDecodeError as e:
            raise InvalidEncoding(f"The request body is not valid UTF-8 (byte {e.start}).", field="body") from e
        if _may_nest(await self.body()):
            check_nesting(value, field="body")
        return value

    async def form(self) -> Any:
        try:
            return await super().form()
        except (UnicodeError, LookupError) as e:  # a text part not in its charset, or an unknown charset
            raise InvalidEncoding(
                "A multipart text part is not valid in its charset (UTF-8 unless the part names another).",
                field="form",
            ) from e


async def read_form(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of upload routes: parse the multipart form through ``AutbotRequest.form`` (which
    translates decoding errors) before Litestar reads the handler's ``data`` from the cached form."""
    if request.content_type[0] == RequestEncodingType.MULTI_PART:
        await request.form()
