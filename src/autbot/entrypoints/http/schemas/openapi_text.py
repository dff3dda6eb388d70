"""OpenAPI descriptions from use-case docstrings, with the numbers of ``autbot.domain.limits`` filled in.

A use case's docstring states its rules and doubles as its route's description; where a rule names a limit it
writes ``limits.NAME`` (the one source), and the description shows that limit's value.
"""

from __future__ import annotations

import re

from autbot.domain import limits

_LIMIT = re.compile(r"``limits\.([A-Z][A-Z0-9_]*)``")


def described(use_case: type) -> str:
    """``use_case``'s docstring with each ``limits.NAME`` replaced by its value (an unknown name fails at import)."""
    return _LIMIT.sub(lambda m: _shown(getattr(limits, m.group(1))), use_case.__doc__ or "")


def _shown(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,g}"
