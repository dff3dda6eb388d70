"""A fake OpenAI-compatible upstream: a real HTTP/1.1 server on loopback (asyncio, keep-alive,
Content-Length bodies) that answers every chat completion at once with a fixed body, or a fixed five-chunk
stream when the request asks for one, and ``GET /models`` with one model, ``fake``.

    python -m bench._support.fake_upstream --port N
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench._support.measure import pinned
from bench._support.server import start

_COMPLETION = json.dumps(
    {
        "id": "chatcmpl-upstream",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hello there, friend."}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
    }
).encode()


def _sse(d: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(d).encode() + b"\n\n"


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return _sse({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "fake", "choices": [choice]})


_STREAM = b"".join(
    [
        _chunk({"role": "assistant", "content": ""}),
        *(_chunk({"content": w}) for w in ("Hello", " there,", " friend.")),
        _chunk({}, "stop"),
        _sse(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "fake",
                "choices": [],
                "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
            }
        ),
        b"data: [DONE]\n\n",
    ]
)
_MODELS = b'{"object":"list","data":[{"id":"fake","object":"model","created":0,"owned_by":"bench"}]}'


class _Upstream(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, Content-Length bodies only: enough for OpenAI clients."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                return
            body, self.buffer = rest[:length], rest[length:]
            if head.startswith(b"GET"):
                payload, kind = _MODELS, b"application/json"
            elif b'"stream":true' in body.replace(b" ", b""):
                payload, kind = _STREAM, b"text/event-stream"
            else:
                payload, kind = _COMPLETION, b"application/json"
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: "
                + kind
                + b"\r\ncontent-length: "
                + str(len(payload)).encode()
                + b"\r\n\r\n"
                + payload
            )


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(_Upstream, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def launch(port: int, log: Path, cpu: int = 1) -> subprocess.Popen[bytes]:
    """The upstream as a process of its own on CPU ``cpu``; its base URL is ``http://127.0.0.1:{port}/v1``."""
    return start(
        pinned(cpu, [sys.executable, "-m", "bench._support.fake_upstream", "--port", str(port)]), {**os.environ}, log
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
