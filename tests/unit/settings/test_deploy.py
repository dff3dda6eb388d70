"""The container image and deployment manifests, checked statically (no container engine or cluster here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autbot.entrypoints.settings import load_settings
from tests.support.processes import ROOT

BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=str(ROOT))


def test_containerfile_passes_hadolint() -> None:
    done = run(str(BIN / "hadolint"), "Containerfile")
    assert done.returncode == 0, done.stdout + done.stderr
    text = (ROOT / "Containerfile").read_text()
    assert text.count("\nFROM ") == 2  # multi-stage: build, runtime
    runtime = text.split("AS runtime", 1)[1]
    assert "USER 10001" in runtime
    assert "uv" not in runtime.replace("--uid", "")  # no build tools in the final stage


def test_kubernetes_manifests_are_valid() -> None:
    manifests = sorted(str(p) for p in (ROOT / "deploy" / "k8s").glob("*.yaml"))
    assert len(manifests) >= 5
    done = run(str(BIN / "kubernetes-validate"), "--strict", *manifests)
    assert done.returncode == 0, done.stdout + done.stderr
    kinds = {yaml.safe_load(Path(m).read_text())["kind"] for m in manifests}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret"} <= kinds


def test_compose_file_follows_the_compose_spec() -> None:
    done = run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "deploy/compose.yaml")
    assert done.returncode == 0, done.stdout + done.stderr


def _autbot_env_of_manifests() -> list[dict[str, str]]:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    envs = [dict(compose["x-autbot"]["environment"])]
    for name in ("deployment.yaml", "worker.yaml"):
        deployment = yaml.safe_load((ROOT / "deploy" / "k8s" / name).read_text())
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        envs.append({e["name"]: e["value"] for e in container["env"]})
    return envs


def test_the_worker_services_run_autbot_worker_on_redis_jobs() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    assert compose["services"]["worker"]["command"][0] == "worker"
    worker = yaml.safe_load((ROOT / "deploy" / "k8s" / "worker.yaml").read_text())
    assert worker["spec"]["template"]["spec"]["containers"][0]["args"][0] == "worker"
    hpa = yaml.safe_load((ROOT / "deploy" / "k8s" / "worker-hpa.yaml").read_text())
    assert hpa["spec"]["metrics"][0]["external"]["metric"]["name"] == "autbot_jobs_queued"
    settings = load_settings(env=_autbot_env_of_manifests()[-1])
    assert (settings.jobs.backend, settings.jobs.workers) == ("redis", 0)


@pytest.mark.parametrize("env", _autbot_env_of_manifests(), ids=["compose", "kubernetes", "kubernetes-worker"])
def test_manifests_name_only_real_settings(env: dict[str, str]) -> None:
    """Every AUTBOT_* variable the manifests set is a valid setting of the profile they use."""
    settings = load_settings(env=env)
    assert settings.profile == "production"
    assert settings.index.backend == "weaviate"
    assert set(settings.server.allowed_hosts) - {"localhost", "127.0.0.1"}  # names a remote client uses


def test_probes_and_shutdown_fit_together() -> None:
    deployment = yaml.safe_load((ROOT / "deploy" / "k8s" / "deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    env = {e["name"]: e["value"] for e in container["env"]}
    grace, delay = float(env["AUTBOT_SERVER__SHUTDOWN_GRACE_S"]), float(env["AUTBOT_SERVER__SHUTDOWN_DELAY_S"])
    sleep = re.fullmatch(r"import time; time\.sleep\((\d+)\)", container["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert sleep is not None
    pre_stop = int(sleep.group(1))
    # the kubelet's grace counts from the preStop hook: it never kills a clean shutdown
    assert pod["terminationGracePeriodSeconds"] > pre_stop + delay + grace


@pytest.mark.slow
def test_the_image_install_steps_give_a_working_server(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "image-check.sh"), str(tmp_path / "image")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "image-check: ok" in done.stdout
