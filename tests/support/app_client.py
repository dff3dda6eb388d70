"""The one way unit tests get an app: ``create_app`` over fakes, behind Litestar's ``TestClient`` on a loopback
base URL. ``fake_settings`` gives the settings (sections deep-merged over ``FAKES``), ``fake_app`` the app (for tests
that drive it as raw ASGI), ``app_client`` the client; ``tests/conftest.py``'s ``client`` is ``app_client()``
started."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeAlias

from litestar import Litestar
from litestar.testing import TestClient

from autbot.entrypoints.http.app import create_app
from autbot.entrypoints.settings import Settings, load_settings

AppClient: TypeAlias = TestClient[Litestar]
"""What ``app_client`` returns and the ``client`` fixture yields."""

LOOPBACK_BASE_URL: Final = "http://127.0.0.1:8000"
"""Litestar's default ``testserver.local`` is not an allowed host (400 ``invalid_host``)."""

FAKES: Final[Mapping[str, Mapping[str, Any]]] = {
    "embedder": {"backend": "hashing"},
    "index": {"backend": "memory"},
    "llm": {"backend": "fake", "min_vector_score": 0.0},
    "auth": {"keys_backend": "memory"},
    "sessions": {"backend": "memory"},
    "audit": {"backend": "memory"},
}
"""Every backend a fake: the app answers in process, with no model, no file and no process started."""


def fake_settings(**sections: Mapping[str, Any]) -> Settings:
    """The ``local`` profile over ``FAKES``, no environment; each section is merged into the fake one."""
    return load_settings("local", env={}, overrides=_merged(FAKES, sections))


def fake_app(settings: Settings | None = None, *, overrides: Mapping[str, object] | None = None) -> Litestar:
    """``create_app`` over ``settings`` (default: ``fake_settings()``); ``overrides`` replace container
    providers by name (``llm``, ``key_store``, ``reader``...)."""
    return create_app(settings or fake_settings(), dict(overrides) if overrides else None)


def app_client(
    settings: Settings | None = None, *, overrides: Mapping[str, object] | None = None, **client: Any
) -> AppClient:
    """A TestClient of ``fake_app(settings, overrides=overrides)``: ``with`` it to start the app. ``client``
    goes to TestClient (``raise_server_exceptions``...); the base URL is the loopback one."""
    app = fake_app(settings, overrides=overrides)
    return TestClient(app, base_url=client.pop("base_url", LOOPBACK_BASE_URL), **client)


def _merged(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        below = merged.get(key)
        if isinstance(below, Mapping) and isinstance(value, Mapping):
            value = _merged(below, value)
        merged[key] = value
    return merged
