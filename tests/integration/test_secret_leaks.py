"""Secrets never leave the process: canary values in both secret stores and in a credentialed URL must not
appear in any response (bodies and headers), in the logs (DEBUG) or in ``autbot config``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.processes import AutbotServer, free_port

pytestmark = pytest.mark.slow

CANARIES = {
    "env_key": "sk-canary-env-3b9e61d0c4",
    "file_key": "sk-canary-file-58a7f2e1b6",
    "url_password": "canary-url-pw-c7d24e",
    "required": "canary-required-token-91f0",
}


def base_env(tmp_path: Path) -> dict[str, str]:
    dead = free_port()  # nothing listens there: every model call fails, and says where it tried
    return {
        "AUTBOT_EMBEDDER__BACKEND": "hashing",
        "AUTBOT_INDEX__BACKEND": "memory",
        "AUTBOT_AUTH__KEYS_BACKEND": "memory",
        "AUTBOT_LLM__BACKEND": "openai",
        "AUTBOT_LLM__OPENAI__BASE_URL": f"http://canary-user:{CANARIES['url_password']}@127.0.0.1:{dead}/v1",
        "AUTBOT_LLM__OPENAI__MAX_RETRIES": "0",
        "AUTBOT_LLM__MIN_VECTOR_SCORE": "-1",
        "AUTBOT_LOGGING__LEVEL": "DEBUG",
        "AUTBOT_SECRETS__REQUIRED": '["hook_token"]',
    }


def drive(url: str) -> list[str]:
    """Every kind of request, successful and failing; returns what the client saw (headers and bodies)."""
    seen: list[str] = []
    with httpx.Client(base_url=url, timeout=60) as c:
        responses = [
            c.post("/v1/collections/kb/documents", json={"documents": [{"id": "d", "text": "The sky is blue."}]}),
            c.post("/v1/collections/kb/files", files=[("files", ("n.txt", b"Grass is green.", "text/plain"))]),
            c.post("/v1/collections/kb/search", json={"query": "sky"}),
            c.post("/v1/collections/kb/query", json={"question": "What colour is the sky?"}),
            c.post("/v1/collections/kb/query", json={"question": "What colour is the sky?", "stream": True}),
            c.get("/ready"),
            c.get("/health"),
            c.get("/schema/openapi.json"),
            c.get("/schema"),
            c.post("/v1/collections/kb/search", content=b"{bad json", headers={"content-type": "application/json"}),
            c.post("/v1/collections/kb/search", content=b"{}", headers={"content-type": "text/plain"}),
            c.post("/v1/collections/nope/search", json={"query": "x"}),
            c.get("/v1/collections/kb/documents/missing"),
            c.put("/health"),
            c.get("/v1/collections", headers={"Host": "evil.example"}),
            c.post(
                "/v1/collections/kb/files",
                files=[("files", ("x.txt", b"x", "text/plain"))],
                headers={"Origin": "https://e.example"},
            ),
            c.get("/v1/collections", headers={"Authorization": "Bearer abk_notakey"}),
        ]
        statuses = [r.status_code for r in responses]
        assert statuses[3] == 503, responses[3].text
        assert responses[3].json()["code"] == "llm_unavailable"
        assert statuses[5] == 503, responses[5].text  # /ready: the model endpoint is down
        for r in responses:
            seen.append(f"{r.status_code} {r.headers!r}\n{r.text}")
    return seen


def assert_no_canary(texts: dict[str, str]) -> None:
    for where, text in texts.items():
        for name, canary in CANARIES.items():
            assert canary not in text, f"the {name} canary leaked into {where}"


def run_and_stop(server: AutbotServer) -> list[str]:
    server.start()
    try:
        seen = drive(server.url)
        assert server.proc is not None
        server.proc.send_signal(signal.SIGHUP)  # secrets re-read: logged, and the server keeps serving
        with httpx.Client(base_url=server.url, timeout=30) as c:
            assert c.get("/health").status_code == 200
    finally:
        server.stop()
    return seen


def test_env_store_canaries_never_leak(tmp_path: Path) -> None:
    env = {
        **base_env(tmp_path),
        "AUTBOT_SECRET_OPENAI_API_KEY": CANARIES["env_key"],
        "AUTBOT_SECRET_HOOK_TOKEN": CANARIES["required"],
    }
    server = AutbotServer(tmp_path / "data", env=env)
    seen = run_and_stop(server)
    log = server.log.read_text(errors="replace")
    assert "http://***@127.0.0.1" in "\n".join(seen)  # the endpoint is named, without its credentials
    config = subprocess.run(
        [sys.executable, "-m", "autbot.entrypoints.cli", "config", "--json"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert config.returncode == 0, config.stderr
    assert json.loads(config.stdout)["secrets.required"]["value"] == ["hook_token"]
    assert_no_canary({"responses": "\n".join(seen), "logs": log, "config": config.stdout + config.stderr})


def test_file_store_canaries_never_leak(tmp_path: Path) -> None:
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "openai_api_key").write_text(CANARIES["file_key"] + "\n")
    (secrets_dir / "hook_token").write_text(CANARIES["required"] + "\n")
    env = {
        **base_env(tmp_path),
        "AUTBOT_SECRETS__BACKEND": "file",
        "AUTBOT_SECRETS__DIRECTORY": str(secrets_dir),
    }
    server = AutbotServer(tmp_path / "data", env=env)
    seen = run_and_stop(server)
    assert_no_canary({"responses": "\n".join(seen), "logs": server.log.read_text(errors="replace")})


def test_a_missing_required_secret_stops_start_up_naming_it(tmp_path: Path) -> None:
    env = {**os.environ, **base_env(tmp_path), "AUTBOT_SECRET_OPENAI_API_KEY": CANARIES["env_key"]}
    env.pop("AUTBOT_SECRET_HOOK_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", "autbot.entrypoints.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "hook_token" in done.stderr
    assert "AUTBOT_SECRET_HOOK_TOKEN" in done.stderr
    assert_no_canary({"output": done.stdout + done.stderr})
