"""A real OpenAI-compatible HTTP server for tests and demos: llama.cpp's server (through xllamacpp)
serving the same SmolLM2 GGUF on 127.0.0.1.

    uv run python -m tests.support.openai_server --port 8081

``launch`` starts it in a process of its own on a free port (the tests' fixture and
``bench/perf/stream_first_token.py``).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from pathlib import Path


def launch(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """This server in its own process on a free loopback port, once it answers: (process, its /v1 base URL).
    Its output goes to ``log``; the caller stops it (``tests.support.processes.stop``)."""
    from tests.support.processes import ROOT, free_port, stop, wait_http

    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.openai_server", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=str(ROOT),
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models", timeout=120, proc=proc, log=log)
    except BaseException:
        stop(proc)
        raise
    return proc, f"http://127.0.0.1:{port}/v1"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=2)
    args = parser.parse_args()

    import xllamacpp

    from autbot.adapters.llm.llamacpp import default_model_path

    params = xllamacpp.CommonParams()
    params.model.path = str(default_model_path())
    params.model_alias = "smollm2"
    params.port = args.port
    params.n_parallel = args.parallel
    params.n_ctx = 2048 * args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.warmup = False
    params.verbosity = -1
    server = xllamacpp.Server(params)
    print(f"serving OpenAI-compatible API at {server.listening_address}/v1", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
