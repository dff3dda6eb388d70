"""Every benchmark in one command: each suite as a subprocess with its own timeout, in sequence; a suite that
fails or times out is reported and the next one runs. Prints a table of the headline ratios and writes every
suite's JSON result into one file.

    uv run python bench/all.py            # the full run: about 1.5 hours on 2 cores (Weaviate, 100k chunks,
                                          # a 10-minute RSS run, the 2,000-page eval set built once in /tmp)
    uv run python bench/all.py --quick    # every suite's quick/short options: a smoke test (8-12 minutes on
                                          # the shared 2-core machine; the eval set's first build adds ~11)
    uv run python bench/all.py --only speed,latency

Full run: the suites write their usual files under bench/results/ (latest.json, speed.json, latency.json, ...)
and all of it is collected in bench/results/all.json. Quick run: collected in bench/results/all-quick.json;
the suites' own result files are left as the last full run wrote them (the ones a script always writes are
put back after it ran). Suites' output goes to a log file each (its folder is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PY = sys.executable


@dataclass(frozen=True)
class Step:
    argv: list[str]
    json_out: Path | None = None
    """The step writes its JSON result here (None: its stdout is the JSON, or it writes none)."""
    stdout_json: bool = False
    key: str | None = None
    """Where the step's result goes in the suite's result (None: the suite's result itself)."""


@dataclass(frozen=True)
class Suite:
    name: str
    what: str
    steps: Callable[[bool, Path], list[Step]]
    timeout_s: tuple[float, float]
    """(quick, full) seconds for the whole suite."""
    fixed_outputs: tuple[str, ...] = ()
    """Files under bench/results the script always writes: put back after a quick run."""
    full_only: bool = False


def _out(quick: bool, tmp: Path, name: str) -> Path:
    return tmp / f"{name}.json" if quick else RESULTS / f"{name}.json"


def _man_dir(quick: bool) -> Path:
    return Path(tempfile.gettempdir()) / f"autbot-bench-manbeir-{300 if quick else 2000}"


def _eval_steps(quick: bool, tmp: Path) -> list[Step]:
    data = _man_dir(quick)
    steps = []
    if not (data / "corpus.jsonl").exists():  # about 5 minutes of groff for 2,000 pages: built once, kept in /tmp
        steps.append(Step([PY, "bench/datasets/manpages.py", str(data), "--docs", "300" if quick else "2000"]))
    for mode in ("hybrid",) if quick else ("vector", "hybrid"):
        cmd = [PY, "-m", "autbot.entrypoints.cli", "eval", str(data), "--json", "--collection", "man", "--mode", mode]
        steps.append(Step(cmd, stdout_json=True, key=mode))
    return steps


SUITES: list[Suite] = [
    Suite(
        "run",
        "ingestion vs raw embedder; search p50 by corpus size and store",
        lambda q, tmp: [
            Step(
                [PY, "bench/run.py", "--quick", "--no-weaviate", "--out", str(tmp / "run.json")]
                if q
                else [PY, "bench/run.py"],
                json_out=tmp / "run.json" if q else RESULTS / "latest.json",
            )
        ],
        (300, 3600),
    ),
    Suite(
        "speed",
        "/search app vs bare, micro-batching, start-up; RSS after a load (full run only)",
        lambda q, tmp: (
            [  # the rss suite (four local-model servers under load) only in the full run: minutes of its own
                Step([PY, "bench/speed.py", "--suite", name, "--quick"], RESULTS / "speed.json")
                for name in ("overhead", "batching", "startup")
            ]
            if q
            else [Step([PY, "bench/speed.py", "--suite", "all"], RESULTS / "speed.json")]
        ),
        (420, 1800),
        fixed_outputs=("speed.json",),
    ),
    Suite(
        "overhead_http",
        "/search app vs bare handler through uvicorn, Go load generator on the other core",
        lambda q, tmp: [
            Step(
                [
                    PY,
                    "bench/overhead_http.py",
                    *(["--rounds", "2", "--seconds", "1"] if q else []),
                    "--out",
                    str(_out(q, tmp, "overhead_http")),
                ],
                _out(q, tmp, "overhead_http"),
            )
        ],
        (240, 600),
    ),
    Suite(
        "latency",
        "/query app vs bare; streaming TTFB over the model's first token (local model; llama.cpp's server)",
        lambda q, tmp: [
            Step(
                [PY, "bench/latency.py", *(["--quick"] if q else []), "--out", str(_out(q, tmp, "latency"))],
                _out(q, tmp, "latency"),
            )
        ],
        (600, 1800),
    ),
    Suite(
        "relay",
        "OpenAI-compatible relay overhead against a fake upstream",
        lambda q, tmp: [
            Step(
                [PY, "bench/relay.py", *(["--requests", "300", "--rounds", "2"] if q else ["--repeat", "3"])],
                RESULTS / "relay.json",
            )
        ],
        (240, 1200),
        fixed_outputs=("relay.json",),
    ),
    Suite(
        "parsers",
        "uvicorn's HTTP parsers, h11 vs httptools",
        lambda q, tmp: [
            Step(
                [
                    PY,
                    "bench/parsers.py",
                    *(["--requests", "300", "--rounds", "2"] if q else []),
                    "--out",
                    str(_out(q, tmp, "parsers")),
                ],
                _out(q, tmp, "parsers"),
            )
        ],
        (240, 1200),
    ),
    Suite(
        "ratelimit",
        "in-memory rate limiter, limits' storage vs InProcessRateLimiter",
        lambda q, tmp: [Step([PY, "bench/ratelimit.py", *(["--quick"] if q else [])], RESULTS / "ratelimit.json")],
        (180, 600),
        fixed_outputs=("ratelimit.json",),
    ),
    Suite(
        "observability",
        "observability on vs off; RSS over a mixed load (10 minutes in the full run)",
        lambda q, tmp: [
            Step(
                [
                    PY,
                    "bench/observability.py",
                    *(["--seconds", "3", "--warmup", "1", "--rounds", "1", "--minutes", "0.5"] if q else []),
                    "--out",
                    str(_out(q, tmp, "observability")),
                ],
                _out(q, tmp, "observability"),
            )
        ],
        (300, 1800),
    ),
    Suite(
        "answers",
        "answer quality of the default local model",
        lambda q, tmp: [
            Step([PY, "bench/answers.py", "--json", str(_out(q, tmp, "answers"))], _out(q, tmp, "answers"))
        ],
        (420, 1200),
    ),
    Suite(
        "eval",
        "autbot eval on the man-page BEIR set (300 pages quick, 2,000 full)",
        _eval_steps,
        (600, 3600),
    ),
    Suite(
        "condense",
        "condensing follow-ups (prints only)",
        lambda q, tmp: [Step([PY, "bench/condense.py"])],
        (0, 900),
        full_only=True,
    ),
    Suite(
        "tenancy",
        "Weaviate layouts (prints only)",
        lambda q, tmp: [Step([PY, "bench/tenancy.py"])],
        (0, 1800),
        full_only=True,
    ),
]


def _run_step(step: Step, log: Path, timeout_s: float, env: dict[str, str]) -> tuple[int, str]:
    """Runs one step in its own process group (killed whole on timeout); returns its exit code and stdout."""
    with log.open("ab") as err:
        err.write(f"\n$ {' '.join(step.argv)}\n".encode())
        err.flush()
        proc = subprocess.Popen(
            step.argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, start_new_session=True, text=True
        )
        try:
            out, _ = proc.communicate(timeout=max(1.0, timeout_s))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            err.write(f"\n[all.py] timed out after {timeout_s:.0f} s\n".encode())
            return 124, out or ""
    with log.open("a") as f:
        f.write(out)
    return proc.returncode, out


def run_suite(suite: Suite, quick: bool, tmp: Path, logs: Path) -> dict[str, Any]:
    saved = {name: (RESULTS / name).read_bytes() for name in suite.fixed_outputs if (RESULTS / name).exists()}
    if quick:  # a script that merges into its file must not show the last full run's figures as this run's
        for name in saved:
            (RESULTS / name).unlink()
    log = logs / f"{suite.name}.log"
    env = {**os.environ, "AUTBOT_STORAGE__DATA_DIR": tempfile.mkdtemp(prefix=f"autbot-bench-{suite.name}-")}
    started = time.perf_counter()
    budget = suite.timeout_s[0 if quick else 1]
    entry: dict[str, Any] = {"ok": True, "rc": 0, "log": str(log), "commands": []}
    result: dict[str, Any] = {}
    try:
        for step in suite.steps(quick, tmp):
            left = budget - (time.perf_counter() - started)
            entry["commands"].append(" ".join(step.argv).replace(PY, "python"))
            rc, out = _run_step(step, log, left, env)
            if rc != 0:
                entry.update(ok=False, rc=rc, error="timed out" if rc == 124 else f"exit status {rc}")
                break
            value: Any = None
            if step.stdout_json:
                value = json.loads(out[out.index("{") :])
            elif step.json_out is not None:
                value = json.loads(step.json_out.read_text())
            if value is not None:
                if step.key is None:
                    result = value
                else:
                    result[step.key] = value
    except (OSError, ValueError) as e:
        entry.update(ok=False, error=f"{type(e).__name__}: {e}")
    finally:
        if quick:
            for name in suite.fixed_outputs:
                if name in saved:
                    (RESULTS / name).write_bytes(saved[name])
                else:
                    (RESULTS / name).unlink(missing_ok=True)
    entry["seconds"] = round(time.perf_counter() - started, 1)
    entry["result"] = result
    return entry


# --- the summary table ------------------------------------------------------------------------------
def _get(res: dict[str, Any], *path: Any) -> Any:
    cur: Any = res
    for p in path:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        else:
            return None
    return cur


def _fmt(v: Any, spec: str, unit: str = "") -> str:
    return "—" if v is None else format(v, spec) + unit


def summary(suites: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(measurement, value, what it compares) rows; a failed or skipped suite's rows read '—'."""
    r = {name: s.get("result", {}) for name, s in suites.items()}
    rows: list[tuple[str, str, str]] = []
    ingest = _get(r, "run", "ingest", "ratio_ingest_vs_raw_embedder")
    rows.append(("ingestion / raw embedder", _fmt(ingest, ".2f"), "chunks/s, same chunk texts"))
    for size, stores in (_get(r, "run", "search", "sizes") or {}).items():
        for store, row in stores.items():
            rows.append(
                (
                    f"search p50, {int(size):,} chunks, {store}",
                    f"{row['p50_ms']:.2f} ms",
                    f"recall@10 {row['recall_at_10']:.3f} vs exact",
                )
            )
    search = _get(r, "speed", "overhead", "default", "ratio_app_vs_bare")
    rows.append(("/search app / bare handler", _fmt(search, ".2f"), "requests/s, fakes, raw ASGI"))
    served = _get(r, "overhead_http", "ratio_app_vs_bare")
    rows.append(("/search app / bare handler, served", _fmt(served, ".2f"), "requests/s through uvicorn, fakes"))
    query = _get(r, "latency", "query", "ratio_app_vs_bare")
    share = _get(r, "latency", "query", "http_layer_share")
    rows.append(
        ("/query app / bare handler", _fmt(query, ".2f"), f"requests/s, fakes; HTTP layer {_fmt(share, '.0%')} of it")
    )
    added = _get(r, "latency", "ttfb", "added_p50_ms")
    ttft = _get(r, "latency", "ttfb", "model_ttft_p50_ms")
    rows.append(
        (
            "stream TTFB added over the model's first token",
            _fmt(added, ".0f", " ms"),
            f"p50; model alone {_fmt(ttft, '.0f')} ms",
        )
    )
    added = _get(r, "latency", "ttfb_upstream", "added_p50_ms")
    ttft = _get(r, "latency", "ttfb_upstream", "model_ttft_p50_ms")
    rows.append(
        (
            "stream TTFB added over llama.cpp server's first token",
            _fmt(added, ".0f", " ms"),
            f"p50; server alone {_fmt(ttft, '.0f')} ms",
        )
    )
    batched = _get(r, "speed", "batching", "micro_batched_2ms", "per_s")
    raw = _get(r, "speed", "batching", "raw_concurrent", "per_s")
    ratio = batched / raw if batched and raw else None
    rows.append(("micro-batching / raw embedder, 16 clients", _fmt(ratio, ".2f"), "queries/s"))
    for name, label in (("fakes", "fakes"), ("local_models", "local models")):
        ready = _get(r, "speed", "startup", name, "ready_s")
        rss = _get(r, "speed", "startup", name, "rss_mb")
        rows.append((f"start-up to ready, {label}", _fmt(ready, ".1f", " s"), f"RSS once ready {_fmt(rss, '.0f')} MB"))
    rss_runs = _get(r, "speed", "rss") or {}
    after = next((v for k, v in rss_runs.items() if k.endswith("(defaults)")), {})  # the current defaults' row
    rows.append(
        (
            "RSS after a load, default server (local models)",
            _fmt(after.get("rss_after_query_mb"), ".0f", " MB"),
            f"peak {_fmt(after.get('peak_rss_mb'), '.0f')} MB; ingest, searches, answers",
        )
    )
    rss_max = _get(r, "observability", "rss", "rss_max_mb")
    minutes = _get(r, "observability", "rss", "minutes")
    rows.append(("RSS max under mixed load (fakes)", _fmt(rss_max, ".0f", " MB"), f"over {_fmt(minutes, 'g')} min"))
    obs = _get(r, "observability", "cost", "ratio_on_off")
    rows.append(("observability on / off", _fmt(obs, ".2f"), "requests/s, 16 clients"))
    relay = _get(r, "relay", "results", "AutBot relay", "added_p50_ms")
    rows.append(("relay added latency", _fmt(relay, ".1f", " ms"), "p50 over the upstream called directly"))
    parser = _get(r, "parsers", "results", "POST /v1/collections/kb/search", "ratio_httptools_h11", "requests_per_s")
    rows.append(("HTTP parser httptools / h11", _fmt(parser, ".2f"), "requests/s, /search"))
    per_hit = {
        (x["strategy"], x["callers"], x["variant"][:6]): x["cpu_us_per_hit"] for x in _get(r, "ratelimit", "rows") or []
    }
    old, new = per_hit.get(("moving-window", 1000, "limits")), per_hit.get(("moving-window", 1000, "InProc"))
    rows.append(
        (
            "rate limiter old / new CPU per hit",
            _fmt(old / new if old and new else None, ".1f"),
            "moving window, 1,000 callers",
        )
    )
    for part in ("fictional", "basic"):
        right, n = _get(r, "answers", f"{part}_right"), _get(r, "answers", f"{part}_questions")
        rows.append((f"answers right, {part} facts", "—" if right is None else f"{right}/{n}", "default local model"))
    for mode, rep in (r.get("eval") or {}).items():
        ndcg = _get(rep, "quality", "ndcg_at_10")
        rows.append((f"eval NDCG@10, {mode}", _fmt(ndcg, ".4f"), f"man pages, {_get(rep, 'documents')} documents"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each suite's quick/short options")
    parser.add_argument("--only", help="comma-separated suite names: " + ", ".join(s.name for s in SUITES))
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    tmp = Path(tempfile.mkdtemp(prefix="autbot-bench-all-"))
    logs = tmp / "logs"
    logs.mkdir()
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "quick": args.quick,
        "load_average_at_start": os.getloadavg(),
        "suites": {},
    }
    started = time.perf_counter()
    print(f"logs: {logs}", flush=True)
    for suite in SUITES:
        if (only and suite.name not in only) or (args.quick and suite.full_only):
            continue
        print(f"[{time.perf_counter() - started:6.0f} s] {suite.name}: {suite.what} ...", flush=True)
        entry = run_suite(suite, args.quick, tmp, logs)
        report["suites"][suite.name] = entry
        state = "ok" if entry["ok"] else f"FAILED ({entry.get('error')}; see {entry['log']})"
        print(f"          {suite.name}: {state} in {entry['seconds']:.0f} s", flush=True)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["load_average_at_end"] = os.getloadavg()
    try:
        report["summary"] = summary(report["suites"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:  # a suite's JSON changed shape
        report["summary"] = [("summary failed", f"{type(e).__name__}: {e}", "")]
    out = RESULTS / ("all-quick.json" if args.quick else "all.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"\n{'quick run' if args.quick else 'full run'}: {report['seconds'] / 60:.1f} min; written: {out}\n")
    print("| measurement | value | against |\n|---|---:|---|")
    for row in report["summary"]:
        print(f"| {' | '.join(row)} |")
    failed = [n for n, s in report["suites"].items() if not s["ok"]]
    print(f"\nfailed: {', '.join(failed)}" if failed else "\nevery suite finished")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
