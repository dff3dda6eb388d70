"""Where settings come from: a TOML profile, then ``AUTBOT_*`` environment overrides, then programmatic ones.

Environment overrides name a setting by its path with double underscores:
``AUTBOT_SERVER__PORT=9000``, ``AUTBOT_LLM__OPENAI__BASE_URL=http://127.0.0.1:8080/v1``.
Values are read as TOML literals when they parse (numbers, booleans, arrays), else as strings.
The loader records where each effective value came from (``default``, ``profile NAME``,
``env AUTBOT_X__Y`` or ``override``) and turns every validation error into a message naming the key.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from autbot.domain.errors import ConfigurationError
from autbot.domain.quotas import parse_rates
from autbot.entrypoints.settings.schema import BACKENDS, Settings, redact_url
from autbot.entrypoints.settings.types import is_loopback

PROFILES_DIR = Path(__file__).parent / "profiles"
ENV_PREFIX = "AUTBOT_"
DEFAULT_PROFILE = "local"


def bundled_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def _profile_data(profile: str) -> dict[str, Any]:
    path = Path(profile)
    if path.suffix != ".toml":
        path = PROFILES_DIR / f"{profile}.toml"
        if not path.is_file():
            raise ConfigurationError(
                f"Unknown profile '{profile}'. Bundled profiles: {', '.join(bundled_profiles())}; "
                "or give the path of a .toml file.",
                profile=profile,
            )
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as e:
        raise ConfigurationError(f"Profile file {path} does not exist.") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigurationError(f"Profile {path} is not valid TOML: {e}") from e


def _env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _set_path(data: dict[str, Any], path: list[str], value: Any, origin: str) -> None:
    node = data
    for key in path[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigurationError(f"{origin}: '{key}' is not a section.", key=".".join(path))
        node = child
    node[path[-1]] = value


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), dict) else v
    return out


def _leaves(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted key -> value for every non-table value (arrays are values)."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_leaves(v, f"{key}."))
        else:
            out[key] = v
    return out


def load_settings_with_sources(
    profile: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Settings, dict[str, str]]:
    """Like :func:`load_settings`, with where each leaf value came from (dotted key -> source).

    A source is ``default``, ``profile NAME``, ``env AUTBOT_X__Y`` or ``override``.
    """
    env = os.environ if env is None else env
    name = profile or env.get(f"{ENV_PREFIX}PROFILE") or DEFAULT_PROFILE
    data = _profile_data(name)
    sources = dict.fromkeys(_leaves(data), f"profile {name}")
    if "profile" not in data:
        data["profile"] = Path(name).stem
        if profile:
            sources["profile"] = "override"
        elif env.get(f"{ENV_PREFIX}PROFILE"):
            sources["profile"] = f"env {ENV_PREFIX}PROFILE"
    for key, raw in sorted(env.items()):
        if key.startswith(ENV_PREFIX) and "__" in key:
            path = [p.lower() for p in key[len(ENV_PREFIX) :].split("__")]
            value = _env_value(raw)
            _set_path(data, path, value, origin=key)
            dotted = ".".join(path)
            leaves = _leaves(value, f"{dotted}.") if isinstance(value, Mapping) else {dotted: value}
            sources.update(dict.fromkeys(leaves, f"env {key}"))
    if overrides:
        data = _merge(data, overrides)
        sources.update(dict.fromkeys(_leaves(overrides), "override"))
    settings = settings_from_dict(data)
    effective = _leaves(msgspec.to_builtins(settings))
    return settings, {key: sources.get(key, "default") for key in effective}


def load_settings(
    profile: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Profile (argument, else ``AUTBOT_PROFILE``, else ``local``), then env, then ``overrides``."""
    return load_settings_with_sources(profile, env=env, overrides=overrides)[0]


def effective_settings(settings: Settings) -> dict[str, Any]:
    """Every leaf setting, dotted key -> value, with credentials in URLs redacted (safe to print)."""

    def safe(value: Any) -> Any:
        if isinstance(value, str):
            return redact_url(value)
        if isinstance(value, list):
            return [safe(v) for v in value]
        return value

    return {key: safe(v) for key, v in _leaves(msgspec.to_builtins(settings)).items()}


_UNKNOWN = re.compile(r"Object contains unknown field `(?P<field>[^`]+)`(?: - at `\$(?P<at>[^`]*)`)?")
_AT = re.compile(r"(?P<msg>.*?)(?: - at `\$(?P<at>[^`]*)`)?", re.DOTALL)


