"""Rules about secret values (stdlib only): hiding credentials in URLs, and rotation windows.

A secret AutBot verifies itself (a shared token it compares with what a caller presents) may rotate
without a restart: during the rotation window both ``<name>`` and ``<name>_previous`` are valid, and
the comparison takes the same time whichever matches. Upstream credentials (an OpenAI key, a Weaviate
key) are not verified here: adapters only re-read them through the secret store.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable

PREVIOUS_SUFFIX = "_previous"

_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>.*)@", re.DOTALL)


def redact_url(value: str) -> str:
    """``value`` with a URL's userinfo (``user:password@``) replaced by ``***``; other strings unchanged.

    Errs on the side of hiding: everything between ``scheme://`` and the last ``@`` is replaced.
    """
    return _USERINFO.sub(r"\g<scheme>***@", value, count=1)


def rotation_names(name: str) -> tuple[str, str]:
    """The secret names valid during a rotation: the current one and the one it replaces."""
    return name, f"{name}{PREVIOUS_SUFFIX}"


def matches_rotating_secret(presented: str, lookup: Callable[[str], str | None], name: str) -> bool:
    """True when ``presented`` equals the current value of ``name`` or of ``name_previous``.

    Both are always compared (in constant time), so the time taken does not say which one matched or
    whether a previous value exists. An empty or missing secret never matches.
    """
    matched = False
    for candidate in rotation_names(name):
        value = lookup(candidate)
        if value and hmac.compare_digest(presented.encode(), value.encode()):
            matched = True
    return matched
