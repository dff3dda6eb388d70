"""Start-up imports only what the configured backends need (each check in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import msgspec
from litestar import post
from litestar.params import JSONBody
from litestar.testing import TestClient

from autbot.entrypoints.http.lean import LeanLitestar


def _modules_after(code: str) -> set[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_container_imports_dependency_injector_without_its_optional_integrations() -> None:
    loaded = _modules_after("import autbot.entrypoints.bootstrap.container")
    assert "dependency_injector" in loaded
    assert not loaded & {"pydantic", "pydantic_settings", "werkzeug"}


def test_the_hidden_packages_stay_importable_afterwards() -> None:
    loaded = _modules_after("import autbot.entrypoints.bootstrap.injection\nimport pydantic_settings, werkzeug")
    assert {"pydantic_settings", "pydantic", "werkzeug"} <= loaded


def test_the_lean_app_adds_neither_the_pydantic_nor_the_attrs_plugin() -> None:
    code = (
        "from litestar import get\nfrom autbot.entrypoints.http.lean import LeanLitestar\n"
        "@get('/')\nasync def root() -> dict[str, int]:\n    return {'a': 1}\n"
        "LeanLitestar(route_handlers=[root])"
    )
    assert not _modules_after(code) & {"pydantic", "attr"}


class Body(msgspec.Struct):
    n: int


def test_the_lean_app_still_decodes_and_validates_msgspec_bodies() -> None:
    @post("/double", status_code=200)
    async def double(data: JSONBody[Body]) -> Body:
        return Body(n=data.n * 2)

    with TestClient(LeanLitestar(route_handlers=[double])) as client:
        assert client.post("/double", json={"n": 21}).json() == {"n": 42}
        assert client.post("/double", json={"n": "x"}).status_code == 400
        assert json.loads(client.get("/schema/openapi.json").text)["paths"]["/double"]
