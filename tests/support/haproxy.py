"""A real HAProxy (Debian's) on a free loopback port, running ``deploy/haproxy.cfg`` itself, for tests.

The deployment's file is used as it is: its ``${NAME-default}`` variables get loopback addresses, and a second
file adds a statistics page on another free port (``status``: what the balancer thinks of each server)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support.processes import ROOT, free_port, stop, wait_http

CONFIG = ROOT / "deploy" / "haproxy.cfg"
BACKEND = "autbot"
SERVERS = ("autbot-1", "autbot-2")
STATS = """
frontend stats
    bind 127.0.0.1:{port}
    stats enable
    stats uri /stats
"""


class HAProxy:
    def __init__(self, directory: Path, upstreams: list[str]) -> None:
        if len(upstreams) != len(SERVERS):
            raise ValueError(f"deploy/haproxy.cfg names {len(SERVERS)} servers")
        self.directory = directory
        self.port = free_port()
        self.stats_port = free_port(avoid={self.port})
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / "haproxy.log"
        self.env = {
            **os.environ,
            "AUTBOT_LB_BIND": f"127.0.0.1:{self.port}",
            "AUTBOT_LB_DNS": "127.0.0.1:53",  # never asked: the servers are addresses, not names
            **{f"AUTBOT_{i + 1}_ADDR": upstream for i, upstream in enumerate(upstreams)},
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> HAProxy:
        exe = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(exe).exists():
            raise RuntimeError("haproxy is not installed (apt-get install haproxy; .ci/run does it)")
        self.directory.mkdir(parents=True, exist_ok=True)
        stats = self.directory / "stats.cfg"
        stats.write_text(STATS.format(port=self.stats_port))
        with self.log.open("wb") as out:  # -db: foreground, logs on stdout
            self.proc = subprocess.Popen(
                [exe, "-db", "-f", str(CONFIG), "-f", str(stats)], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        wait_http(f"http://127.0.0.1:{self.stats_port}/stats", timeout=20, proc=self.proc, log=self.log)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def _rows(self) -> list[dict[str, str]]:
        text = httpx.get(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=5).text.lstrip("# ")
        return list(csv.DictReader(io.StringIO(text)))

    def servers(self) -> dict[str, dict[str, str]]:
        """HAProxy's statistics row of each server (``status``: UP, DOWN, ``UP 1/2`` going down, ...)."""
        return {r["svname"]: r for r in self._rows() if r["pxname"] == BACKEND and r["svname"] in SERVERS}

    def frontend(self) -> dict[str, str]:
        """The statistics row of the clients' side (``hrsp_5xx``: answers of 500 and above it gave them)."""
        return next(r for r in self._rows() if r["pxname"] == BACKEND and r["svname"] == "FRONTEND")

    def status(self, server: str) -> str:
        return self.servers()[server]["status"]

    def wait_up(self, server: str, *, timeout: float = 120.0) -> None:
        """Until HAProxy sends ``server`` requests again (``UP``: its checks passed ``rise`` times)."""
        self._wait(server, lambda status: status == "UP", "UP", timeout)

    def wait_down(self, server: str, *, timeout: float = 60.0) -> None:
        """Until HAProxy sends ``server`` nothing new (``DOWN``: its checks failed ``fall`` times)."""
        self._wait(server, lambda status: status.startswith("DOWN"), "DOWN", timeout)

    def _wait(self, server: str, ok: Callable[[str], bool], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ok(self.status(server)):
                return
            time.sleep(0.05)
        raise TimeoutError(f"HAProxy never marked {server} {what} (now {self.status(server)})")
