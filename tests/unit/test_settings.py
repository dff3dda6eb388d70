from __future__ import annotations

from pathlib import Path

import pytest

from autbot.domain.errors import ConfigurationError
from autbot.entrypoints.container import build_container
from autbot.entrypoints.settings import bundled_profiles, load_settings


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
    f.write_text('[server]\nport = 8123\n[index]\nbackend = "memory"\n')
    assert load_settings(str(f), env={}).server.port == 8123
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
def test_unknown_backend_fails_listing_the_valid_ones(section: str, name: str, valid: str) -> None:
    s = load_settings(env={}, overrides={section: {"backend": name}})
    with pytest.raises(ConfigurationError) as e:
        build_container(s)
    assert valid in e.value.message
    assert f"{section}.backend" in e.value.message


def test_overrides_replace_providers() -> None:
    from autbot.adapters.llm.fake import ScriptedLanguageModel

    fake = ScriptedLanguageModel()
    s = load_settings(env={}, overrides={"embedder": {"backend": "hashing"}, "index": {"backend": "memory"}})
    container = build_container(s, {"llm": fake})
    assert container.llm() is fake
    with pytest.raises(ConfigurationError):
        build_container(s, {"nonexistent": fake})
