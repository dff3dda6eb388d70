"""OpenAPI for routes that answer JSON, or server-sent events when the body asks for ``"stream": true``."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema

EVENT_STREAM = "text/event-stream"

_STRING = Schema(type=OpenAPIType.STRING)
_EVENTS = OpenAPIMediaType(
    schema=Schema(
        type=OpenAPIType.OBJECT,
        description='With "stream": true, server-sent events; this describes one event (before OpenAPI 3.2 a '
        "stream's `schema` is each event's): its `event` name, where the route names events, and its `data` line, "
        "JSON, or `[DONE]` last on the OpenAI route.",
        properties={"event": _STRING, "data": _STRING, "id": _STRING},
        required=["data"],
    )
)


@dataclass
class JsonOrEventStream(Operation):
    """An operation whose 200 response is documented as JSON and as ``text/event-stream`` (``operation_class=``)."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content is not None:
            ok.content.setdefault(EVENT_STREAM, _EVENTS)


__all__ = ["EVENT_STREAM", "JsonOrEventStream"]
