"""A local OIDC issuer for tests: keys generated here, tokens minted here, its discovery document and JWKS
served on loopback (for the real verifier), and a fake ``TokenVerifier`` that reads its keys directly."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from autbot.domain import limits
from autbot.domain.errors import IdentityProviderUnavailable, Unauthorized
from autbot.domain.oidc import IssuerPolicy, claims_problem, looks_like_jwt, unverified_claims


def new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex[:12], "use": "sig", "alg": "RS256"})


class LocalIssuer:
    """Signs tokens with its current key; ``rotate`` replaces it (the old one is no longer published)."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.key = new_key()
        self.down = False
        """While True, its documents cannot be fetched."""
        self.fetches = 0
        self.discovery_extra: dict[str, Any] = {}
        """Added to (or replacing fields of) its discovery document."""

    def rotate(self) -> None:
        self.key = new_key()

    def jwks(self) -> dict[str, Any]:
        if self.down:
            raise IdentityProviderUnavailable()
        self.fetches += 1
        return dict(KeySet([self.key]).as_dict(private=False))

    def token(
        self,
        *,
        sub: str = "alice",
        aud: str | list[str] = "autbot",
        lifetime_s: float = 300,
        key: RSAKey | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        signing = key or self.key
        payload = {"iss": self.issuer, "sub": sub, "aud": aud, "iat": now, "exp": now + int(lifetime_s), **claims}
        return jwt.encode({"alg": "RS256", "kid": signing.kid}, payload, signing)


class FakeTokenVerifier:
    """A ``TokenVerifier`` over local issuers' keys, without a network: the same rules as the real one."""

    def __init__(
        self,
        issuers: Sequence[LocalIssuer],
        policies: Sequence[IssuerPolicy],
        *,
        skew_s: float = limits.OIDC_CLOCK_SKEW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuers = {i.issuer: i for i in issuers}
        self._policies = {p.issuer: p for p in policies}
        self._skew_s = skew_s
        self._clock = clock

    def issuers(self) -> tuple[str, ...]:
        return tuple(self._policies)

    def verify(self, token: str) -> Mapping[str, object]:
        if len(token) > limits.OIDC_MAX_TOKEN_BYTES or not looks_like_jwt(token):
            raise Unauthorized()
        issuer = (unverified_claims(token) or {}).get("iss")
        policy = self._policies.get(issuer) if isinstance(issuer, str) else None
        local = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if policy is None or local is None:
            raise Unauthorized()
        keys = KeySet.import_key_set(local.jwks())  # type: ignore[arg-type]
        try:
            claims = jwt.decode(token, keys, algorithms=list(limits.OIDC_ALGORITHMS)).claims
        except (JoseError, ValueError, TypeError) as e:
            raise Unauthorized() from e
        if claims_problem(claims, policy=policy, now=self._clock(), skew_s=self._skew_s) is not None:
            raise Unauthorized()
        return claims


class _Handler(BaseHTTPRequestHandler):
    server: IssuerServer

    def do_GET(self) -> None:
        local = self.server.local
        if local is None or local.down:
            self.send_error(503)
            return
        if self.path == "/.well-known/openid-configuration":
            body: dict[str, Any] = {"issuer": local.issuer, "jwks_uri": f"{local.issuer}/jwks", **local.discovery_extra}
        elif self.path == "/jwks":
            body = local.jwks()
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class IssuerServer(ThreadingHTTPServer):
    local: LocalIssuer | None = None


@contextmanager
def served_issuer() -> Iterator[LocalIssuer]:
    """A local issuer whose discovery document and JWKS are served on a free loopback port."""
    server = IssuerServer(("127.0.0.1", 0), _Handler)
    server.local = LocalIssuer(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.local
    finally:
        server.shutdown()
        server.server_close()
