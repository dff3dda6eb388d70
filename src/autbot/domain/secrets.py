"""Rules about secret values (stdlib only): hiding credentials in URLs (userinfo and query tokens), and
rotation windows.

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
_EMBEDDED_USERINFO = re.compile(r"(?P<scheme>(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://)[^\s/@'\"<>]*@")
_PARAM = re.compile(r"(?P<lead>[?&#;])(?P<name>[^=&#;\s'\"<>]+)=(?P<value>[^&#;\s'\"<>]*)")
SECRET_PARAM_PARTS = ("token", "secret", "passw", "signature", "credential", "apikey", "api_key", "access_key")
"""A query parameter whose name (lower case, ``-`` read as ``_``) contains one of these holds a secret."""
SECRET_PARAM_NAMES = frozenset({"key", "sig", "pwd", "auth", "authorization", "code", "jwt", "session"})
"""Query parameter names that hold a secret as they are."""
HIDDEN = "***"


def secret_param(name: str) -> bool:
    """Whether a query parameter named ``name`` carries a credential (``token``, ``api_key``, ``sig``, ...)."""
    n = name.lower().replace("-", "_")
    return n in SECRET_PARAM_NAMES or any(part in n for part in SECRET_PARAM_PARTS)


def redact_url(value: str) -> str:
    """``value`` with the credentials of the URLs in it hidden (``***``); anything else unchanged.

    - Userinfo (``user:password@``): for a string that starts with a URL, everything between ``scheme://``
      and the last ``@`` (erring on the side of hiding); for a URL inside a longer text, up to its ``@``.
    - Query and fragment parameters that carry a secret (``token``, ``key``, ``api_key``, ``access_token``,
      ``secret``, ``password``, ``sig``, ... see ``secret_param``): their value, the name kept.
    """
    if "://" in value:
        value = _USERINFO.sub(rf"\g<scheme>{HIDDEN}@", value, count=1)
        value = _EMBEDDED_USERINFO.sub(rf"\g<scheme>{HIDDEN}@", value)
    if "=" in value:
        value = _PARAM.sub(_hide_param, value)
    return value


def _hide_param(m: re.Match[str]) -> str:
    if not m.group("value") or not secret_param(m.group("name")):
        return m.group(0)
    return f"{m.group('lead')}{m.group('name')}={HIDDEN}"


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
