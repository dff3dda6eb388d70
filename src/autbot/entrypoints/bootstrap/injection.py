"""dependency-injector, imported without the optional integrations it looks for at import time.

On import, ``dependency_injector.providers`` tries ``pydantic_settings`` (else ``pydantic``) and ``yaml`` for
``Configuration.from_pydantic``/``from_yaml``, and ``dependency_injector.wiring`` tries ``werkzeug``,
``fastapi``, ``starlette`` and ``fast_depends``. AutBot uses none of these features, but the packages are
installed (chromadb needs pydantic-settings), and importing them adds to every start-up (docs/benchmarks.md).
They are hidden while dependency-injector is imported, then visible again to whoever needs them (the
embedded store imports pydantic-settings when it opens). Import ``containers``/``providers`` from here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

_NOT_NEEDED = frozenset({"pydantic_settings", "pydantic", "yaml", "werkzeug", "fastapi", "starlette", "fast_depends"})


class _Hide:
    """A meta-path finder that makes ``import name`` raise ImportError for the names above (not yet imported)."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name.partition(".")[0] in _NOT_NEEDED:
            raise ModuleNotFoundError(f"{name} is not imported for dependency-injector", name=name)
        return None


def _import_without_extras() -> None:
    if "dependency_injector.providers" in sys.modules:
        return
    hide = _Hide()
    sys.meta_path.insert(0, hide)
    try:
        import dependency_injector.containers
        import dependency_injector.providers  # noqa: F401
    finally:
        sys.meta_path.remove(hide)


_import_without_extras()

from dependency_injector import containers, providers  # noqa: E402

__all__ = ["containers", "providers"]
