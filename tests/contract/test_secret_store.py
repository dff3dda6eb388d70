"""The SecretStore contract: static, environment and file stores; a rotated secret is seen by the next get."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from autbot.adapters.secrets.stores import EnvSecretStore, FileSecretStore, StaticSecretStore
from autbot.ports.secret_store import SecretStore


@dataclass
class SecretSource:
    store: SecretStore
    write: Callable[[str, str | None], None]
    """Change a secret where the operator would (``None`` removes it): a rotation."""


@pytest.fixture(params=["static", "env", "file"])
def source(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretSource:
    if request.param == "static":
        static = StaticSecretStore({"api_key": "s3cret"})
        return SecretSource(static, static.set)
    if request.param == "env":

        def setenv(name: str, value: str | None) -> None:
            if value is None:
                monkeypatch.delenv(f"AUTBOT_SECRET_{name.upper()}", raising=False)
            else:
                monkeypatch.setenv(f"AUTBOT_SECRET_{name.upper()}", value)

        setenv("api_key", "s3cret")
        return SecretSource(EnvSecretStore(), setenv)

    def write_file(name: str, value: str | None) -> None:
        target = tmp_path / name
        if value is None:
            target.unlink(missing_ok=True)
            return
        fresh = tmp_path / f".{name}.new"  # replaced atomically, as Kubernetes and `mv` do
        fresh.write_text(value + "\n")
        fresh.replace(target)

    write_file("api_key", "s3cret")
    return SecretSource(FileSecretStore(directory=str(tmp_path)), write_file)


def test_secret_store_contract(source: SecretSource) -> None:
    secrets = source.store
    assert isinstance(secrets, SecretStore)
    assert secrets.get("api_key") == "s3cret"
    assert secrets.get("missing") is None
    assert "s3cret" not in repr(secrets)


def test_a_rotated_secret_is_seen_by_the_next_get(source: SecretSource) -> None:
    secrets = source.store
    assert secrets.get("api_key") == "s3cret"
    source.write("api_key", "n3w-s3cret")
    assert secrets.get("api_key") == "n3w-s3cret"  # no restart, no refresh needed
    source.write("api_key", "")
    assert secrets.get("api_key") is None  # empty is missing
    source.write("api_key", None)
    assert secrets.get("api_key") is None
    source.write("api_key", "back")
    secrets.refresh()
    assert secrets.get("api_key") == "back"
    assert "back" not in repr(secrets)
