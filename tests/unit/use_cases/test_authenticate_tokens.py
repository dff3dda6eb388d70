"""Authenticate with OIDC tokens beside keys: a JWT goes to the verifier, its claims to a principal; a verified
token is remembered (never past its exp); a refused token is Unauthorized like a wrong key."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.domain.auth import Scope
from autbot.domain.errors import IdentityProviderUnavailable, Unauthorized
from autbot.domain.limits import OIDC_VERIFIED_TOKEN_TTL_S
from autbot.domain.oidc import IssuerPolicy
from autbot.use_cases.authenticate import Authenticate, AuthenticateRequest
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.oidc import FakeTokenVerifier, LocalIssuer

ISSUER = LocalIssuer("https://idp.example")
POLICY = IssuerPolicy(issuer=ISSUER.issuer, audience="autbot", scopes_by_group={"finance": frozenset({Scope.QUERY})})


class Counting(FakeTokenVerifier):
    def __init__(self) -> None:
        super().__init__([ISSUER], [POLICY])
        self.calls = 0

    def verify(self, token: str) -> Mapping[str, object]:
        self.calls += 1
        return super().verify(token)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(store: InMemoryKeyStore | None = None) -> tuple[Authenticate, Counting, Clock]:
    verifier, clock = Counting(), Clock()
    auth = Authenticate(
        keys=store or InMemoryKeyStore(), always_required=False, clock=clock, tokens=verifier, policies=[POLICY]
    )
    return auth, verifier, clock


def resolve(auth: Authenticate, key: str) -> object:
    request = AuthenticateRequest(key=key)
    return auth.without_store(request) or auth.execute(request)


def test_a_token_makes_a_principal_and_is_remembered_until_its_ttl() -> None:
    auth, verifier, clock = make()
    assert auth.required  # issuers configured: credentials always required, even on loopback without keys
    token = ISSUER.token(sub="alice", groups=["finance"])
    principal = auth.execute(AuthenticateRequest(key=token))
    assert (principal.name, principal.scopes, principal.issuer) == ("alice", frozenset({Scope.QUERY}), ISSUER.issuer)
    assert auth.without_store(AuthenticateRequest(key=token)) == principal  # no verifier call
    assert verifier.calls == 1
    clock.now += OIDC_VERIFIED_TOKEN_TTL_S + 1
    assert auth.without_store(AuthenticateRequest(key=token)) is None  # checked again
    assert resolve(auth, token) == principal
    assert verifier.calls == 2


def test_a_token_is_never_remembered_past_its_exp() -> None:
    auth, _, clock = make()
    token = ISSUER.token(lifetime_s=-5)  # expired, yet within the verifier's skew
    auth.execute(AuthenticateRequest(key=token))
    assert auth.without_store(AuthenticateRequest(key=token)) is None
    short = ISSUER.token(lifetime_s=10)
    auth.execute(AuthenticateRequest(key=short))
    clock.now += 11
    assert auth.without_store(AuthenticateRequest(key=short)) is None


def test_refused_tokens_and_unavailable_providers() -> None:
    auth, _, _ = make()
    for bad in (ISSUER.token(aud="other"), LocalIssuer("https://other").token(), "a.b.c"):
        with pytest.raises(Unauthorized):
            auth.execute(AuthenticateRequest(key=bad))
    ISSUER.down = True
    try:
        with pytest.raises(IdentityProviderUnavailable):
            auth.execute(AuthenticateRequest(key=ISSUER.token()))
    finally:
        ISSUER.down = False


def test_keys_still_work_beside_tokens() -> None:
    store = InMemoryKeyStore()
    key = CreateKey(keys=store).execute(CreateKeyRequest(name="ci", scopes=("ingest",))).key
    auth, verifier, _ = make(store)
    assert auth.execute(AuthenticateRequest(key=key)).name == "ci"
    assert verifier.calls == 0
    with pytest.raises(Unauthorized):
        auth.execute(AuthenticateRequest(key=None))


def test_a_token_of_an_issuer_without_policy_is_refused() -> None:
    other = LocalIssuer("https://stray.example")
    verifier = FakeTokenVerifier([other], [IssuerPolicy(issuer=other.issuer, audience="autbot")])
    auth = Authenticate(keys=InMemoryKeyStore(), always_required=True, tokens=verifier, policies=[POLICY])
    with pytest.raises(Unauthorized):
        auth.execute(AuthenticateRequest(key=other.token()))
