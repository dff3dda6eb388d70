"""Retrieval quality: ``autbot eval`` on the man-page set (``bench.quality.manpages_dataset``), built once in
the temp dir and kept there, in each search mode; NDCG@10, recall and latency as ``autbot eval`` reports them.

    uv run python -m bench.quality.retrieval [--docs 2000] [--modes vector,hybrid] [--quick]

``--quick``: 300 pages, hybrid only. Results: bench/results/retrieval.json (``--out`` to write elsewhere), one
``autbot eval --json`` report per mode.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench._support.results import ROOT, add_out_argument, stamp, write_json


def dataset(docs: int) -> Path:
    """The set of ``docs`` pages in the temp dir, built if it is not there yet (minutes of groff)."""
    data = Path(tempfile.gettempdir()) / f"autbot-bench-manbeir-{docs}"
    if not (data / "corpus.jsonl").exists():
        build = [sys.executable, "-m", "bench.quality.manpages_dataset", str(data), "--docs", str(docs)]
        subprocess.run(build, cwd=ROOT, check=True)
    return data


def evaluate(data: Path, mode: str, env: dict[str, str]) -> dict[str, Any]:
    """``autbot eval`` in a process of its own (collection ``man``, ingested once per data directory)."""
    cmd = [sys.executable, "-m", "autbot.entrypoints.cli", "eval", str(data), "--json", "--collection", "man"]
    run = subprocess.run([*cmd, "--mode", mode], cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True)
    out = run.stdout
    report: dict[str, Any] = json.loads(out[out.index("{") :])
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, help="pages in the set (default 2000; 300 with --quick)")
    parser.add_argument("--modes", help="comma-separated search modes (default vector,hybrid; hybrid with --quick)")
    parser.add_argument("--quick", action="store_true", help="300 pages, hybrid only: a smoke test")
    add_out_argument(parser, "retrieval")
    args = parser.parse_args()
    data = dataset(args.docs or (300 if args.quick else 2000))
    modes = args.modes.split(",") if args.modes else (["hybrid"] if args.quick else ["vector", "hybrid"])
    env = {**os.environ}  # one data directory for every mode: the collection is ingested once
    env.setdefault("AUTBOT_STORAGE__DATA_DIR", tempfile.mkdtemp(prefix="autbot-bench-retrieval-"))
    reports = {}
    for mode in modes:
        reports[mode] = evaluate(data, mode, env)
        print(mode, json.dumps(reports[mode].get("quality"), indent=2), flush=True)
    write_json(args.out, {**stamp(), "dataset": str(data), "modes": reports})
    return 0


if __name__ == "__main__":
    sys.exit(main())
