"""Litestar without the plugins it adds for libraries AutBot does not use.

``Litestar.__init__`` adds the Pydantic plugins whenever pydantic is installed and the attrs plugin whenever
attrs is: AutBot's schemas are msgspec structs, but both packages are installed (chromadb and others need
them), and importing them for the plugins adds to every start-up (docs/benchmarks.md, "Start-up to ready").
This subclass keeps Litestar's own msgspec plugin only. ``_get_default_plugins`` is Litestar's (private) hook
for exactly this choice; ``tests/unit/http/test_lean_start.py`` checks it still takes effect.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.plugins import PluginProtocol


class LeanLitestar(Litestar):
    @staticmethod
    def _get_default_plugins(plugins: list[PluginProtocol]) -> list[PluginProtocol]:
        from litestar.plugins.core import MsgspecDIPlugin

        return [*plugins, MsgspecDIPlugin()]
