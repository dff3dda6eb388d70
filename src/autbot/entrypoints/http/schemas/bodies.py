"""Request bodies decoded within the domain's limits, so that what a decoder refuses is a 400, never a 500.

``AutbotRequest`` is the app's request class: every JSON body a handler reads goes through its ``json()``,
and every multipart form through its ``form()`` (``read_form`` makes upload routes parse theirs there).

- JSON nested more than ``limits.MAX_JSON_DEPTH`` levels is ``invalid_input`` (msgspec and the standard
  library recurse per level and fail with ``RecursionError`` a thousand levels down).
- A body or text part that is not UTF-8 (or names a charset Python does not know), or JSON that escapes half
  a UTF-16 surrogate pair (``"\\ud800"``), is ``invalid_encoding``; other malformed JSON is ``invalid_input``.
- A multipart form past its parser's limits (``multipart_form_part_limit`` parts; part headers: 8 of them, 4 KiB
  together) is 413 ``form_too_large``.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, SerializationException

from autbot.domain import limits
from autbot.domain.errors import FormTooLarge, InvalidEncoding, InvalidInput
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
        raise not_json(raw, e, field=field) from e
    if _may_nest(raw):
        check_nesting(value, field=field)
    return value


_SURROGATE_ESCAPES = re.compile(
    rb"(?P<high>\\u[dD][89abAB][0-9a-fA-F]{2})(?P<low>\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
    rb"|(?P<alone>\\u[dD][c-fC-F][0-9a-fA-F]{2})|\\.",
    re.DOTALL,
)


def lone_surrogate(raw: bytes | str) -> bool:
    """Whether JSON text escapes half a UTF-16 surrogate pair (``"\\ud800"``, ``"\\udc00"``): not a character,
    so not UTF-8 text. Every backslash escape is read in turn, so ``"\\\\ud800"`` (a backslash, then text) is not."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    return any(m["alone"] or (m["high"] and not m["low"]) for m in _SURROGATE_ESCAPES.finditer(data))


def not_json(raw: bytes | str, error: BaseException, *, field: str, name: str | None = None) -> InvalidInput:
    """The error for JSON a decoder refused: ``invalid_encoding`` for a lone surrogate (msgspec's own words for it
    vary, "Input data was truncated" among them), else ``invalid_input`` with the decoder's reason."""
    name = name or field
    if lone_surrogate(raw):
        return InvalidEncoding(f"{name} escapes half a UTF-16 surrogate pair, which is not text.", field=field)
    return InvalidInput(f"{name} is not valid JSON: {error}", field=field)


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
        except SerializationException as e:
            raise not_json(await self.body(), e.__cause__ or e, field="body", name="The request body") from e
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
        except ClientException as e:
            limit = e.__context__  # the multipart parser's own error (Litestar raises its 400 "from None")
            if getattr(limit, "http_status", None) != 413:  # multipart.ParserLimitReached says 413
                raise
            raise FormTooLarge(
                f"The multipart form is past a limit of its parser: {limit}.",
                max_parts=self.app.multipart_form_part_limit,
            ) from e


async def read_form(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of upload routes: parse the multipart form through ``AutbotRequest.form`` (which
    translates decoding errors) before Litestar reads the handler's ``data`` from the cached form."""
    if request.content_type[0] == RequestEncodingType.MULTI_PART:
        await request.form()
