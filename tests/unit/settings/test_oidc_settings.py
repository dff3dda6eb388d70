"""auth.oidc settings: defaults from domain.limits, issuers from a profile or the environment, bad values refused."""

from __future__ import annotations

from typing import get_args

import pytest

from autbot.domain import limits
from autbot.domain.auth import Scope
from autbot.domain.errors import ConfigurationError
from autbot.entrypoints.bootstrap.factories.tokens import issuer_policies
from autbot.entrypoints.settings import load_settings
from autbot.entrypoints.settings.oidc import Algorithm, ScopeName


def test_defaults_come_from_limits_and_no_issuer_is_configured() -> None:
    o = load_settings("local", env={}).auth.oidc
    assert o.issuers == []
    assert tuple(o.algorithms) == limits.OIDC_ALGORITHMS == get_args(Algorithm)
    assert set(get_args(ScopeName)) == {s.value for s in Scope}
    assert (o.clock_skew_s, o.max_token_bytes, o.jwks_cache_s) == (
        limits.OIDC_CLOCK_SKEW_S,
        limits.OIDC_MAX_TOKEN_BYTES,
        limits.OIDC_JWKS_CACHE_S,
    )


def test_issuers_from_the_environment_become_policies() -> None:
    raw = (
        '[{issuer="https://idp.example/realms/a", audience="autbot", subject_claim="email", '
        'scopes={finance=["query"], ops=["admin", "ingest"]}, default_scopes=["query"], collections=["kb"]}]'
    )
    settings = load_settings("local", env={"AUTBOT_AUTH__OIDC__ISSUERS": raw})
    (policy,) = issuer_policies(settings)
    assert policy.issuer == "https://idp.example/realms/a"
    assert (policy.subject_claim, policy.groups_claim) == ("email", "groups")
    assert policy.scopes_by_group == {"finance": {Scope.QUERY}, "ops": {Scope.ADMIN, Scope.INGEST}}
    assert policy.default_scopes == {Scope.QUERY}
    assert policy.collections == frozenset({"kb"})


@pytest.mark.parametrize(
    "env",
    [
        {"AUTBOT_AUTH__OIDC__ISSUERS": '[{issuer="ftp://idp", audience="a"}]'},
        {"AUTBOT_AUTH__OIDC__ISSUERS": '[{issuer="https://idp", audience="a", scopes={g=["root"]}}]'},
        {"AUTBOT_AUTH__OIDC__ISSUERS": '[{issuer="https://idp"}]'},
        {"AUTBOT_AUTH__OIDC__ALGORITHMS": '["HS256"]'},
        {"AUTBOT_AUTH__OIDC__ALGORITHMS": '["none"]'},
        {"AUTBOT_AUTH__OIDC__CLOCK_SKEW_S": str(limits.OIDC_MAX_CLOCK_SKEW_S + 1)},
    ],
)
def test_bad_values_are_refused_at_load(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        load_settings("local", env=env)


def test_the_adapter_refuses_unsafe_algorithms_too() -> None:
    from autbot.adapters.tokens.joserfc import JoserfcTokenVerifier

    with pytest.raises(ConfigurationError):
        JoserfcTokenVerifier([], algorithms=["HS256"])
    with pytest.raises(ConfigurationError):
        JoserfcTokenVerifier([], algorithms=[])
