"""A real Weaviate (single node or a cluster) on loopback, through scripts/weaviate.sh, every port picked free."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import ROOT, free_port

SCRIPT = ROOT / "scripts" / "weaviate.sh"


@dataclass(frozen=True)
class NodePorts:
    """What one node binds. Weaviate's local-cluster convention puts the data (cluster API) port right after the
    gossip port and the Raft internal RPC port right after the Raft port, so those two come in adjacent pairs."""

    http: int
    grpc: int
    gossip: int
    raft: int

    @classmethod
    def pick(cls, taken: set[int]) -> NodePorts:
        def take(span: int = 1) -> int:
            port = free_port(span=span, avoid=taken)
            taken.update(range(port, port + span))
            return port

        return cls(http=take(), grpc=take(), gossip=take(2), raft=take(2))

    def script_env(self) -> str:
        """The value of WEAVIATE_NODE<i>_PORTS for scripts/weaviate.sh."""
        return f"{self.http} {self.grpc} {self.gossip} {self.raft}"


class WeaviateNodes:
    """Nodes of one cluster on free loopback ports, so two test runs on one machine never collide."""

    def __init__(self, run_dir: Path, *, nodes: int = 1) -> None:
        self.run_dir = run_dir
        self.nodes = nodes
        taken: set[int] = set()
        self.ports = [NodePorts.pick(taken) for _ in range(nodes)]
        self.env = {
            **os.environ,
            "WEAVIATE_RUN_DIR": str(run_dir),
            **{f"WEAVIATE_NODE{i}_PORTS": p.script_env() for i, p in enumerate(self.ports)},
        }

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
        return self.ports[node].http

    def grpc_port(self, node: int = 0) -> int:
        return self.ports[node].grpc

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
