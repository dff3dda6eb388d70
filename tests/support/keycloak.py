"""A real OIDC provider for tests: Keycloak (``scripts/keycloak.sh``) on a free loopback port, one realm set up
through its admin REST API (groups, users, clients, a groups claim, an audience), tokens by the password grant,
signing keys rotated on demand."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import ROOT, free_port, stop, wait_http

REALM = "autbot"
AUDIENCE = "autbot"
SECRET = "autbot-test-secret"
USERS = {"alice": ("finance",), "bob": ("legal",), "carol": ()}
"""Test users (password ``<name>-password``, email ``<name>@example.com``) and their groups."""


def keycloak_home() -> Path:
    """The cached Keycloak (``scripts/keycloak.sh path``: installed first if it is not yet)."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "keycloak.sh"), "path"], capture_output=True, text=True, check=False, timeout=900
    )
    assert done.returncode == 0, f"scripts/keycloak.sh path failed:\n{done.stderr}"
    return Path(done.stdout.strip().splitlines()[-1])


class Keycloak:
    def __init__(self, url: str) -> None:
        self.url = url
        self.issuer = f"{url}/realms/{REALM}"
        self.http = httpx.Client(base_url=url, timeout=30)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        token = self.http.post(
            "/realms/master/protocol/openid-connect/token",
            data={"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": "admin"},
        ).json()["access_token"]
        response = self.http.request(method, f"/admin{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response

    def set_up_realm(self) -> None:
        self.admin("POST", "/realms", json={"realm": REALM, "enabled": True, "accessTokenLifespan": 300})
        for group in sorted({g for groups in USERS.values() for g in groups}):
            self.admin("POST", f"/realms/{REALM}/groups", json={"name": group})
        for name, groups in USERS.items():
            user = {
                "username": name,
                "email": f"{name}@example.com",
                "emailVerified": True,
                "firstName": name.title(),
                "lastName": "Test",
                "enabled": True,
                "credentials": [{"type": "password", "value": f"{name}-password", "temporary": False}],
                "groups": [f"/{g}" for g in groups],
            }
            self.admin("POST", f"/realms/{REALM}/users", json=user)
        self.add_client("autbot-cli", audience=AUDIENCE)
        self.add_client("autbot-short", audience=AUDIENCE, lifespan_s=2)
        self.add_client("other-app", audience=None)

    def add_client(self, client_id: str, *, audience: str | None, lifespan_s: int | None = None) -> None:
        mappers: list[dict[str, Any]] = [
            {
                "name": "groups",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-group-membership-mapper",
                "config": {"claim.name": "groups", "full.path": "false", "access.token.claim": "true"},
            }
        ]
        if audience is not None:
            mappers.append(
                {
                    "name": "audience",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-audience-mapper",
                    "config": {"included.custom.audience": audience, "access.token.claim": "true"},
                }
            )
        client: dict[str, Any] = {
            "clientId": client_id,
            "publicClient": False,
            "secret": SECRET,
            "directAccessGrantsEnabled": True,
            "serviceAccountsEnabled": True,
            "standardFlowEnabled": False,
            "protocolMappers": mappers,
        }
        if lifespan_s is not None:
            client["attributes"] = {"access.token.lifespan": str(lifespan_s)}
        self.admin("POST", f"/realms/{REALM}/clients", json=client)

    def add_web_client(self, client_id: str, *, origin: str) -> None:
        """A public client for a browser page at ``origin``: authorization code with PKCE (S256) only."""
        self.admin(
            "POST",
            f"/realms/{REALM}/clients",
            json={
                "clientId": client_id,
                "publicClient": True,
                "standardFlowEnabled": True,
                "directAccessGrantsEnabled": False,
                "redirectUris": [f"{origin}/*"],
                "webOrigins": [origin],
                "attributes": {"pkce.code.challenge.method": "S256"},
                "protocolMappers": [
                    {
                        "name": "groups",
                        "protocol": "openid-connect",
                        "protocolMapper": "oidc-group-membership-mapper",
                        "config": {"claim.name": "groups", "full.path": "false", "access.token.claim": "true"},
                    },
                    {
                        "name": "audience",
                        "protocol": "openid-connect",
                        "protocolMapper": "oidc-audience-mapper",
                        "config": {"included.custom.audience": AUDIENCE, "access.token.claim": "true"},
                    },
                ],
            },
        )

    def token(self, user: str, *, client_id: str = "autbot-cli") -> str:
        """An access token by the password grant (the user's real login at the provider)."""
        response = self.http.post(
            f"/realms/{REALM}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": client_id,
                "client_secret": SECRET,
                "username": user,
                "password": f"{user}-password",
                "scope": "openid email",
            },
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        assert isinstance(token, str)
        return token

    def signing_kids(self) -> set[str]:
        keys = self.http.get(f"/realms/{REALM}/protocol/openid-connect/certs").json()["keys"]
        return {k["kid"] for k in keys if k.get("use", "sig") == "sig"}

    def rotate_signing_key(self) -> None:
        """A new RS256 key becomes the active one, and the old ones are removed from the realm."""
        realm_id = self.admin("GET", f"/realms/{REALM}").json()["id"]
        old = [
            c["id"]
            for c in self.admin("GET", f"/realms/{REALM}/components", params={"type": KEY_PROVIDER}).json()
            if c["providerId"] == "rsa-generated"
        ]
        self.admin(
            "POST",
            f"/realms/{REALM}/components",
            json={
                "name": f"rsa-rotated-{time.time_ns()}",
                "providerId": "rsa-generated",
                "providerType": KEY_PROVIDER,
                "parentId": realm_id,
                "config": {"priority": ["500"], "algorithm": ["RS256"], "keySize": ["2048"], "active": ["true"]},
            },
        )
        for component in old:
            self.admin("DELETE", f"/realms/{REALM}/components/{component}")


KEY_PROVIDER = "org.keycloak.keys.KeyProvider"


@contextmanager
def running_keycloak(home: Path, log: Path) -> Iterator[Keycloak]:
    """Keycloak (built for this by ``scripts/keycloak.sh install``) on a free loopback port, the test realm set up."""
    port = free_port()
    env = {
        **os.environ,
        "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
        "KC_BOOTSTRAP_ADMIN_PASSWORD": "admin",
        "JAVA_OPTS_KC_HEAP": "-Xms64m -Xmx768m",  # a bounded heap on a shared machine (the default grows with RAM)
    }
    command = [
        str(home / "bin" / "kc.sh"),
        "start",
        "--optimized",
        "--http-enabled=true",
        "--hostname-strict=false",
        "--http-host=127.0.0.1",
        f"--http-port={port}",
        "--cache=local",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        # a busy 2-core machine: Keycloak starts in about 30 s when idle, much later under load
        wait_http(f"{url}/realms/master/.well-known/openid-configuration", timeout=420, proc=proc, log=log)
        keycloak = Keycloak(url)
        keycloak.set_up_realm()
        yield keycloak
        keycloak.http.close()
    finally:
        stop(proc)
