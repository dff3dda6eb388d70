"""The web page at / and the offline OpenAPI pages, in process: served with their policies, every asset
they reference answers 200 from this server, and nothing points at another host."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from autbot.entrypoints.http.web.routes import PAGE_CSP, WEB_DIR
from tests.support.app_client import AppClient, app_client, fake_settings

REFERENCES = re.compile(r"""(?:src|href)=["']([^"']+)["']|(?:from|import)\s+["']([^"']+)["']""")
EXTERNAL = re.compile(r"""["'(](?:https?:)?//[a-z0-9.-]+""", re.IGNORECASE)


@pytest.fixture
def client() -> Iterator[AppClient]:
    with app_client(fake_settings(auth={"required": True})) as c:
        yield c


def references(text: str) -> list[str]:
    return [a or b for a, b in REFERENCES.findall(text)]


def test_the_page_is_served_with_its_strict_policy_and_needs_no_key(client: AppClient) -> None:
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


def test_every_asset_the_page_references_is_served_from_here(client: AppClient) -> None:
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


DOCS_PAGES = ["/schema", "/schema/swagger", "/schema/redoc", "/schema/rapidoc", "/schema/elements", "/schema/scalar"]
SPEC_ATTRIBUTE = re.compile(r"""(?:data-spec-url|spec-url|apiDescriptionUrl)=["']([^"']+)["']""")
CONTENT_TYPES = {".js": "javascript", ".css": "text/css"}


@pytest.mark.parametrize("path", DOCS_PAGES)
def test_the_docs_pages_load_only_from_this_server(client: AppClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert not EXTERNAL.search(r.text), r.text
    assert "<script>" not in r.text  # every script is a file
    csp = r.headers["content-security-policy"]
    assert csp.split("script-src", 1)[1].split(";", 1)[0].strip() == "'self'"
    assert "http" not in csp  # no other host anywhere in the policy
    assert "unsafe-eval" not in csp
    refs = [ref for ref in references(r.text) if not ref.startswith("data:")]
    assert any(ref.endswith(".js") for ref in refs)
    for ref in list(refs):  # a start-up module's imports (Redoc's bundle is an ES module)
        if ref.endswith("-init.js"):
            folder = ref.rsplit("/", 1)[0]
            refs += [f"{folder}/{i.removeprefix('./')}" for i in references(client.get(ref).text)]
    for ref in refs:
        assert ref.startswith("/schema/assets/"), ref
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        suffix = ref[ref.rindex(".") :]
        assert CONTENT_TYPES[suffix] in asset.headers["content-type"], (ref, asset.headers["content-type"])
        assert len(asset.content) > 0, ref
    spec = SPEC_ATTRIBUTE.findall(r.text)
    assert spec == ["/schema/openapi.json"], spec
    assert client.get(spec[0]).json()["info"]["title"] == "AutBot"


def test_each_vendored_bundle_has_its_licence_beside_it() -> None:
    vendor = WEB_DIR / "docs" / "vendor"
    pinned = (vendor / "VERSIONS").read_text().split()
    assert pinned[::2] == ["redoc", "rapidoc", "@stoplight/elements", "@scalar/api-reference"]
    for name in ("redoc", "rapidoc", "elements", "scalar"):
        files = {f.name for f in (vendor / name).iterdir()}
        assert files & {"LICENSE", "LICENSE.txt"}, name
        assert all(f.endswith((".js", ".css", ".txt")) or f == "LICENSE" for f in files), files
