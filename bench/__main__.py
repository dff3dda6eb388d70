"""Runs every benchmark suite (or some) and prints a table of their headline figures.

Each suite's script runs as a subprocess with its own timeout, in sequence; a suite that fails or times out
is reported and the next one runs. Every suite's result is collected into one file.

    uv run python -m bench                                   # the full run (docs/benchmarks.md: its duration)
    uv run python -m bench --quick                           # each suite's quick options: a smoke test
    uv run python -m bench --only search_overhead,relay      # some suites
    uv run python -m bench --help                            # the suites, one line each

Full run: each suite writes bench/results/<suite>.json, and all of it is collected in bench/results/all.json.
Quick run: the suites write into a temp folder (the last full run's files stay as they were), collected in
bench/results/all-quick.json. Each suite's output goes to a log file of its own (the folder is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._support.results import RESULTS, ROOT, machine, out_path, utc_now
from bench.headlines import summary
from bench.suites import SUITES, Suite


def _run(argv: list[str], log: Path, timeout_s: float, env: dict[str, str]) -> int:
    """Runs one command in its own process group (killed whole on timeout); its exit status, 124 on timeout."""
    with log.open("ab") as out:
        out.write(f"$ {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return proc.wait(timeout=max(1.0, timeout_s))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            out.write(f"\n[bench] timed out after {timeout_s:.0f} s\n".encode())
            return 124


def run_suite(suite: Suite, quick: bool, tmp: Path) -> dict[str, Any]:
    """One suite in a data directory of its own; its entry in the report, its JSON result under ``result``."""
    out = tmp / f"{suite.name}.json" if quick else out_path(suite.name)
    argv = [sys.executable, "-m", suite.module, *suite.args(quick), "--out", str(out)]
    log = tmp / "logs" / f"{suite.name}.log"
    env = {**os.environ, "AUTBOT_STORAGE__DATA_DIR": tempfile.mkdtemp(prefix=f"autbot-bench-{suite.name}-")}
    begun = time.perf_counter()
    rc = _run(argv, log, suite.timeout_s[0 if quick else 1], env)
    entry: dict[str, Any] = {"ok": rc == 0, "rc": rc, "log": str(log), "command": " ".join(argv[1:])}
    if rc != 0:
        entry["error"] = "timed out" if rc == 124 else f"exit status {rc}"
    else:
        try:
            entry["result"] = json.loads(out.read_text())
        except (OSError, ValueError) as e:
            entry.update(ok=False, error=f"no result: {type(e).__name__}: {e}")
    entry["seconds"] = round(time.perf_counter() - begun, 1)
    return entry


def _parser() -> argparse.ArgumentParser:
    lines, group = [], ""
    for s in SUITES:
        if s.group != group:
            group = s.group
            lines.append(f"  {group}/")
        lines.append(f"    {s.name:<22}{s.what}{'' if s.quick is not None else ' [full run only]'}")
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.splitlines()[0],
        epilog="suites (bench/<group>/<suite>.py; each also runs alone: python -m bench.<group>.<suite> --help):\n"
        + "\n".join(lines),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="each suite's quick options: a smoke test")
    parser.add_argument("--only", help="comma-separated suite names (default: all)")
    return parser


def _print(report: dict[str, Any], out: Path) -> None:
    print(f"\n{'quick run' if report['quick'] else 'full run'}: {report['seconds'] / 60:.1f} min; written: {out}\n")
    print("| measurement | value | against |\n|---|---:|---|")
    for row in report["summary"]:
        print(f"| {' | '.join(row)} |")
    failed = [n for n, s in report["suites"].items() if not s["ok"]]
    print(f"\nfailed: {', '.join(failed)}" if failed else "\nevery suite finished")


def main() -> int:
    args = _parser().parse_args()
    names = [s.name for s in SUITES]
    only = args.only.split(",") if args.only else names
    unknown = set(only) - set(names)
    if unknown:
        raise SystemExit(f"unknown suites: {', '.join(sorted(unknown))} (see python -m bench --help)")
    chosen = [s for s in SUITES if s.name in only and not (args.quick and s.quick is None)]
    skipped = [s.name for s in SUITES if s.name in only and s not in chosen]
    tmp = Path(tempfile.mkdtemp(prefix="autbot-bench-all-"))
    (tmp / "logs").mkdir()
    report: dict[str, Any] = {"machine": machine(), "when": utc_now(), "quick": args.quick}
    report |= {"load_average_at_start": os.getloadavg(), "suites": {}}
    begun = time.perf_counter()
    print(f"logs: {tmp / 'logs'}", flush=True)
    if skipped:
        print(f"not in a quick run: {', '.join(skipped)}", flush=True)
    for suite in chosen:
        print(f"[{time.perf_counter() - begun:6.0f} s] {suite.name}: {suite.what} ...", flush=True)
        entry = report["suites"][suite.name] = run_suite(suite, args.quick, tmp)
        state = "ok" if entry["ok"] else f"FAILED ({entry.get('error')}; see {entry['log']})"
        print(f"          {suite.name}: {state} in {entry['seconds']:.0f} s", flush=True)
    report["seconds"] = round(time.perf_counter() - begun, 1)
    report["load_average_at_end"] = os.getloadavg()
    report["summary"] = summary(report["suites"], [s.name for s in chosen])
    out = RESULTS / ("all-quick.json" if args.quick else "all.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    _print(report, out)
    return 1 if any(not s["ok"] for s in report["suites"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
