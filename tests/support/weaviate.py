"""A real Weaviate (single node or a 3-node cluster) on loopback, through scripts/weaviate.sh."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.support.processes import ROOT

SCRIPT = ROOT / "scripts" / "weaviate.sh"


class WeaviateNodes:
    """Nodes of one cluster; node i answers HTTP on ``port_base + i``, gRPC on ``50051 + offset + i``."""

    def __init__(self, run_dir: Path, *, port_base: int, nodes: int = 1) -> None:
        self.run_dir = run_dir
        self.port_base = port_base
        self.nodes = nodes
        self.env = {**os.environ, "WEAVIATE_RUN_DIR": str(run_dir), "WEAVIATE_PORT_BASE": str(port_base)}

    def _script(self, *args: str, timeout: float = 900) -> None:
        subprocess.run(["bash", str(SCRIPT), *args], env=self.env, check=True, timeout=timeout)

    def start(self) -> WeaviateNodes:
        if self.nodes == 1:
            self._script("start", "0", "1")
        else:
            self._script("cluster-start", str(self.nodes))
        return self

    def start_node(self, node: int) -> None:
        self._script("start", str(node), str(self.nodes))

    def stop(self) -> None:
        self._script("cluster-stop", timeout=120)

    def kill(self, node: int) -> None:
        """SIGKILL one node, as a crash would."""
        pid = int((self.run_dir / f"node{node}.pid").read_text())
        os.kill(pid, signal.SIGKILL)

    def http_port(self, node: int = 0) -> int:
        return self.port_base + node

    def grpc_port(self, node: int = 0) -> int:
        return 50051 + (self.port_base - 8080) + node

    def settings(self, node: int = 0, **extra: object) -> dict[str, object]:
        return {
            "http_host": "127.0.0.1",
            "http_port": self.http_port(node),
            "grpc_host": "127.0.0.1",
            "grpc_port": self.grpc_port(node),
            **extra,
        }

    def env_overrides(self, node: int = 0) -> dict[str, str]:
        return {
            "AUTBOT_INDEX__BACKEND": "weaviate",
            "AUTBOT_INDEX__WEAVIATE__HTTP_PORT": str(self.http_port(node)),
            "AUTBOT_INDEX__WEAVIATE__GRPC_PORT": str(self.grpc_port(node)),
        }
