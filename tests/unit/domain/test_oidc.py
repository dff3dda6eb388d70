"""domain.oidc: which claims are acceptable, and what caller they make (scopes, groups, collections, owner)."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.domain.audit import actor_of
from autbot.domain.auth import Scope
from autbot.domain.errors import Unauthorized
from autbot.domain.oidc import (
    IssuerPolicy,
    claim_at,
    claims_problem,
    looks_like_jwt,
    principal_from_claims,
    unverified_claims,
)

ISSUER = "https://idp.example/realms/autbot"
POLICY = IssuerPolicy(
    issuer=ISSUER,
    audience="autbot",
    scopes_by_group={"finance": frozenset({Scope.QUERY}), "admins": frozenset({Scope.ADMIN})},
)
NOW = 1_800_000_000.0


def claims(**extra: object) -> dict[str, object]:
    return {"iss": ISSUER, "aud": "autbot", "sub": "alice", "exp": NOW + 60, **extra}


def test_jwt_shape_and_unverified_payload() -> None:
    payload = base64.urlsafe_b64encode(json.dumps({"iss": ISSUER}).encode()).rstrip(b"=").decode()
    token = f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln"
    assert looks_like_jwt(token)
    assert unverified_claims(token) == {"iss": ISSUER}
    assert not looks_like_jwt("abk_AAAAAAAAAAAA_" + "A" * 43)
    assert not looks_like_jwt(token + "\n")
    assert unverified_claims("a.!!!.c") is None
    assert unverified_claims("a.bnVsbA.c") is None  # "null": not an object


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({}, None),
        ({"aud": ["account", "autbot"]}, None),
        ({"iss": ISSUER + "/"}, "issuer"),
        ({"aud": "account"}, "audience"),
        ({"aud": ["account"]}, "audience"),
        ({"exp": NOW - 31}, "expired"),
        ({"exp": NOW - 29}, None),  # within the skew
        ({"exp": True}, "expired"),
        ({"exp": "soon"}, "expired"),
        ({"nbf": NOW + 29}, None),
        ({"nbf": NOW + 31}, "not yet valid"),
        ({"nbf": "now"}, "not yet valid"),
        ({"nbf": None}, "not yet valid"),
        ({"exp": 10**400}, "expired"),  # not a finite number of seconds
        ({"exp": float("inf")}, "expired"),
        ({"nbf": float("nan")}, "not yet valid"),
    ],
)
def test_claims_problem(extra: dict[str, object], problem: str | None) -> None:
    assert claims_problem(claims(**extra), policy=POLICY, now=NOW, skew_s=30) == problem


def test_a_token_without_exp_is_not_acceptable() -> None:
    no_exp = {k: v for k, v in claims().items() if k != "exp"}
    assert claims_problem(no_exp, policy=POLICY, now=NOW, skew_s=30) == "expired"


def test_groups_map_to_scopes_and_an_unknown_subject_gets_nothing() -> None:
    finance = principal_from_claims(claims(groups=["finance", "other"]), POLICY)
    assert (finance.name, finance.scopes, finance.groups) == (
        "alice",
        frozenset({Scope.QUERY}),
        frozenset({"finance", "other"}),
    )
    assert (finance.issuer, finance.key_id, finance.collections) == (ISSUER, None, None)
    nobody = principal_from_claims(claims(), POLICY)
    assert nobody.scopes == frozenset()
    assert nobody.authenticated


def test_default_scopes_collections_and_claim_paths() -> None:
    policy = IssuerPolicy(
        issuer=ISSUER,
        audience="autbot",
        subject_claim="email",
        groups_claim="realm_access.roles",
        scopes_by_group={"writer": frozenset({Scope.INGEST})},
        default_scopes=frozenset({Scope.QUERY}),
        collections=frozenset({"kb"}),
    )
    p = principal_from_claims(claims(email="a@example.com", realm_access={"roles": ["writer"]}), policy)
    assert (p.subject, p.scopes, p.groups, p.collections) == (
        "a@example.com",
        frozenset({Scope.QUERY, Scope.INGEST}),
        frozenset({"writer"}),
        frozenset({"kb"}),
    )
    assert claim_at({"a.b": 1, "a": {"b": 2}}, "a.b") == 1  # a claim named with a dot first
    assert claim_at({"a": {"b": 2}}, "a.b") == 2
    assert claim_at({"a": [1]}, "a.b") is None


@pytest.mark.parametrize("bad", [{"sub": None}, {"sub": ""}, {"sub": 7}, {"groups": {"a": 1}}, {"groups": [1]}])
def test_a_missing_subject_or_malformed_groups_is_unauthorized(bad: dict[str, object]) -> None:
    with pytest.raises(Unauthorized):
        principal_from_claims(claims(**bad), POLICY)


def test_one_group_as_a_string() -> None:
    assert principal_from_claims(claims(groups="finance"), POLICY).scopes == {Scope.QUERY}


def test_owner_and_audit_actor_name_the_issuer_and_subject() -> None:
    p = principal_from_claims(claims(), POLICY)
    assert p.owner == f"oidc:{ISSUER}#alice"
    other = principal_from_claims(claims(iss="https://other"), IssuerPolicy(issuer="https://other", audience="autbot"))
    assert other.owner != p.owner  # equal subjects of two issuers share nothing
    assert actor_of(p) == "oidc:alice"


@given(groups=st.lists(st.sampled_from(["finance", "admins", "legal", "x"]), max_size=6))
def test_scopes_are_never_more_than_the_defaults_and_the_mapped_groups(groups: list[str]) -> None:
    p = principal_from_claims(claims(groups=groups), POLICY)
    allowed: set[Scope] = set(POLICY.default_scopes)
    for g in groups:
        allowed |= POLICY.scopes_by_group.get(g, frozenset())
    assert p.scopes == allowed
    assert p.groups == frozenset(groups)
