from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.domain.errors import ConfigurationError
from autbot.entrypoints.cli import main
from autbot.entrypoints.settings import (
    BACKENDS,
    bundled_profiles,
    load_settings,
    load_settings_with_sources,
    redact_url,
    settings_from_dict,
)

SETTING_PORT = 9001
"""A port number as a setting value: read and shown by these tests, never bound."""


def test_local_profile_is_the_offline_default() -> None:
    s = load_settings(env={})
    assert (s.profile, s.server.host, s.server.port) == ("local", "127.0.0.1", 8000)
    assert (s.embedder.backend, s.index.backend, s.llm.backend) == ("onnx", "chroma", "local")
    assert s.server.cors_origins == []
    assert {"local", "production", "weaviate"} <= set(bundled_profiles())


def test_production_profile_scales_out() -> None:
    s = load_settings("production", env={})
    assert (s.index.backend, s.llm.backend, s.secrets.backend) == ("weaviate", "openai", "file")
    assert s.index.weaviate.replication_factor == 3


def test_env_overrides_are_typed() -> None:
    s = load_settings(
        env={
            "AUTBOT_SERVER__PORT": "9001",
            "AUTBOT_LLM__OPENAI__BASE_URL": "http://127.0.0.1:1/v1",
            "AUTBOT_SERVER__CORS_ORIGINS": '["https://a.example"]',
            "AUTBOT_PROFILE": "local",
            "AUTBOT_SECRET_OPENAI_API_KEY": "ignored-here",
        }
    )
    assert s.server.port == 9001
    assert s.llm.openai.base_url == "http://127.0.0.1:1/v1"
    assert s.server.cors_origins == ["https://a.example"]


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"AUTBOT_SERVER__PROT": "1"}, "server.prot"),
        ({"AUTBOT_SERVER__PORT": "eighty"}, "server.port"),
        ({"AUTBOT_SERVER__PORT": "70000"}, "server.port"),
        ({"AUTBOT_NOPE__X": "1"}, "nope"),
        ({"AUTBOT_LLM__LOCAL__THREADS": "many"}, "llm.local.threads"),
        ({"AUTBOT_SERVER__CORS_ORIGINS": '["*"]'}, "server.cors_origins"),
        ({"AUTBOT_SPLITTER__CHUNK_OVERLAP": "999"}, "splitter.chunk_overlap"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigurationError) as e:
        load_settings(env=env)
    assert key in e.value.message


def test_unknown_profile_and_toml_file_profiles(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="production"):
        load_settings("prod", env={})
    f = tmp_path / "mine.toml"
    f.write_text(f'[server]\nport = {SETTING_PORT}\n[index]\nbackend = "memory"\n')  # a value read, never bound
    assert load_settings(str(f), env={}).server.port == SETTING_PORT
    f.write_text("[server\n")
    with pytest.raises(ConfigurationError, match="TOML"):
        load_settings(str(f), env={})


@pytest.mark.parametrize(
    ("section", "name", "valid"),
    [
        ("embedder", "bert", "hashing, onnx"),
        ("index", "pinecone", "chroma, memory, weaviate"),
        ("llm", "claude", "fake, local, openai"),
        ("secrets", "vault", "env, file"),
    ],
)
def test_unknown_backend_fails_at_load_listing_the_valid_ones(section: str, name: str, valid: str) -> None:
    with pytest.raises(ConfigurationError) as e:
        load_settings(env={}, overrides={section: {"backend": name}})
    assert e.value.message == f"Setting '{section}.backend' = '{name}' is not one of: {valid}."
    assert valid == ", ".join(sorted(BACKENDS[f"{section}.backend"]))


def test_overrides_replace_providers() -> None:
    from autbot.adapters.llm.fake import ScriptedLanguageModel
    from autbot.entrypoints.bootstrap.container import build_container

    fake = ScriptedLanguageModel()
    s = load_settings(env={}, overrides={"embedder": {"backend": "hashing"}, "index": {"backend": "memory"}})
    container = build_container(s, {"llm": fake})
    assert container.llm() is fake
    with pytest.raises(ConfigurationError):
        build_container(s, {"nonexistent": fake})


