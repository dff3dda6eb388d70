"""The worker manifests serve and point at the same metrics port: ``--metrics-port``, the container port, the
scrape annotation, and the compose service's exposed port."""

from __future__ import annotations

from typing import Any

import yaml

from tests.support.processes import ROOT


def _port_after_flag(args: list[str]) -> str:
    return args[args.index("--metrics-port") + 1]


def test_kubernetes_workers_expose_the_port_they_serve_metrics_on() -> None:
    manifest: Any = yaml.safe_load((ROOT / "deploy" / "k8s" / "worker.yaml").read_text())
    pod = manifest["spec"]["template"]
    container = pod["spec"]["containers"][0]
    port = _port_after_flag(container["args"])
    assert [p["containerPort"] for p in container["ports"] if p["name"] == "metrics"] == [int(port)]
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == port


def test_compose_workers_serve_metrics_inside_the_network_only() -> None:
    compose: Any = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    worker = compose["services"]["worker"]
    assert worker["expose"] == [_port_after_flag(worker["command"])]
    assert "ports" not in worker
