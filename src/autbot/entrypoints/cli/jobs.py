"""``ingest`` as a job and ``jobs list|show|cancel|follow``: a thin client of the public jobs API.

Only httpx, tqdm and the standard library (like :mod:`.client`). ``ingest`` uploads the files as one job (several
when they are larger together than one request may be), then follows them with a progress bar; Ctrl-C stops
following, never the job.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autbot.entrypoints.cli.client import _auth, _files, _problem

MAX_JOB_UPLOAD_BYTES = 32 * 1024 * 1024
"""Files are sent in jobs of at most this many bytes together (below the server's default request size)."""
POLL_S = 0.5
ENDED = ("succeeded", "failed", "cancelled")


def ingest(args: argparse.Namespace) -> int:
    import httpx

    files = list(_files(args.paths))
    if not files:
        print("autbot: no supported files found", file=sys.stderr)
        return 1
    extra = {"metadata": args.metadata} if args.metadata else {}
    if args.embedder:
        extra["embedder"] = args.embedder
    base = args.url.rstrip("/")
    with httpx.Client(base_url=base, timeout=args.timeout, headers=_auth(args)) as http:
        job_ids: list[str] = []
        for group in _groups(files):
            parts = [("files", (p.name, p.read_bytes())) for p in group]
            try:
                r = http.post(f"/v1/collections/{args.collection}/jobs", files=parts, data=extra)
            except httpx.HTTPError as e:
                print(f"autbot: cannot reach {args.url}: {e}", file=sys.stderr)
                return 2
            if r.status_code != 202:
                print(f"autbot: {_problem(r)}", file=sys.stderr)
                return 1
            job_ids.append(r.json()["id"])
        print(f"Submitted {' '.join(job_ids)}", file=sys.stderr)
        jobs = _follow(http, job_ids)
    if jobs is None:
        return 130
    return _report(jobs, f"{len(files)} files into '{args.collection}'")


def _groups(files: list[Path]) -> Iterator[list[Path]]:
    group: list[Path] = []
    size = 0
    for path in files:
        n = path.stat().st_size
        if group and size + n > MAX_JOB_UPLOAD_BYTES:
            yield group
            group, size = [], 0
        group.append(path)
        size += n
    if group:
        yield group


def _follow(http: Any, job_ids: list[str]) -> list[dict[str, Any]] | None:
    """Poll the jobs until they end, with one progress bar; None if interrupted (the jobs go on)."""
    from tqdm import tqdm

    jobs = [_get(http, j) for j in job_ids]
    bar = tqdm(total=sum(j["counts"]["total"] for j in jobs), unit="doc", file=sys.stderr)
    try:
        while True:
            done = sum(j["counts"]["done"] for j in jobs)
            bar.update(done - bar.n)
            rate = sum(j["chunks_per_s"] for j in jobs if j["state"] == "running")
            etas = [j["eta_s"] for j in jobs if j["eta_s"] is not None]
            bar.set_postfix_str(f"{rate:.1f} chunks/s" + (f", ETA {max(etas):.0f} s" if etas else ""))
            if all(j["state"] in ENDED for j in jobs):
                return jobs
            time.sleep(POLL_S)
            jobs = [j if j["state"] in ENDED else _get(http, j["id"]) for j in jobs]
    except KeyboardInterrupt:
        bar.close()
        ids = " ".join(job_ids)
        print(
            f"\nStopped following; the job goes on on the server. Follow it: autbot jobs follow {ids}", file=sys.stderr
        )
        return None
    finally:
        bar.close()


def _get(http: Any, job_id: str, failures: int = 500) -> dict[str, Any]:
    r = http.get(f"/v1/jobs/{job_id}", params={"failures_limit": failures})
    if r.status_code != 200:
        raise SystemExit(f"autbot: {_problem(r)}")
    body: dict[str, Any] = r.json()
    return body


def _report(jobs: list[dict[str, Any]], what: str) -> int:
    total: dict[str, int] = {}
    for j in jobs:
        for k, v in j["counts"].items():
            total[k] = total.get(k, 0) + v
        for f in j.get("failures") or []:
            print(f"failed  {f['item']}: {f['code']}: {f['message']}", file=sys.stderr)
        if (j.get("failures_total") or 0) > len(j.get("failures") or []):
            print(f"(more failures: autbot jobs show {j['id']})", file=sys.stderr)
        if j["state"] != "succeeded":
            print(f"job {j['id']} {j['state']}" + (f": {j['error']}" if j.get("error") else ""), file=sys.stderr)
    keys = ("created", "updated", "unchanged", "failed", "skipped")
    summary = ", ".join(f"{total[k]} {k}" for k in keys if total.get(k))
    print(f"{what}: {summary or 'nothing'}; {total.get('chunks', 0)} chunks")
    return 0 if all(j["state"] == "succeeded" and not j["counts"]["failed"] for j in jobs) else 1


# --- autbot jobs ... ------------------------------------------------------------------------------------------
def add_parser(sub: Any, client_flags: Any) -> None:
    jobs = sub.add_parser("jobs", help="list, show, cancel or follow ingestion jobs")
    actions = jobs.add_subparsers(required=True, metavar="ACTION")
    listing = client_flags(actions.add_parser("list", help="jobs, newest first"))
    listing.add_argument("--collection", "-c")
    listing.add_argument("--state", choices=["queued", "running", "succeeded", "failed", "cancelled"])
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=list_jobs)
    for name, func, help_ in (
        ("show", show, "one job: counts, throughput, failures"),
        ("cancel", cancel, "cancel a job (committed documents stay)"),
        ("follow", follow, "follow jobs with a progress bar until they end"),
    ):
        c = client_flags(actions.add_parser(name, help=help_))
        c.add_argument("job_ids", nargs="+" if name == "follow" else 1, metavar="JOB_ID")
        if name == "show":
            c.add_argument("--json", action="store_true")
        c.set_defaults(func=func)