def test_backends_table_is_what_the_container_offers() -> None:
    from autbot.entrypoints.bootstrap.container import SELECTORS, build_container

    assert set(BACKENDS) == set(SELECTORS)
    s = load_settings(env={})
    container = build_container(s)
    for key, names in BACKENDS.items():
        section, field = key.split(".")
        assert getattr(getattr(s, section), field) in names  # every default is a valid name
        for attr in SELECTORS[key]:
            assert set(getattr(container, attr).providers) == set(names)


@pytest.mark.parametrize(
    ("env", "key", "says"),
    [
        ({"AUTBOT_SERVER__WORKERS": "0"}, "server.workers", "Expected `int` >= 1"),
        ({"AUTBOT_SERVER__PORT": "0"}, "server.port", ">= 1"),
        ({"AUTBOT_SEARCH__HYBRID_ALPHA": "1.5"}, "search.hybrid_alpha", "<= 1.0"),
        ({"AUTBOT_LLM__TIMEOUT_S": "0"}, "llm.timeout_s", "> 0"),
        ({"AUTBOT_SPLITTER__CHUNK_SIZE": "8"}, "splitter.chunk_size", ">= 16"),
        ({"AUTBOT_INDEX__CHROMA__HNSW_EF_SEARCH": "0"}, "index.chroma.hnsw_ef_search", ">= 1"),
        ({"AUTBOT_INDEX__WEAVIATE__CONSISTENCY_LEVEL": "TWO"}, "index.weaviate.consistency_level", "ALL, ONE, QUORUM"),
        ({"AUTBOT_INDEX__WEAVIATE__QUANTIZATION": "zip"}, "index.weaviate.quantization", "bq, none, pq, sq"),
        ({"AUTBOT_EMBEDDER__MEMORY_ARENA": "grow"}, "embedder.memory_arena", "keep, off, shrink"),
        ({"AUTBOT_LOGGING__LEVEL": "LOUD"}, "logging.level", "matching regex"),
        ({"AUTBOT_LLM__OPENAI__BASE_URL": "api.example"}, "llm.openai.base_url", "matching regex"),
        ({"AUTBOT_LLM__DEFAULT_OUTPUT_TOKENS": "600"}, "llm.default_output_tokens", "llm.max_output_tokens"),
    ],
)
def test_declared_constraints_fail_naming_the_key(env: dict[str, str], key: str, says: str) -> None:
    with pytest.raises(ConfigurationError) as e:
        load_settings(env=env)
    assert e.value.message.startswith(f"Bad value for setting '{key}': ")
    assert says in e.value.message
    assert e.value.details["key"] == key


def test_log_level_is_case_insensitive() -> None:
    assert load_settings(env={"AUTBOT_LOGGING__LEVEL": "debug"}).logging.level == "debug"


def test_chroma_settings_are_their_own_group() -> None:
    s = load_settings(env={"AUTBOT_INDEX__CHROMA__HNSW_EF_SEARCH": "64"})
    assert (s.index.chroma.hnsw_ef_search, s.index.chroma.hnsw_max_neighbors) == (64, 32)
    with pytest.raises(ConfigurationError, match=r"^Unknown setting 'index\.hnsw_ef_search'\.$"):
        settings_from_dict({"index": {"hnsw_ef_search": 64}})


def test_several_workers_need_a_shared_store_at_load_time() -> None:
    with pytest.raises(ConfigurationError) as e:
        load_settings(env={}, overrides={"server": {"workers": 2}})
    assert "single-process" in e.value.message
    assert "index.backend = 'weaviate'" in e.value.message
    with pytest.raises(ConfigurationError, match="single-process"):
        load_settings("production", env={"AUTBOT_INDEX__BACKEND": "chroma"})
    assert load_settings("production", env={}).server.workers == 2


