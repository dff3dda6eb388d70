"""The ``autbot`` command.

``serve`` runs the server and ``config`` prints the effective settings (:mod:`.server`); ``ingest``,
``search`` and ``ask`` talk to a running server over HTTP (:mod:`.client`; ``--url``, default
``$AUTBOT_URL`` or http://127.0.0.1:8000). ``keys``, ``audit``, ``migrate``, ``backup`` and ``restore`` work
on the configured stores directly (:mod:`.keys`, :mod:`.audit`, :mod:`.migrate`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from autbot.domain.errors import AutbotError, ConfigurationError
from autbot.domain.limits import DEFAULT_SEARCH_MODE
from autbot.entrypoints.cli import audit, client, jobs, keys, migrate, models, server
from autbot.entrypoints.cli import eval as eval_command

DEFAULT_URL = client.DEFAULT_URL


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigurationError as e:
        print(f"autbot: configuration error: {e.message}", file=sys.stderr)
        return 2
    except AutbotError as e:
        print(f"autbot: {e.code}: {e.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autbot", description="AutBot: a RAG server with citations.")
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    def settings_flags(c: argparse.ArgumentParser) -> None:
        c.add_argument("--profile", help="bundled profile name or path to a .toml file (default: local)")
        c.add_argument("--host", help="interface to listen on (default from the profile: 127.0.0.1)")
        c.add_argument("--port", type=int, help="port (default from the profile: 8000)")
        c.add_argument("--workers", type=int, help="worker processes (only with a shared vector store)")

    serve = sub.add_parser("serve", help="run the HTTP server")
    settings_flags(serve)
    serve.set_defaults(func=server.serve)

    config = sub.add_parser("config", help="print the effective settings and where each value comes from")
    settings_flags(config)
    config.add_argument("--json", action="store_true", help="print a JSON object: key -> {value, source}")
    config.set_defaults(func=server.config)

    work = sub.add_parser("worker", help="run ingestion job batches from Redis (jobs.backend = 'redis')")
    work.add_argument("--profile", help="bundled profile name or path to a .toml file (default: local)")
    work.add_argument("--threads", type=int, help="batches run at once (default: jobs.workers, at least 1)")
    work.add_argument(
        "--metrics-port", type=int, help="serve Prometheus /metrics on this port (default: metrics.port; 0: none)"
    )
    work.set_defaults(func=server.worker)

    keys.add_parser(sub)
    audit.add_parser(sub)
    migrate.add_parser(sub)
    models.add_parser(sub)
    eval_command.add_parser(sub)

    def client_flags(c: argparse.ArgumentParser) -> argparse.ArgumentParser:
        c.add_argument("--url", default=os.environ.get("AUTBOT_URL", DEFAULT_URL), help="server URL")
        c.add_argument("--timeout", type=float, default=300.0, help="seconds per request")
        c.add_argument(
            "--api-key",
            default=os.environ.get("AUTBOT_API_KEY"),
            help="API key sent as a Bearer token (default: $AUTBOT_API_KEY; prefer the variable: flags show in ps)",
        )
        return c

    def client_command(name: str, help_: str) -> argparse.ArgumentParser:
        c = client_flags(sub.add_parser(name, help=help_))
        c.add_argument("--collection", "-c", required=True, help="collection name")
        return c

    ingest = client_command("ingest", "ingest files or directories (recursively) as a job, with a progress bar")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--metadata", help="JSON object added to every document's metadata")
    ingest.add_argument("--embedder", help="embedding model of a collection this creates (default: the server's)")
    ingest.add_argument("--sync", action="store_true", help="one synchronous request per file instead of a job")
    ingest.set_defaults(func=lambda a: client.ingest(a) if a.sync else jobs.ingest(a))
    jobs.add_parser(sub, client_flags)

    search = client_command("search", "search a collection")
    search.add_argument("query")
    search.add_argument("--top-k", type=int, help="results (default: the server's)")
    search.add_argument("--mode", choices=["vector", "hybrid", "keyword"], default=DEFAULT_SEARCH_MODE)
    search.add_argument("--json", action="store_true", help="print the raw JSON response")
    search.set_defaults(func=client.search)

    ask = client_command("ask", "ask a question; the answer cites its sources")
    ask.add_argument("question")
    ask.add_argument("--stream", action="store_true", help="print the answer as it is generated")
    ask.add_argument("--top-k", type=int, help="chunks given to the model (default: the server's)")
    ask.add_argument("--max-tokens", type=int)
    ask.set_defaults(func=client.ask)
    return p
