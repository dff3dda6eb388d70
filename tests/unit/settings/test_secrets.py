"""Required secrets at start-up, rotation windows, SIGHUP, and the server settings that bound connections."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from autbot.adapters.secrets.stores import StaticSecretStore
from autbot.domain.errors import ConfigurationError, MissingSecret
from autbot.domain.secrets import matches_rotating_secret, rotation_names
from autbot.entrypoints.bootstrap.secrets import check_required_secrets, refresh_on_sighup, required_secrets
from autbot.entrypoints.cli import main
from autbot.entrypoints.http.app import create_app
from autbot.entrypoints.settings import load_settings
from tests.support.app_client import fake_settings

OPENAI = {"llm": {"backend": "openai", "openai": {"base_url": "https://api.openai.com/v1"}}}


def test_the_openai_key_is_implied_only_for_openai_itself() -> None:
    assert required_secrets(load_settings("local", env={}, overrides=OPENAI)) == {
        "openai_api_key": "llm.openai.base_url is OpenAI's API"
    }
    local_endpoint = {"llm": {"backend": "openai", "openai": {"base_url": "http://127.0.0.1:8081/v1"}}}
    assert required_secrets(load_settings("local", env={}, overrides=local_endpoint)) == {}
    assert required_secrets(load_settings("local", env={})) == {}


def test_listed_secrets_are_required_and_named_never_shown() -> None:
    s = load_settings("local", env={}, overrides={**OPENAI, "secrets": {"required": ["weaviate_api_key"]}})
    store = StaticSecretStore({"weaviate_api_key": "present-value", "openai_api_key": ""})
    with pytest.raises(MissingSecret) as caught:
        check_required_secrets(s, store)
    assert caught.value.details["secrets"] == ["openai_api_key"]  # empty is missing
    assert "AUTBOT_SECRET_OPENAI_API_KEY" in caught.value.message
    assert "present-value" not in caught.value.message
    store.set("openai_api_key", "sk-x")
    check_required_secrets(s, store)


def test_the_file_backend_names_the_file() -> None:
    s = load_settings(
        "local", env={}, overrides={"secrets": {"backend": "file", "directory": "/run/s", "required": ["tok"]}}
    )
    with pytest.raises(MissingSecret, match="/run/s/tok"):
        check_required_secrets(s, StaticSecretStore())


def test_secret_names_are_validated() -> None:
    with pytest.raises(ConfigurationError, match=r"secrets\.required"):
        load_settings("local", env={"AUTBOT_SECRETS__REQUIRED": '["../etc/passwd"]'})


def test_create_app_refuses_to_start_without_a_required_secret() -> None:
    s = fake_settings(secrets={"required": ["must_exist_canary"]})
    with pytest.raises(MissingSecret, match="must_exist_canary"):
        create_app(s)
    create_app(s, overrides={"secrets": StaticSecretStore({"must_exist_canary": "v"})})


def test_serve_exits_2_naming_the_missing_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        "AUTBOT_EMBEDDER__BACKEND": "hashing",
        "AUTBOT_INDEX__BACKEND": "memory",
        "AUTBOT_LLM__BACKEND": "openai",
        "AUTBOT_AUTH__KEYS_BACKEND": "memory",
        "AUTBOT_SECRET_OPENAI_API_KEY": "",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main(["serve", "--port", "1"]) == 2  # fails before it would listen
    assert "openai_api_key" in capsys.readouterr().err


def test_rotation_window_accepts_current_and_previous() -> None:
    assert rotation_names("hook_token") == ("hook_token", "hook_token_previous")
    store = StaticSecretStore({"hook_token": "new", "hook_token_previous": "old"})
    assert matches_rotating_secret("new", store.get, "hook_token")
    assert matches_rotating_secret("old", store.get, "hook_token")
    assert not matches_rotating_secret("other", store.get, "hook_token")
    store.set("hook_token_previous", None)  # the window closes
    assert not matches_rotating_secret("old", store.get, "hook_token")
    assert not matches_rotating_secret("", StaticSecretStore({"hook_token": ""}).get, "hook_token")


class CountingStore(StaticSecretStore):
    def __init__(self) -> None:
        super().__init__()
        self.refreshes = 0

    def refresh(self) -> None:
        self.refreshes += 1


def test_sighup_refreshes_the_secret_store() -> None:
    store = CountingStore()
    install, remove = refresh_on_sighup(store)

    async def scenario() -> None:
        install()
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(100):
            if store.refreshes:
                break
            await asyncio.sleep(0.01)
        remove()

    asyncio.run(scenario())
    assert store.refreshes == 1


def test_server_timeout_defaults_and_bounds() -> None:
    server = load_settings("local", env={}).server
    assert (server.header_timeout_s, server.body_timeout_s, server.shutdown_grace_s) == (10.0, 30.0, 20.0)
    assert server.max_connections == 512
    assert server.allowed_hosts == ["127.0.0.1", "localhost", "[::1]", "::1"]
    for key, bad in (("HEADER_TIMEOUT_S", "0"), ("MAX_CONNECTIONS", "0"), ("SHUTDOWN_GRACE_S", "-1")):
        with pytest.raises(ConfigurationError, match=f"server.{key.lower()}"):
            load_settings("local", env={f"AUTBOT_SERVER__{key}": bad})