def test_sources_of_each_value(tmp_path: Path) -> None:
    s, sources = load_settings_with_sources(
        "weaviate",
        env={"AUTBOT_SERVER__PORT": "9001", "AUTBOT_LLM__OPENAI__MODEL": "m", "AUTBOT_PROFILE": "production"},
        overrides={"server": {"host": "0.0.0.0"}},
    )
    assert (s.profile, s.server.port, s.server.host) == ("weaviate", 9001, "0.0.0.0")
    assert sources["index.backend"] == "profile weaviate"
    assert sources["index.weaviate.http_port"] == "profile weaviate"
    assert sources["server.port"] == "env AUTBOT_SERVER__PORT"
    assert sources["llm.openai.model"] == "env AUTBOT_LLM__OPENAI__MODEL"
    assert sources["server.host"] == "override"
    assert sources["profile"] == "override"
    assert sources["splitter.chunk_size"] == "default"
    assert "server" not in sources  # leaves only
    _, sources = load_settings_with_sources(env={"AUTBOT_PROFILE": "production"})
    assert sources["profile"] == "env AUTBOT_PROFILE"
    assert sources["index.backend"] == "profile production"
    _, sources = load_settings_with_sources(env={})
    assert sources["profile"] == "default"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for name in list(os.environ):
        if name.startswith("AUTBOT_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_config_command_shows_values_and_sources_and_hides_credentials(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("AUTBOT_LLM__OPENAI__BASE_URL", "https://user:secret@host/v1")
    clean_env.setenv("AUTBOT_SERVER__PORT", str(SETTING_PORT))  # a value shown, never bound
    assert main(["config", "--profile", "weaviate", "--host", "0.0.0.0"]) == 0
    out = capsys.readouterr().out
    lines = {line.split(" = ")[0]: line for line in out.splitlines()}
    assert "user:secret" not in out
    assert "secret@" not in out
    assert "https://***@host/v1" in lines["llm.openai.base_url"]
    assert lines["llm.openai.base_url"].endswith("# env AUTBOT_LLM__OPENAI__BASE_URL")
    assert lines["server.port"].endswith("# env AUTBOT_SERVER__PORT")
    assert lines["server.host"].endswith("# override")
    assert lines["index.backend"].endswith("# profile weaviate")
    assert lines["splitter.chunk_size"].endswith("# default")
    assert len(lines) == len(load_settings_with_sources(env={})[1])


def test_config_command_json(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    clean_env.setenv("AUTBOT_LLM__OPENAI__BASE_URL", "https://user:secret@host/v1")
    assert main(["config", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert "user:secret" not in out
    assert "secret@" not in out
    assert data["llm.openai.base_url"] == {"value": "https://***@host/v1", "source": "env AUTBOT_LLM__OPENAI__BASE_URL"}
    assert data["server.cors_origins"] == {"value": [], "source": "default"}
    assert data["index.chroma.hnsw_ef_search"]["source"] == "profile local"


def test_config_command_reports_a_bad_configuration(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("AUTBOT_INDEX__BACKEND", "foo")
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert "configuration error: Setting 'index.backend' = 'foo' is not one of: chroma, memory, weaviate." in err
    clean_env.delenv("AUTBOT_INDEX__BACKEND")
    assert main(["config", "--workers", "3"]) == 2
    assert "single-process" in capsys.readouterr().err


_SAFE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=20)


@given(user=st.text(max_size=20), password=st.text(min_size=1, max_size=30), host=_SAFE, path=_SAFE)
def test_redact_url_never_returns_the_userinfo(user: str, password: str, host: str, path: str) -> None:
    assert redact_url(f"https://{user}:{password}@{host}/{path}") == f"https://***@{host}/{path}"


@given(text=st.text(alphabet=st.characters(exclude_characters="@=")))
def test_redact_url_leaves_strings_without_userinfo_alone(text: str) -> None:
    assert redact_url(text) == text
    assert redact_url(f"http://{text}") == f"http://{text}"


def test_cli_client_is_only_an_http_client() -> None:
    import autbot.entrypoints.cli.client as client

    tree = ast.parse(Path(client.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m.split(".")[0] == "autbot"}


def test_cli_search_leaves_top_k_to_the_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import httpx

    bodies: list[dict[str, Any]] = []
    sent_headers: list[dict[str, str]] = []

    def post(url: str, *, json: dict[str, Any], timeout: float, headers: dict[str, str]) -> httpx.Response:
        bodies.append(json)
        sent_headers.append(headers)
        return httpx.Response(200, json={"results": []})

    monkeypatch.setattr(httpx, "post", post)
    monkeypatch.delenv("AUTBOT_API_KEY", raising=False)
    assert main(["search", "q", "-c", "kb", "--url", "http://x"]) == 0
    assert main(["search", "q", "-c", "kb", "--url", "http://x", "--top-k", "3", "--api-key", "abk_k"]) == 0
    assert bodies == [{"query": "q", "mode": "vector"}, {"query": "q", "mode": "vector", "top_k": 3}]
    assert sent_headers == [{}, {"Authorization": "Bearer abk_k"}]  # a key only when one is given
