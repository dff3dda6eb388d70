"""The web page at / and the offline OpenAPI pages, in process: served with their policies, every asset
they reference answers 200 from this server, and nothing points at another host."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from autbot.entrypoints.http.app import create_app
from autbot.entrypoints.http.web import PAGE_CSP
from autbot.entrypoints.settings import load_settings
from tests.support.http import loopback_client

FAKES: dict[str, Any] = {
    "embedder": {"backend": "hashing"},
    "index": {"backend": "memory"},
    "llm": {"backend": "fake"},
    "auth": {"keys_backend": "memory"},
}
REFERENCES = re.compile(r"""(?:src|href)=["']([^"']+)["']|(?:from|import)\s+["']([^"']+)["']""")
EXTERNAL = re.compile(r"""["'(](?:https?:)?//[a-z0-9.-]+""", re.IGNORECASE)


@pytest.fixture
def client() -> Iterator[TestClient]:  # type: ignore[type-arg]
    settings = load_settings("local", env={}, overrides={**FAKES, "auth": {"keys_backend": "memory", "required": True}})
    with loopback_client(create_app(settings)) as c:
        yield c


def references(text: str) -> list[str]:
    return [a or b for a, b in REFERENCES.findall(text)]


def test_the_page_is_served_with_its_strict_policy_and_needs_no_key(client: TestClient) -> None:  # type: ignore[type-arg]
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert csp == PAGE_CSP
    script_src = csp.split("script-src", 1)[1].split(";", 1)[0]
    assert script_src.strip() == "'self'"  # no inline script, no other host
    assert "connect-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in r.text  # every script is a file
    assert client.get("/v1/collections").status_code == 401  # the API still needs the key the page asks for


def test_every_asset_the_page_references_is_served_from_here(client: TestClient) -> None:  # type: ignore[type-arg]
    pending, seen = ["/"], set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        r = client.get(path)
        assert r.status_code == 200, path
        if path.endswith(".js"):
            assert "javascript" in r.headers["content-type"], path  # module scripts need a JavaScript type
        assert not EXTERNAL.search(r.text), path
        for ref in references(r.text):
            if ref.startswith(("data:", "#", "/schema")):
                continue
            pending.append(ref if ref.startswith("/") else "/web/" + ref.removeprefix("./"))
    assert {"/web/app.js", "/web/api.js", "/web/app.css"} <= seen


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
def test_the_docs_pages_load_only_from_this_server(client: TestClient, path: str) -> None:  # type: ignore[type-arg]
    r = client.get(path)
    assert r.status_code == 200
    assert not EXTERNAL.search(r.text), r.text
    assert "<script>" not in r.text
    csp = r.headers["content-security-policy"]
    assert csp.split("script-src", 1)[1].split(";", 1)[0].strip() == "'self'"
    assert "http" not in csp  # no other host anywhere in the policy
    refs = [ref for ref in references(r.text) if not ref.startswith("data:")]
    assert len(refs) >= 4
    for ref in refs:
        assert ref.startswith("/schema/assets/"), ref
        assert client.get(ref).status_code == 200, ref
    spec = r.text.split('data-spec-url="', 1)[1].split('"', 1)[0]
    assert client.get(spec).json()["info"]["title"] == "AutBot"
