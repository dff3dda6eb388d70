"""Builds a judged retrieval set in the BEIR layout from the manual pages installed on this machine (why this
set and not a public BEIR one: docs/benchmarks.md, section 8).

- corpus: one document per manual page of section 1 (``/usr/share/man/man1``), rendered by groff;
  title = the command name(s) of its NAME line, text = its DESCRIPTION section (cut at a paragraph
  end before ``--max-chars``);
- queries: the page's one-line summary from its NAME line (``ls - list directory contents`` gives
  "list directory contents"), a known-item query: exactly one relevant document, its own page;
- excluded: pages without a summary or a DESCRIPTION of at least 200 characters; gcloud alpha/beta
  copies; pages whose summary or description text another page repeats (all copies dropped, since
  judging one of them relevant would be arbitrary); at most ``--per-family`` pages per command family
  (the name before its first ``-``/``_``), so that git-* or llvm-* do not dominate.

    uv run python -m bench.quality.manpages_dataset OUT_DIR [--docs 2000] [--seed 0]

Rendered pages are cached in ``OUT_DIR/pages.cache.jsonl``; ``bench.quality.retrieval`` evaluates the set.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MAN1 = Path("/usr/share/man/man1")
_HEADER = re.compile(r"^[A-Z][A-Z0-9 ]+$")
_NAME = re.compile(r"^(?P<names>.+?)\s+[-\u2010\u2013\u2014]+\s+(?P<summary>.+)$")


def render(path: Path) -> str | None:
    try:
        if path.suffix == ".gz":
            with gzip.open(path) as fh:
                source = fh.read()
        else:
            source = path.read_bytes()
        if source.lstrip().startswith(b".so "):
            return None  # an alias of another page
        out = subprocess.run(
            ["groff", "-t", "-man", "-Tutf8", "-P-cbou", "-rHY=0", "-rLL=2000n"],
            input=source,
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.decode("utf-8", "replace") if out.returncode == 0 else None


def sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if _HEADER.match(line):
            current = out.setdefault(line.strip(), [])
        elif current is not None:
            current.append(line.strip())
    return out


def paragraphs(lines: list[str]) -> list[str]:
    paras, cur = [], []
    for line in [*lines, ""]:
        if line:
            cur.append(line)
        elif cur:
            paras.append(" ".join(cur))
            cur = []
    return paras


def page(path: Path, max_chars: int) -> dict[str, str] | None:
    text = render(path)
    if not text:
        return None
    parts = sections(text)
    name = " ".join(" ".join(parts.get("NAME", [])).split())
    m = _NAME.match(name)
    if not m or len(m["summary"].split()) < 3:
        return None
    body = ""
    for para in paragraphs(parts.get("DESCRIPTION", [])):
        if len(body) + len(para) + 2 > max_chars:
            if not body:
                body = para[:max_chars].rsplit(" ", 1)[0]
            break
        body = f"{body}\n\n{para}" if body else para
    if len(body) < 200:
        return None
    summary = m["summary"].strip().rstrip(".")
    return {"stem": path.name.split(".")[0], "title": m["names"].strip(), "summary": summary, "text": body}


def family(stem: str) -> str:
    """``git-commit`` -> ``git``; ``gcloud_compute_disks_create`` -> ``gcloud_compute_disks`` (one resource)."""
    return stem.rsplit("_", 1)[0] if "_" in stem else re.split(r"[-.]", stem, maxsplit=1)[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--max-chars", type=int, default=2000)
    parser.add_argument("--per-family", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    files = sorted(p for p in MAN1.iterdir() if not re.search(r"_(alpha|beta)_", p.name))
    random.Random(args.seed).shuffle(files)
    cache = args.out / "pages.cache.jsonl"  # rendering takes minutes: reuse it when only the selection changes
    if cache.exists():
        pages = [json.loads(line) for line in cache.open()]
    else:
        with ThreadPoolExecutor(2) as pool:
            pages = [p for p in pool.map(lambda f: page(f, args.max_chars), files) if p]
        args.out.mkdir(parents=True, exist_ok=True)
        cache.write_text("".join(json.dumps(p) + "\n" for p in pages))
    summaries = Counter(p["summary"].lower() for p in pages)
    texts = Counter(p["text"] for p in pages)
    per_family: Counter[str] = Counter()
    chosen = []
    for p in pages:
        if summaries[p["summary"].lower()] > 1 or texts[p["text"]] > 1:
            continue
        if per_family[family(p["stem"])] >= args.per_family:
            continue
        per_family[family(p["stem"])] += 1
        chosen.append(p)
        if len(chosen) == args.docs:
            break
    (args.out / "qrels").mkdir(parents=True, exist_ok=True)
    with (args.out / "corpus.jsonl").open("w") as corpus, (args.out / "queries.jsonl").open("w") as queries:
        for i, p in enumerate(chosen):
            corpus.write(json.dumps({"_id": f"man-{p['stem']}", "title": p["title"], "text": p["text"]}) + "\n")
            queries.write(json.dumps({"_id": f"q{i}", "text": p["summary"]}) + "\n")
    with (args.out / "qrels" / "test.tsv").open("w") as qrels:
        qrels.write("query-id\tcorpus-id\tscore\n")
        for i, p in enumerate(chosen):
            qrels.write(f"q{i}\tman-{p['stem']}\t1\n")
    meta = {
        "origin": f"section-1 manual pages installed under {MAN1}, rendered with groff",
        "candidates": len(files),
        "families": len(per_family),
        "usable_pages": len(pages),
        "documents": len(chosen),
        "seed": args.seed,
        "max_chars": args.max_chars,
        "per_family": args.per_family,
    }
    (args.out / "dataset.json").write_text(json.dumps(meta, indent=2))
    print(json.dumps(meta), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
