"""The TokenVerifier contract: the fake (keys read directly) and the joserfc adapter (discovery document and
JWKS fetched from a local issuer served on loopback) both pass it. The adapter against a real provider
(Keycloak) is tested end to end in tests/integration/test_oidc.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jwt

from autbot.domain import limits
from autbot.domain.errors import IdentityProviderUnavailable, Unauthorized
from autbot.domain.oidc import IssuerPolicy
from autbot.ports.token_verifier import TokenVerifier
from tests.support.oidc import FakeTokenVerifier, LocalIssuer, new_key, served_issuer

SKEW_S = 5


@dataclass
class Case:
    verifier: TokenVerifier
    issuer: LocalIssuer


@pytest.fixture(params=["fake", "joserfc"])
def case(request: pytest.FixtureRequest) -> Iterator[Case]:
    with served_issuer() as issuer:
        policy = IssuerPolicy(issuer=issuer.issuer, audience="autbot")
        if request.param == "fake":
            yield Case(FakeTokenVerifier([issuer], [policy], skew_s=SKEW_S), issuer)
            return
        from autbot.adapters.tokens.joserfc import JoserfcTokenVerifier

        verifier = JoserfcTokenVerifier([policy], skew_s=SKEW_S, min_refetch_s=0, fetch_timeout_s=5)
        yield Case(verifier, issuer)
        verifier.close()


def refused(case: Case, token: str) -> None:
    with pytest.raises(Unauthorized) as e:
        case.verifier.verify(token)
    assert e.value.code == "unauthorized"
    assert e.value.message == Unauthorized.default_message  # one answer whatever the reason


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_valid_token_gives_its_claims(case: Case) -> None:
    claims = case.verifier.verify(case.issuer.token(sub="alice", groups=["finance"]))
    assert (claims["iss"], claims["sub"], claims["groups"]) == (case.issuer.issuer, "alice", ["finance"])
    assert isinstance(case.verifier, TokenVerifier)
    assert case.verifier.issuers() == (case.issuer.issuer,)


def test_an_audience_list_naming_ours_is_accepted(case: Case) -> None:
    assert case.verifier.verify(case.issuer.token(aud=["account", "autbot"]))["sub"] == "alice"


def test_a_wrong_audience_is_refused(case: Case) -> None:
    refused(case, case.issuer.token(aud="another-app"))
    refused(case, case.issuer.token(aud=["account"]))


def test_an_expired_token_is_refused_and_the_skew_is_honoured(case: Case) -> None:
    refused(case, case.issuer.token(lifetime_s=-(SKEW_S + 2)))
    assert case.verifier.verify(case.issuer.token(lifetime_s=-(SKEW_S - 3)))["sub"] == "alice"


def test_a_token_without_exp_is_refused(case: Case) -> None:
    now = int(time.time())
    token = jwt.encode(
        {"alg": "RS256", "kid": case.issuer.key.kid},
        {"iss": case.issuer.issuer, "aud": "autbot", "iat": now},
        case.issuer.key,
    )
    refused(case, token)


def test_a_token_not_yet_valid_is_refused(case: Case) -> None:
    refused(case, case.issuer.token(nbf=int(time.time()) + SKEW_S + 60))
    assert case.verifier.verify(case.issuer.token(nbf=int(time.time()) + SKEW_S - 3))["sub"] == "alice"


def test_an_unknown_issuer_is_refused(case: Case) -> None:
    stranger = LocalIssuer("https://elsewhere.example")
    refused(case, stranger.token())


def test_a_foreign_key_under_a_known_kid_is_refused(case: Case) -> None:
    forged = new_key()
    token = jwt.encode(
        {"alg": "RS256", "kid": case.issuer.key.kid},
        {"iss": case.issuer.issuer, "aud": "autbot", "exp": int(time.time()) + 60},
        forged,
    )
    refused(case, token)


def test_an_unsigned_token_is_refused(case: Case) -> None:
    payload = {"iss": case.issuer.issuer, "aud": "autbot", "sub": "mallory", "exp": int(time.time()) + 60}
    refused(case, f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}.")


def test_hmac_signed_with_the_public_key_is_refused(case: Case) -> None:
    public_pem = case.issuer.key.as_pem(private=False)
    payload = {"iss": case.issuer.issuer, "aud": "autbot", "sub": "mallory", "exp": int(time.time()) + 60}
    signing_input = f"{b64({'alg': 'HS256', 'kid': case.issuer.key.kid})}.{b64(payload)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    refused(case, f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}")


def test_a_tampered_payload_is_refused(case: Case) -> None:
    header, _, signature = case.issuer.token(sub="bob").split(".")
    payload = {"iss": case.issuer.issuer, "aud": "autbot", "sub": "admin", "exp": int(time.time()) + 60}
    refused(case, f"{header}.{b64(payload)}.{signature}")


def test_a_token_past_the_length_bound_is_refused(case: Case) -> None:
    refused(case, case.issuer.token(padding="x" * limits.OIDC_MAX_TOKEN_BYTES))


def test_key_rotation_at_the_issuer_is_followed(case: Case) -> None:
    assert case.verifier.verify(case.issuer.token())["sub"] == "alice"
    old = case.issuer.key
    case.issuer.rotate()
    assert case.verifier.verify(case.issuer.token(sub="after"))["sub"] == "after"
    assert old.kid != case.issuer.key.kid


def test_an_issuer_that_cannot_be_reached_is_unavailable_not_a_refusal(case: Case) -> None:
    case.issuer.down = True
    with pytest.raises(IdentityProviderUnavailable) as e:
        case.verifier.verify(case.issuer.token())
    assert e.value.code == "identity_provider_unavailable"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    junk=st.text(max_size=300)
    | st.from_regex(r"[A-Za-z0-9_-]{1,40}\.[A-Za-z0-9_-]{1,80}\.[A-Za-z0-9_-]{0,40}", fullmatch=True)
)
def test_junk_is_refused_never_an_other_error(case: Case, junk: str) -> None:
    refused(case, junk)
