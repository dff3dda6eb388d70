"""The ``autbot`` command: ``serve`` runs the server; ``ingest``, ``search`` and ``ask`` talk to a
running server over HTTP (``--url``, default ``$AUTBOT_URL`` or http://127.0.0.1:8000)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from autbot.domain.errors import AutbotError, ConfigurationError

EXTENSIONS = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".json"}
DEFAULT_URL = "http://127.0.0.1:8000"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigurationError as e:
        print(f"autbot: configuration error: {e.message}", file=sys.stderr)
        return 2
    except AutbotError as e:
        print(f"autbot: cannot start: {e.code}: {e.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autbot", description="AutBot: a RAG server with citations.")
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--profile", help="bundled profile name or path to a .toml file (default: local)")
    serve.add_argument("--host", help="interface to listen on (default from the profile: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from the profile: 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (only with a shared vector store)")
    serve.set_defaults(func=_serve)

    def client(name: str, help_: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_)
        c.add_argument("--url", default=os.environ.get("AUTBOT_URL", DEFAULT_URL), help="server URL")
        c.add_argument("--collection", "-c", required=True, help="collection name")
        c.add_argument("--timeout", type=float, default=300.0, help="seconds per request")
        return c

    ingest = client("ingest", "ingest files or directories (recursively)")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--metadata", help="JSON object added to every document's metadata")
    ingest.set_defaults(func=_ingest)

    search = client("search", "search a collection")
    search.add_argument("query")
    search.add_argument("--top-k", type=int, default=5)
    search.add_argument("--mode", choices=["vector", "hybrid", "keyword"], default="vector")
    search.add_argument("--json", action="store_true", help="print the raw JSON response")
    search.set_defaults(func=_search)

    ask = client("ask", "ask a question; the answer cites its sources")
    ask.add_argument("question")
    ask.add_argument("--stream", action="store_true", help="print the answer as it is generated")
    ask.add_argument("--top-k", type=int)
    ask.add_argument("--max-tokens", type=int)
    ask.set_defaults(func=_ask)
    return p


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from autbot.entrypoints.http.app import create_app
    from autbot.entrypoints.settings import load_settings

    overrides: dict[str, Any] = {
        "server": {
            k: v for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers)) if v is not None
        }
    }
    settings = load_settings(args.profile, overrides=overrides)
    server = settings.server
    if server.workers > 1:
        if settings.index.backend == "chroma":
            raise ConfigurationError(
                f"server.workers = {server.workers}, but the embedded vector store (index.backend = 'chroma') is "
                "single-process. Run one worker, or use index.backend = 'weaviate' (profile 'production') to scale out."
            )
        if args.profile:
            os.environ["AUTBOT_PROFILE"] = args.profile
        os.environ.update({f"AUTBOT_SERVER__{k.upper()}": str(v) for k, v in overrides["server"].items()})
        uvicorn.run(
            "autbot.entrypoints.http.app:app_from_env",
            factory=True,
            host=server.host,
            port=server.port,
            workers=server.workers,
            log_level="warning",
            access_log=False,
        )
        return 0
    app = create_app(settings)
    print(
        f"AutBot serving on http://{server.host}:{server.port} (profile {settings.profile}; API docs at /schema)",
        file=sys.stderr,
    )
    uvicorn.run(app, host=server.host, port=server.port, log_level="warning", access_log=False)
    return 0


def _files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)
        elif path.is_file():
            yield path
        else:
            raise SystemExit(f"autbot: no such file or directory: {path}")


def _problem(r: Any) -> str:
    try:
        body = r.json()
        return f"{body.get('code')}: {body.get('detail')}"
    except ValueError:
        return f"HTTP {r.status_code}"


def _ingest(args: argparse.Namespace) -> int:
    import httpx
    from tqdm import tqdm

    files = list(_files(args.paths))
    if not files:
        print("autbot: no supported files found", file=sys.stderr)
        return 1
    extra = {"metadata": args.metadata} if args.metadata else {}
    counts: Counter[str] = Counter()
    chunks = 0
    failures: list[str] = []
    url = f"{args.url.rstrip('/')}/v1/collections/{args.collection}/files"
    with httpx.Client(timeout=args.timeout) as http, tqdm(files, unit="file", file=sys.stderr) as bar:
        for path in bar:
            bar.set_postfix_str(path.name[-30:])
            try:
                r = http.post(url, files={"files": (path.name, path.read_bytes())}, data=extra)
            except httpx.HTTPError as e:
                print(f"autbot: cannot reach {args.url}: {e}", file=sys.stderr)
                return 2
            if r.status_code == 201:
                for doc in r.json()["documents"]:
                    counts[doc["status"]] += 1
                    chunks += doc["chunks"]
            else:
                failures.append(f"{path}: {_problem(r)}")
                counts["failed"] += 1
    for line in failures:
        print(f"failed  {line}", file=sys.stderr)
    summary = ", ".join(f"{counts[k]} {k}" for k in ("created", "updated", "unchanged", "failed") if counts[k])
    print(f"{len(files)} files into '{args.collection}': {summary}; {chunks} chunks")
    return 1 if failures else 0


def _search(args: argparse.Namespace) -> int:
    import httpx

    body = {"query": args.query, "top_k": args.top_k, "mode": args.mode}
    r = httpx.post(f"{args.url.rstrip('/')}/v1/collections/{args.collection}/search", json=body, timeout=args.timeout)
    if r.status_code != 200:
        print(f"autbot: {_problem(r)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(r.json(), indent=2))
        return 0
    for i, hit in enumerate(r.json()["results"], 1):
        title = hit["metadata"].get("title") or hit["document_id"]
        text = " ".join(hit["text"].split())
        print(f"{i}. [{hit['score']:.3f}] {title}\n   {text[:300]}")
    return 0


def _ask(args: argparse.Namespace) -> int:
    import httpx

    body: dict[str, Any] = {"question": args.question, "stream": args.stream}
    if args.top_k:
        body["top_k"] = args.top_k
    if args.max_tokens:
        body["max_tokens"] = args.max_tokens
    url = f"{args.url.rstrip('/')}/v1/collections/{args.collection}/query"
    if not args.stream:
        r = httpx.post(url, json=body, timeout=args.timeout)
        if r.status_code != 200:
            print(f"autbot: {_problem(r)}", file=sys.stderr)
            return 1
        data = r.json()
        print(data["answer"])
        _print_sources(data["citations"])
        return 0
    citations: list[dict[str, Any]] = []
    with httpx.stream("POST", url, json=body, timeout=args.timeout) as r:
        if r.status_code != 200:
            r.read()
            print(f"autbot: {_problem(r)}", file=sys.stderr)
            return 1
        for event, data in _sse(r.iter_lines()):
            if event == "citations":
                citations = data["citations"]
            elif event == "token":
                print(data["text"], end="", flush=True)
            elif event == "error":
                print(f"\nautbot: {data.get('code')}: {data.get('detail')}", file=sys.stderr)
                return 1
    print()
    _print_sources(citations)
    return 0


def _sse(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    event, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        yield event, json.loads("\n".join(data))


def _print_sources(citations: list[dict[str, Any]]) -> None:
    if not citations:
        return
    print("\nSources:")
    for c in citations:
        title = c["metadata"].get("title") or c["document_id"]
        print(f"  [{c['n']}] {title} ({c['document_id']}, score {c['score']:.3f})")


if __name__ == "__main__":
    sys.exit(main())
