"""Where a suite writes its result and what every result records about the run."""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"


def out_path(name: str) -> Path:
    """A suite's default result file: ``bench/results/<name>.json`` (not committed)."""
    return RESULTS / f"{name}.json"


def add_out_argument(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--out", type=Path, default=out_path(name), help=f"result JSON (default {out_path(name)})")


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def utc_now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def stamp() -> dict[str, Any]:
    """The run's context: the machine, when, and the load average when it started."""
    return {"machine": machine(), "when": utc_now(), "load_average_at_start": os.getloadavg()}


def write_json(path: Path, result: dict[str, Any], *, merge: bool = False) -> None:
    """Writes ``result``; with ``merge``, over the file's earlier keys (the parts of a suite that ran alone)."""
    earlier = json.loads(path.read_text()) if merge and path.exists() else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**earlier, **result}, indent=2))
    print(f"written: {path}", flush=True)
