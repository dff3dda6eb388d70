"""OIDC bearer tokens over HTTP (a fake verifier over a local issuer's keys): accepted beside keys, their groups
mapped to scopes; a refused token answers exactly like a bad key (401, same body and WWW-Authenticate); a token
without a scope is 403; an unreachable provider is 503; audit records name the subject and the issuer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from autbot.adapters.audit.memory import InMemoryAuditLog
from autbot.domain.audit import AuditQuery
from tests.support.app_client import AppClient, app_client, fake_settings
from tests.support.oidc import FakeTokenVerifier, LocalIssuer

ISSUER = "https://idp.example/realms/autbot"


@dataclass
class World:
    client: AppClient
    issuer: LocalIssuer
    log: InMemoryAuditLog

    def call(self, method: str, path: str, token: str, **kw: Any) -> Any:
        return self.client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)


@pytest.fixture
def world() -> Iterator[World]:
    issuer, log = LocalIssuer(ISSUER), InMemoryAuditLog()
    oidc = {"issuers": [{"issuer": ISSUER, "audience": "autbot", "scopes": {"writers": ["ingest", "query"]}}]}
    settings = fake_settings(auth={"oidc": oidc})
    from autbot.entrypoints.bootstrap.factories.tokens import issuer_policies

    verifier = FakeTokenVerifier([issuer], issuer_policies(settings))
    with app_client(settings, overrides={"token_verifier": verifier, "audit_log": log}) as client:
        yield World(client, issuer, log)


def test_a_token_is_accepted_and_its_groups_grant_scopes(world: World) -> None:
    token = world.issuer.token(sub="alice", groups=["writers"])
    doc = {"documents": [{"id": "d1", "text": "Tokens from the identity provider."}]}
    assert world.call("POST", "/v1/collections/kb/documents", token, json=doc).status_code == 201
    assert world.call("GET", "/v1/collections", token).status_code == 200
    records = world.log.query(AuditQuery(limit=10)).records
    assert [(r.actor, r.issuer, r.outcome) for r in records] == [("oidc:alice", ISSUER, "ok")]


def test_a_token_without_a_mapped_group_is_authenticated_but_forbidden(world: World) -> None:
    res = world.call("GET", "/v1/collections", world.issuer.token(sub="nobody", groups=["unknown"]))
    assert (res.status_code, res.json()["code"]) == (403, "forbidden")


def test_a_refused_token_answers_exactly_like_a_bad_key(world: World) -> None:
    bad_key = world.call("GET", "/v1/collections", "abk_AAAAAAAAAAAA_" + "A" * 43)
    for token in (
        world.issuer.token(aud="elsewhere", groups=["writers"]),
        world.issuer.token(lifetime_s=-3600, groups=["writers"]),
        LocalIssuer("https://stranger.example").token(groups=["writers"]),
    ):
        res = world.call("GET", "/v1/collections", token)
        assert res.status_code == 401
        assert res.headers["www-authenticate"] == bad_key.headers["www-authenticate"]
        assert without_ids(res.json()) == without_ids(bad_key.json())


def test_no_credentials_are_refused_once_an_issuer_is_configured(world: World) -> None:
    assert world.client.get("/v1/collections").status_code == 401  # loopback, no key: yet not open
    assert world.client.get("/health").status_code == 200


def test_an_unreachable_provider_is_503(world: World) -> None:
    world.issuer.down = True
    res = world.call("GET", "/v1/collections", world.issuer.token(groups=["writers"]))
    assert (res.status_code, res.json()["code"]) == (503, "identity_provider_unavailable")
    assert "retry-after" in res.headers
    probe = world.call("GET", "/ready", world.issuer.token(groups=["writers"]))
    assert probe.status_code == 200  # probes answer whatever the provider does


def without_ids(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("instance", "request_id")}


def test_the_page_reads_how_to_sign_in_and_may_reach_the_provider_only_then() -> None:
    with app_client() as plain:
        assert plain.get("/auth/web-client.json").status_code == 404
        assert "connect-src 'self';" in plain.get("/").headers["content-security-policy"]
    web = {"issuer": ISSUER, "client_id": "autbot-web"}
    settings = fake_settings(auth={"oidc": {"issuers": [{"issuer": ISSUER, "audience": "autbot"}], "web_client": web}})
    with app_client(settings) as client:
        config = client.get("/auth/web-client.json")
        assert config.json() == {"issuer": ISSUER, "client_id": "autbot-web", "scope": "openid"}
        assert "connect-src 'self' https://idp.example;" in client.get("/").headers["content-security-policy"]


def test_issuers_are_credentials_for_a_profile_that_refuses_to_start_keyless() -> None:
    oidc = {"issuers": [{"issuer": ISSUER, "audience": "autbot"}]}
    settings = fake_settings(auth={"refuse_start_without_keys": True, "oidc": oidc})
    with app_client(settings) as client:  # no key exists, yet it starts: tokens are required instead
        assert client.get("/v1/collections").status_code == 401
