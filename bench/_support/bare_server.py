"""The bare search handler (``asgi.bare_search_app``) served by uvicorn with AutBot's HTTP protocol, as a
process of its own: ``python -m bench._support.bare_server --port N --canned FILE [--http-parser P]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench._support.asgi import bare_search_app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--canned", type=Path, required=True, help="the response body to return")
    parser.add_argument("--http-parser", default="auto", choices=["auto", "httptools", "h11"])
    args = parser.parse_args()
    import uvicorn

    from autbot.entrypoints.server.runtime import http_protocol

    app = bare_search_app(args.canned.read_bytes())
    protocol = http_protocol(args.http_parser)
    uvicorn.run(app, host="127.0.0.1", port=args.port, http=protocol, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
