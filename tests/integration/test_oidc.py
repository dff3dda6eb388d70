"""Single sign-on end to end: a real OIDC provider (Keycloak, started here on loopback) issues tokens by the
password grant; a running ``autbot serve`` accepts them beside API keys, maps their groups to scopes and to
documents' access lists, follows the provider's key rotation, and refuses expired and wrong-audience tokens
exactly like a bad key."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.keycloak import AUDIENCE, Keycloak, keycloak_home, running_keycloak
from tests.support.processes import ROOT, AutbotServer, free_port, running

pytestmark = pytest.mark.slow

FAKES = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",
    "AUTBOT_INDEX__BACKEND": "memory",
    "AUTBOT_LLM__BACKEND": "fake",
}
DOCS = [
    {"id": "open", "text": "Quarterly budget notes for everyone."},
    {"id": "fin", "text": "Quarterly budget salaries, finance only.", "access": {"groups": ["finance"]}},
    {"id": "leg", "text": "Quarterly budget lawsuits, legal only.", "access": {"groups": ["legal"]}},
    {"id": "bob", "text": "Quarterly budget notes for bob.", "access": {"subjects": ["bob@example.com"]}},
]


class Sso:
    def __init__(self, keycloak: Keycloak, server: AutbotServer, admin_key: str) -> None:
        self.keycloak = keycloak
        self.server = server
        self.admin = {"Authorization": f"Bearer {admin_key}"}
        self.http = httpx.Client(base_url=server.url, timeout=60)

    def as_user(self, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)

    def search_ids(self, token: str) -> list[str]:
        res = self.as_user(token, "POST", "/v1/collections/kb/search", json={"query": "quarterly budget", "top_k": 10})
        assert res.status_code == 200, res.text
        return sorted(r["document_id"] for r in res.json()["results"])


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sso]:
    root = tmp_path_factory.mktemp("oidc")
    with running_keycloak(keycloak_home(), root / "keycloak.log") as keycloak:
        issuer = (
            f'[{{issuer="{keycloak.issuer}", audience="{AUDIENCE}", subject_claim="email", '
            'scopes={finance=["query", "ingest"], legal=["query"]}}]'
        )
        web_client = f'{{issuer="{keycloak.issuer}", client_id="autbot-web", scope="openid email"}}'
        port = free_port()
        keycloak.add_web_client("autbot-web", origin=f"http://127.0.0.1:{port}")
        env = {
            **FAKES,
            "AUTBOT_STORAGE__DATA_DIR": str(root / "data"),
            "AUTBOT_AUTH__OIDC__ISSUERS": issuer,
            "AUTBOT_AUTH__OIDC__WEB_CLIENT": web_client,
            "AUTBOT_AUTH__OIDC__CLOCK_SKEW_S": "0",
            "AUTBOT_AUTH__OIDC__JWKS_MIN_REFETCH_S": "0",
        }
        made = subprocess.run(
            [sys.executable, "-m", "autbot.entrypoints.cli", "keys", "create", "root", "--scopes", "admin"],
            env={**os.environ, **env},
            cwd=str(ROOT),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert made.returncode == 0, made.stderr
        admin_key = made.stdout.strip().splitlines()[-1]
        with running(AutbotServer(root / "data", env=env, port=port)) as server:
            world = Sso(keycloak, server, admin_key)
            ingested = world.http.post("/v1/collections/kb/documents", json={"documents": DOCS}, headers=world.admin)
            assert ingested.status_code == 201, ingested.text
            yield world
            world.http.close()
        log = server.log.read_text(errors="replace")
        assert keycloak.token("carol").split(".")[2] not in log  # no token reaches the log


def test_a_provider_token_is_accepted_and_its_groups_decide_scopes_and_documents(sso: Sso) -> None:
    alice, bob, carol = (sso.keycloak.token(u) for u in ("alice", "bob", "carol"))
    assert sso.search_ids(alice) == ["fin", "open"]
    assert sso.search_ids(bob) == ["bob", "leg", "open"]  # his group, and his address in `subjects`
    refused = sso.as_user(carol, "POST", "/v1/collections/kb/search", json={"query": "budget"})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")  # authenticated, no scope
    assert sso.as_user(bob, "DELETE", "/v1/collections/kb/documents/open").status_code == 403  # legal: query only
    doc = {"documents": [{"id": "alice-note", "text": "A note by alice."}]}
    assert sso.as_user(alice, "POST", "/v1/collections/notes/documents", json=doc).status_code == 201
    records = sso.http.get("/v1/audit", params={"actor": "oidc:alice@example.com"}, headers=sso.admin).json()
    ingest = [r for r in records["records"] if r["action"] == "documents.ingest"]
    assert [(r["outcome"], r["issuer"], r["collection"], r["document_ids"]) for r in ingest] == [
        ("ok", sso.keycloak.issuer, "notes", ["alice-note"])
    ]
    denied = sso.http.get("/v1/audit", params={"actor": "oidc:bob@example.com"}, headers=sso.admin).json()
    assert [(r["action"], r["outcome"]) for r in denied["records"]] == [("document.delete", "forbidden")]


def test_key_rotation_at_the_provider_is_followed(sso: Sso) -> None:
    before = sso.keycloak.token("alice")
    assert sso.search_ids(before) == ["fin", "open"]
    old_kids = sso.keycloak.signing_kids()
    sso.keycloak.rotate_signing_key()
    assert sso.keycloak.signing_kids().isdisjoint(old_kids)  # a new key, the old one gone
    after = sso.keycloak.token("alice")
    assert after.split(".")[0] != before.split(".")[0]  # another kid in the header
    assert sso.search_ids(after) == ["fin", "open"]


def test_expired_and_wrong_audience_tokens_are_refused_like_a_bad_key(sso: Sso) -> None:
    short = sso.keycloak.token("alice", client_id="autbot-short")  # lives 2 s
    assert sso.search_ids(short) == ["fin", "open"]
    wrong_audience = sso.keycloak.token("alice", client_id="other-app")
    bad_key = sso.as_user("abk_AAAAAAAAAAAA_" + "A" * 43, "GET", "/v1/collections")
    time.sleep(3.5)  # past its exp (the server allows no skew here)
    for token in (short, wrong_audience):
        res = sso.as_user(token, "GET", "/v1/collections")
        assert res.status_code == 401
        assert res.headers["www-authenticate"] == bad_key.headers["www-authenticate"]
        assert without_ids(res.json()) == without_ids(bad_key.json())


def without_ids(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("instance", "request_id", "trace_id")}


def test_keys_work_beside_tokens(sso: Sso) -> None:
    assert sso.http.get("/v1/collections", headers=sso.admin).status_code == 200  # keys work beside tokens
    assert sso.http.get("/v1/collections").status_code == 401  # nothing presented: refused


CHROMIUM = Path(os.environ.get("AUTBOT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.browser
def test_the_web_page_signs_in_through_the_provider_login_form(sso: Sso, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context.set_default_timeout(30_000)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(sso.server.url)
            expect(page.locator("#key-state")).to_have_text("No key.")
            page.click("#sign-in")
            page.wait_for_url(f"{sso.keycloak.issuer}/**")  # the provider's own login form
            page.fill("#username", "alice")
            page.fill("#password", "alice-password")
            page.click("#kc-login")
            page.wait_for_url(f"{sso.server.url}/")  # back, the code exchanged, the address cleaned
            expect(page.locator("#key-state")).to_have_text("Signed in for this tab.")
            expect(page.locator("#collections")).to_contain_text("kb")
            page.screenshot(path=str(tmp_path / "signed-in.png"))
        finally:
            context.close()
