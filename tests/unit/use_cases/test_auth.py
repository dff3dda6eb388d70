"""API keys, scopes and principals (domain), and the Authenticate / key use cases, with the fake store."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.domain.auth import ANONYMOUS, Principal, Scope, new_key, parse_scopes, secret_matches, split_key
from autbot.domain.errors import CollectionNotFound, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from autbot.use_cases.authenticate import KEYS_EXIST_TTL_S, VERIFIED_KEY_TTL_S, Authenticate, AuthenticateRequest
from autbot.use_cases.keys import CreateKey, CreateKeyRequest, ListKeys, ListKeysRequest, RevokeKey, RevokeKeyRequest


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_new_key_is_shown_once_and_stored_hashed() -> None:
    record, key = new_key(name="ci", scopes=frozenset({Scope.QUERY}), collections=None, now=1.0)
    parts = split_key(key)
    assert parts is not None
    key_id, secret = parts
    assert key_id == record.key_id
    assert secret not in (record.secret_hash, record.salt)
    assert secret_matches(record, secret)
    other, _ = new_key(name="ci", scopes=frozenset({Scope.QUERY}), collections=None, now=1.0)
    assert other.salt != record.salt  # salted: the same secret would hash differently


@settings(max_examples=50)
@given(st.text(min_size=0, max_size=80))
def test_no_other_secret_matches(guess: str) -> None:
    record, key = new_key(name="k", scopes=frozenset({Scope.QUERY}), collections=None, now=1.0)
    parts = split_key(key)
    assert parts is not None
    secret = parts[1]
    assert secret_matches(record, guess) is (guess == secret)


@given(st.text(max_size=120))
def test_malformed_keys_are_not_split(text: str) -> None:
    parts = split_key(text)
    if parts is not None:
        assert text == f"abk_{parts[0]}_{parts[1]}"


def test_scopes_parse_strictly() -> None:
    assert parse_scopes("query, ingest") == {Scope.QUERY, Scope.INGEST}
    for bad in ("", "query,root", ","):
        with pytest.raises(InvalidInput):
            parse_scopes(bad)


def test_principal_scopes_and_collections() -> None:
    p = Principal(name="k", scopes=frozenset({Scope.QUERY}), collections=frozenset({"kb"}))
    p.require(Scope.QUERY)
    with pytest.raises(Forbidden) as e:
        p.require(Scope.INGEST)
    assert e.value.code == "forbidden"
    p.check_collection("kb")
    with pytest.raises(CollectionNotFound):  # invisible, not forbidden
        p.check_collection("other")
    admin = Principal(name="a", scopes=frozenset({Scope.ADMIN}))
    admin.require(Scope.INGEST)  # admin implies every scope
    assert admin.may_use("anything")


def test_authenticate_open_locally_until_a_key_exists() -> None:
    store, clock = InMemoryKeyStore(), Clock()
    auth = Authenticate(keys=store, always_required=False, clock=clock)
    assert auth.execute(AuthenticateRequest(key=None)) is ANONYMOUS
    created = CreateKey(keys=store).execute(CreateKeyRequest(name="ci", scopes=("query",)))
    clock.now += KEYS_EXIST_TTL_S + 0.1  # "are there keys?" is cached briefly
    with pytest.raises(Unauthorized):
        auth.execute(AuthenticateRequest(key=None))
    principal = auth.execute(AuthenticateRequest(key=created.key))
    assert (principal.name, principal.scopes, principal.authenticated) == ("ci", frozenset({Scope.QUERY}), True)


def test_authenticate_refuses_every_bad_key_alike() -> None:
    store, clock = InMemoryKeyStore(), Clock()
    auth = Authenticate(keys=store, always_required=True, clock=clock)
    with pytest.raises(Unauthorized):
        auth.execute(AuthenticateRequest(key=None))  # required even with no keys at all
    created = CreateKey(keys=store).execute(CreateKeyRequest(name="ci", scopes=("query", "ingest")))
    key_id = created.record.key_id
    wrong_secret = f"abk_{key_id}_{'A' * 43}"
    unknown_id = created.key.replace(key_id, "Z" * 12)
    messages = set()
    for bad in ("", "nonsense", wrong_secret, unknown_id, created.key + "x"):
        with pytest.raises(Unauthorized) as e:
            auth.execute(AuthenticateRequest(key=bad))
        messages.add(e.value.message)
    assert len(messages) == 1  # one answer whatever the reason
    assert auth.execute(AuthenticateRequest(key=created.key)).name == "ci"
    RevokeKey(keys=store).execute(RevokeKeyRequest(name="ci"))
    assert auth.execute(AuthenticateRequest(key=created.key)).name == "ci"  # trusted a moment without the store
    clock.now += VERIFIED_KEY_TTL_S + 0.1
    with pytest.raises(Unauthorized):
        auth.execute(AuthenticateRequest(key=created.key))


def test_a_checked_key_needs_no_store_lookup_until_it_expires() -> None:
    store, clock = InMemoryKeyStore(), Clock()
    auth = Authenticate(keys=store, always_required=True, clock=clock)
    key = CreateKey(keys=store).execute(CreateKeyRequest(name="ci", scopes=("query",))).key
    request = AuthenticateRequest(key=key)
    assert auth.without_store(request) is None  # never checked yet: the store must be asked
    assert auth.execute(request).name == "ci"
    cached = auth.without_store(request)
    assert cached is not None
    assert cached.name == "ci"
    assert auth.without_store(AuthenticateRequest(key=key + "x")) is None  # another key is not trusted
    clock.now += VERIFIED_KEY_TTL_S + 0.1
    assert auth.without_store(request) is None


def test_an_open_server_ignores_a_presented_key() -> None:
    auth = Authenticate(keys=InMemoryKeyStore(), always_required=False)
    for placeholder in ("sk-unused", "abk_000000000000_" + "A" * 43, "Basic Zm9vOmJhcg=="):
        assert auth.execute(AuthenticateRequest(key=placeholder)) is ANONYMOUS  # e.g. the OpenAI SDK's placeholder


def test_key_use_cases() -> None:
    store = InMemoryKeyStore()
    create = CreateKey(keys=store, clock=lambda: 5.0)
    made = create.execute(CreateKeyRequest(name="reader", scopes=("query",), collections=("kb", "docs")))
    assert made.record.collections == frozenset({"kb", "docs"})
    assert made.record.created_at == 5.0
    with pytest.raises(Conflict):
        create.execute(CreateKeyRequest(name="reader", scopes=("query",)))
    with pytest.raises(InvalidInput):
        create.execute(CreateKeyRequest(name="bad name!", scopes=("query",)))
    with pytest.raises(InvalidInput):
        create.execute(CreateKeyRequest(name="x", scopes=("query",), collections=("Not A Name",)))
    RevokeKey(keys=store).execute(RevokeKeyRequest(name="reader"))
    with pytest.raises(NotFound):
        RevokeKey(keys=store).execute(RevokeKeyRequest(name="reader"))
    assert [k.name for k in ListKeys(keys=store).execute(ListKeysRequest())] == ["reader"]
    assert ListKeys(keys=store).execute(ListKeysRequest(include_revoked=False)) == []