def _client(args: argparse.Namespace) -> Any:
    import httpx

    return httpx.Client(base_url=args.url.rstrip("/"), timeout=args.timeout, headers=_auth(args))


def list_jobs(args: argparse.Namespace) -> int:
    params = {k: v for k, v in (("collection", args.collection), ("state", args.state)) if v}
    with _client(args) as http:
        r = http.get("/v1/jobs", params=params)
    if r.status_code != 200:
        print(f"autbot: {_problem(r)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(r.json(), indent=2))
        return 0
    for j in r.json()["jobs"]:
        c = j["counts"]
        print(f"{j['id']}  {j['state']:<9}  {j['collection']:<20}  {c['done']}/{c['total']} docs  {c['failed']} failed")
    return 0


def show(args: argparse.Namespace) -> int:
    with _client(args) as http:
        j = _get(http, args.job_ids[0])
    if args.json:
        print(json.dumps(j, indent=2))
        return 0
    c = j["counts"]
    print(f"{j['id']}  {j['state']}  collection {j['collection']}  owner {j['owner']}")
    print(f"  documents {c['done']}/{c['total']}: {c['created']} created, {c['updated']} updated, ", end="")
    print(f"{c['unchanged']} unchanged, {c['failed']} failed, {c['skipped']} skipped; {c['chunks']} chunks")
    print(
        f"  {j['documents_per_s']} docs/s, {j['chunks_per_s']} chunks/s"
        + (f", ETA {j['eta_s']} s" if j["eta_s"] else "")
    )
    if j.get("error"):
        print(f"  error: {j['error']}")
    for f in j.get("failures") or []:
        print(f"  failed  {f['item']}: {f['code']}: {f['message']}")
    return 0


def cancel(args: argparse.Namespace) -> int:
    with _client(args) as http:
        r = http.delete(f"/v1/jobs/{args.job_ids[0]}")
    if r.status_code != 200:
        print(f"autbot: {_problem(r)}", file=sys.stderr)
        return 1
    j = r.json()
    print(f"{j['id']} {j['state']}" + (" (stops before its next batch)" if j["state"] == "running" else ""))
    return 0


def follow(args: argparse.Namespace) -> int:
    with _client(args) as http:
        jobs = _follow(http, list(args.job_ids))
    return 130 if jobs is None else _report(jobs, f"{len(jobs)} jobs")
