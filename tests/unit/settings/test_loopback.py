"""One answer to "is this host only this machine?", for the settings check and the key requirement."""

from __future__ import annotations

import pytest

from autbot.entrypoints.settings.types import is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "localhost."])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.1", "example.com", "localhost.example", "", "[::2]"])
def test_other_hosts(host: str) -> None:
    assert not is_loopback(host)
