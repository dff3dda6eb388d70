"""schemathesis against a real ``autbot serve`` (fake adapters): no request it generates gets a 5xx, and every
response's status, media type, headers and body are the ones the OpenAPI document declares.

Bounded: ``AUTBOT_SCHEMATHESIS_MAX_EXAMPLES`` cases per operation (default 20) and
``AUTBOT_SCHEMATHESIS_MAX_TIME`` seconds (default 60). With ``AUTBOT_TEST_API_KEY`` set, every request
carries it (``Authorization: Bearer``), for a server that requires keys.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.processes import AutbotServer

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).with_name("schemathesis.toml")
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]
FAKES = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",
    "AUTBOT_INDEX__BACKEND": "memory",
    "AUTBOT_LLM__BACKEND": "fake",
    "AUTBOT_LLM__MIN_VECTOR_SCORE": "-1",
    "AUTBOT_AUTH__KEYS_BACKEND": "memory",
    "AUTBOT_LIMITS__ENABLED": "false",
}


def test_the_api_conforms_to_its_openapi_document(tmp_path: Path) -> None:
    key = os.environ.get("AUTBOT_TEST_API_KEY")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    server = AutbotServer(tmp_path / "data", env=FAKES).start()
    try:
        seed = {
            "documents": [
                {"id": "eiffel", "text": "The Eiffel Tower is 330 metres tall.", "metadata": {"lang": "en"}},
                {"id": "moon", "text": "The Moon orbits the Earth.", "metadata": {"lang": "en"}},
            ]
        }
        r = httpx.post(f"{server.url}/v1/collections/kb/documents", json=seed, headers=headers, timeout=60)
        assert r.status_code == 201, r.text
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(CONFIG),
            "run",
            f"{server.url}/schema/openapi.json",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            os.environ.get("AUTBOT_SCHEMATHESIS_MAX_EXAMPLES", "20"),
            "--max-time",
            os.environ.get("AUTBOT_SCHEMATHESIS_MAX_TIME", "60"),
            "--seed",
            "20261127",
            "--request-timeout",
            "30",
            "--workers",
            "1",
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path / "report"),
        ]
        for name, value in headers.items():
            command += ["--header", f"{name}: {value}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-12000:] + done.stderr[-3000:]
    finally:
        server.stop()
