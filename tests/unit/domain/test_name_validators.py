"""Every name validator matches the whole string: a trailing newline (``re.match`` with ``$`` accepts one),
a control character or any other character outside the rule is refused with ``invalid_input`` (400), before
anything is written and before any store sees the name."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from autbot.adapters.secrets.stores import FileSecretStore
from autbot.domain.auth import new_key, split_key, validate_key_name
from autbot.domain.errors import ConfigurationError, InvalidInput, ModelNotFound
from autbot.domain.model import CollectionName, parse_filters, validate_document_id, validate_metadata
from autbot.domain.models import route_chat_model
from autbot.entrypoints.settings import load_settings
from tests.support.app_client import app_client, fake_settings
from tests.support.hostile import in_process_client

SRC = Path(__file__).resolve().parents[2] / "src" / "autbot"
TAILS = ["\n", "\r\n", "\r", "\x00", " ", "\t", "\u2028", "\x85"]
"""What a validator that matches less than the whole string lets through after a valid name."""

VALIDATORS: dict[str, Callable[[str], object]] = {
    "collection": lambda v: CollectionName(v),
    "document id": validate_document_id,
    "metadata key": lambda v: validate_metadata({v: 1}),
    "filter key": lambda v: parse_filters({v: 1}),
    "key name": validate_key_name,
}


@pytest.mark.parametrize("tail", TAILS, ids=repr)
@pytest.mark.parametrize("name", sorted(VALIDATORS))
def test_a_valid_name_with_anything_after_it_is_refused(name: str, tail: str) -> None:
    validate = VALIDATORS[name]
    validate("name1")
    with pytest.raises(InvalidInput):
        validate("name1" + tail)


@pytest.mark.parametrize("tail", TAILS, ids=repr)
def test_model_names_and_keys_match_whole(tail: str) -> None:
    assert route_chat_model("rag:kb", chat_aliases=()).collection == "kb"
    with pytest.raises(ModelNotFound):
        route_chat_model("rag:kb" + tail, chat_aliases=())
    _, key = new_key(name="k", scopes=frozenset(), collections=None, now=0.0)
    assert split_key(key) is not None
    assert split_key(key + tail) is None


def test_secret_names_match_whole(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("s3cret")
    store = FileSecretStore(directory=str(tmp_path))
    assert store.get("token") == "s3cret"
    assert store.get("token\n") is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AUTBOT_LLM__OPENAI__BASE_URL", "http://127.0.0.1:9/v1\n"),
        ("AUTBOT_OPENAI_API__EMBEDDING_ALIAS", "embed\n"),
        ("AUTBOT_LOGGING__LEVEL", "INFO\n"),
        ("AUTBOT_SECRETS__ENV_PREFIX", "AUTBOT_SECRET_\n"),
        ("AUTBOT_SERVER__ALLOWED_HOSTS", '["localhost\\n"]'),
        ("AUTBOT_SECRETS__REQUIRED", '["token\\n"]'),
    ],
)
def test_settings_patterns_match_whole(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError):
        load_settings("local", env={variable: value})
    load_settings("local", env={variable: value.replace("\\n", "").rstrip("\n")})


def test_no_name_pattern_can_accept_a_trailing_newline() -> None:
    """The class, not the one input: no ``$``-anchored pattern in the source (msgspec patterns are searched,
    and ``re.match(r"...$")`` accepts a trailing newline). Patterns end with ``\\Z`` or are applied with
    ``fullmatch``; the two below parse text that is not a name, where a trailing newline is harmless."""
    allowed = {"loader.py": "_AT = ", "quotas.py": "_MANY = ", "fake.py": "re.MULTILINE"}
    found = []
    for path in SRC.rglob("*.py"):
        for line in path.read_text().splitlines():
            anchored = re.search(r"""\$["']\)?""", line) and re.search(r"re\.compile|pattern=", line)
            if anchored and allowed.get(path.name, "\0") not in line:
                found.append(f"{path.relative_to(SRC)}: {line.strip()}")
    assert found == []


# --- over HTTP: 400 and nothing written, whatever store is configured -----------------------------------
@pytest.fixture(scope="module")
def fakes() -> Iterator[TestClient[Litestar]]:
    with in_process_client() as c:
        yield c


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Litestar]]:
    """The embedded store (Chroma + SQLite): the one that answered 503 ``index_unavailable`` to ``x%0A``."""
    data = tmp_path_factory.mktemp("embedded")
    settings = fake_settings(index={"backend": "chroma"}, storage={"data_dir": str(data)}, limits={"enabled": False})
    with app_client(settings) as c:
        yield c


@pytest.mark.parametrize("store", ["fakes", "embedded"])
def test_a_collection_name_with_a_newline_is_refused_and_never_opens_a_circuit(
    store: str, request: pytest.FixtureRequest
) -> None:
    c: TestClient[Litestar] = request.getfixturevalue(store)
    before = c.get("/v1/collections").json()
    for _ in range(8):  # more than resilience.breaker_failures
        r = c.post("/v1/collections/x%0A/documents", json={"documents": [{"id": "d", "text": "hello"}]})
        assert (r.status_code, r.json()["code"]) == (400, "invalid_input"), r.text
        r = c.post("/v1/collections/x%0A/files", files=[("files", ("a.txt", b"hello", "text/plain"))])
        assert (r.status_code, r.json()["code"]) == (400, "invalid_input"), r.text
    listed = c.get("/v1/collections")
    assert listed.status_code == 200, listed.text  # no circuit opened
    assert listed.json() == before  # nothing written
    ok = c.post("/v1/collections/kb2/documents", json={"documents": [{"id": "d", "text": "hello"}]})
    assert ok.status_code == 201, ok.text
    assert c.post("/v1/collections/kb2/search", json={"query": "hello"}).status_code == 200
