"""``ingest``, ``search`` and ``ask``: a thin client of the public HTTP API.

Only httpx, tqdm and the standard library: no AutBot code, so the client cannot drift from the API
and every default (``top_k``...) comes from the server.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

EXTENSIONS = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".json"}
DEFAULT_URL = "http://127.0.0.1:8000"


def _files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)
        elif path.is_file():
            yield path
        else:
            raise SystemExit(f"autbot: no such file or directory: {path}")


def _auth(args: argparse.Namespace) -> dict[str, str]:
    key = getattr(args, "api_key", None)
    return {"Authorization": f"Bearer {key}"} if key else {}


def _problem(r: Any) -> str:
    try:
        body = r.json()
        return f"{body.get('code')}: {body.get('detail')}"
    except ValueError:
        return f"HTTP {r.status_code}"


def ingest(args: argparse.Namespace) -> int:
    import httpx
    from tqdm import tqdm

    files = list(_files(args.paths))
    if not files:
        print("autbot: no supported files found", file=sys.stderr)
        return 1
    extra = {"metadata": args.metadata} if args.metadata else {}
    if args.embedder:
        extra["embedder"] = args.embedder
    counts: Counter[str] = Counter()
    chunks = 0
    failures: list[str] = []
    url = f"{args.url.rstrip('/')}/v1/collections/{args.collection}/files"
    with (
        httpx.Client(timeout=args.timeout, headers=_auth(args)) as http,
        tqdm(files, unit="file", file=sys.stderr) as bar,
    ):
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


def search(args: argparse.Namespace) -> int:
    import httpx

    body: dict[str, Any] = {"query": args.query, "mode": args.mode}
    if args.top_k is not None:
        body["top_k"] = args.top_k
    r = httpx.post(
        f"{args.url.rstrip('/')}/v1/collections/{args.collection}/search",
        json=body,
        timeout=args.timeout,
        headers=_auth(args),
    )
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


def ask(args: argparse.Namespace) -> int:
    import httpx

    body: dict[str, Any] = {"question": args.question, "stream": args.stream}
    if args.top_k is not None:
        body["top_k"] = args.top_k
    if args.max_tokens is not None:
        body["max_tokens"] = args.max_tokens
    url = f"{args.url.rstrip('/')}/v1/collections/{args.collection}/query"
    if not args.stream:
        r = httpx.post(url, json=body, timeout=args.timeout, headers=_auth(args))
        if r.status_code != 200:
            print(f"autbot: {_problem(r)}", file=sys.stderr)
            return 1
        data = r.json()
        print(data["answer"])
        _print_sources(data["citations"])
        return 0
    citations: list[dict[str, Any]] = []
    with httpx.stream("POST", url, json=body, timeout=args.timeout, headers=_auth(args)) as r:
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