def settings_from_dict(data: Mapping[str, Any]) -> Settings:
    """Validate ``data`` (nested tables) into :class:`Settings`; errors name the dotted key."""
    try:
        settings = msgspec.convert(dict(data), Settings, strict=False)
    except msgspec.ValidationError as e:
        raise _configuration_error(str(e), data) from e
    _check(settings)
    return settings


def _configuration_error(text: str, data: Mapping[str, Any]) -> ConfigurationError:
    unknown = _UNKNOWN.match(text)
    if unknown:
        key = _dotted(unknown.group("at"), unknown.group("field"))
        return ConfigurationError(f"Unknown setting '{key}'.", key=key)
    m = _AT.fullmatch(text)
    key = _dotted(m.group("at") if m else None, None)
    msg = m.group("msg") if m else text
    choices = _literal_choices(key)
    if choices is not None and msg.startswith("Invalid enum value"):
        value = _lookup(data, key)
        shown = redact_url(value) if isinstance(value, str) else value
        if key in BACKENDS:
            return ConfigurationError(
                f"Setting '{key}' = '{shown}' is not one of: {', '.join(sorted(BACKENDS[key]))}.", key=key
            )
        msg = f"{msg}; expected one of: {', '.join(sorted(map(str, choices)))}"
    return ConfigurationError(f"Bad value for setting '{key}': {redact_url(msg)}.", key=key)


def _dotted(at: str | None, last: str | None) -> str:
    parts = [p for p in re.split(r"[.\[\]]", at or "") if p]
    if last:
        parts.append(last)
    return ".".join(parts) or "(root)"


def _lookup(data: Mapping[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _literal_choices(key: str) -> tuple[Any, ...] | None:
    """The allowed values of the ``Literal`` setting at ``key``, else ``None``."""
    info: msgspec.inspect.Type = msgspec.inspect.type_info(Settings)
    for part in key.split("."):
        if not isinstance(info, msgspec.inspect.StructType):
            return None
        found = next((f for f in info.fields if f.name == part), None)
        if found is None:
            return None
        info = found.type
    return info.values if isinstance(info, msgspec.inspect.LiteralType) else None


def _check(s: Settings) -> None:
    """Rules that span several fields (single-field rules are declared in the schema)."""

    def need(ok: bool, key: str, why: str) -> None:
        if not ok:
            raise ConfigurationError(f"Bad value for setting '{key}': {why}.", key=key)

    need("*" not in s.server.cors_origins, "server.cors_origins", "'*' is not allowed; list the origins")
    need(
        "*" not in s.server.allowed_hosts or is_loopback(s.server.host),
        "server.allowed_hosts",
        f"'*' is only allowed on a loopback server (server.host is {s.server.host}); list the host names",
    )
    for proxy in s.server.trusted_proxies:
        need(_network(proxy), "server.trusted_proxies", f"{proxy!r} is not an IP address or network (10.0.0.0/8)")
    need(
        s.splitter.chunk_overlap < s.splitter.chunk_size,
        "splitter.chunk_overlap",
        "must be smaller than splitter.chunk_size",
    )
    need(
        s.llm.default_output_tokens <= s.llm.max_output_tokens,
        "llm.default_output_tokens",
        "must be at most llm.max_output_tokens",
    )
    for name in ("query", "search", "ingest"):
        rate = getattr(s.limits, name)
        need(
            _is_rate(rate),
            f"limits.{name}",
            f"{rate!r} is not one rate like '600/minute', '10/second' or '1000 per day'",
        )
    if s.server.workers > 1 and s.index.backend == "chroma":
        raise ConfigurationError(
            f"server.workers = {s.server.workers}, but the embedded vector store (index.backend = 'chroma') is "
            "single-process. Run one worker, or use index.backend = 'weaviate' (profile 'production') to scale out.",
            key="server.workers",
        )
    need(
        s.server.workers == 1 or s.jobs.backend == "redis" or s.index.backend == "memory",
        "jobs.backend",
        "the embedded job queue belongs to one process; with server.workers > 1 use jobs.backend = 'redis'",
    )


def _is_rate(text: str) -> bool:
    """One rate of at least 1 request, in the ``limits`` library's notation (what the rate limiter parses)."""
    try:
        items = parse_rates(text)
    except ValueError:
        return False
    return len(items) == 1 and items[0].amount >= 1


def _network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True
