"""The vocabulary of the settings schema: backend names (one table), constrained value types, the section base."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, get_args

import msgspec

from autbot.entrypoints.settings.chat import SessionsBackend

EmbedderBackend = Literal["onnx", "hashing"]
MemoryArena = Literal["shrink", "keep", "off"]
IndexBackend = Literal["chroma", "weaviate", "memory"]
LlmBackend = Literal["local", "openai", "fake"]
SecretsBackend = Literal["env", "file"]
KeysBackend = Literal["sqlite", "redis", "memory"]
QuotaStorage = Literal["memory", "redis"]
AuditBackend = Literal["sqlite", "redis", "memory"]

BACKENDS: dict[str, tuple[str, ...]] = {
    "embedder.backend": get_args(EmbedderBackend),
    "index.backend": get_args(IndexBackend),
    "llm.backend": get_args(LlmBackend),
    "secrets.backend": get_args(SecretsBackend),
    "auth.keys_backend": get_args(KeysBackend),
    "limits.storage": get_args(QuotaStorage),
    "sessions.backend": get_args(SessionsBackend),
    "audit.backend": get_args(AuditBackend),
}
"""The one source of valid backend names, by setting key (the container's selectors must match it)."""

ConsistencyLevel = Literal["ONE", "QUORUM", "ALL"]
Quantization = Literal["none", "pq", "bq", "sq"]
LimitStrategy = Literal["moving-window", "fixed-window"]
OnRedisFailure = Literal["memory", "closed"]
Fusion = Literal["relative_score", "reciprocal_rank"]

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Rate = Annotated[str, msgspec.Meta(min_length=3, max_length=64)]
"""A rate in the ``limits`` library's notation (``600/minute``); the loader parses it (``loader._check``)."""
HttpUrl = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]+\Z")]
AllowedHost = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(\*|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*|"
        r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?(:[0-9]{1,5})?)\Z"
    ),
]
SecretName = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]+\Z")]
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (``127.0.0.0/8``, ``::1``, also in brackets): only this machine."""
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass
