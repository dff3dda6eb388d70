"""Adapter factories, one module per port family: each builds one adapter from settings and returns it as
its port, importing the adapter (and its SDK) only when that backend is chosen.

The container (``bootstrap/container.py``) picks among them with ``providers.Selector``. A factory whose
adapter holds a client is a generator (a ``providers.Resource``): the adapter is closed with the container.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TypeVar


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


def closing(resource: C) -> Iterator[C]:
    """``resource`` for the container's lifetime, closed on shutdown (``yield from closing(...)``)."""
    try:
        yield resource
    finally:
        resource.close()
