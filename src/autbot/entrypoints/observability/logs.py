"""One log stream: loguru, with the standard library's loggers (uvicorn, litestar, httpx, weaviate, pypdf,
chromadb) routed into it, and, with ``logging.json``, every line a flat JSON object.

A JSON line has the keys log shippers expect, then the event's own fields::

    {"timestamp": "2026-11-20T10:00:00.123Z", "level": "INFO", "message": "POST /v1/collections/{collection}/search
    200", "logger": "autbot.access", "request_id": "4bf9…", "trace_id": "0af7…", "status": 200, …}

``request_id`` comes from :data:`autbot.domain.correlation.REQUEST_ID`, ``trace_id`` from the current
OpenTelemetry span: both are set per request by the HTTP middleware.

Every line loguru writes (AutBot's own and the standard library's: uvicorn, redis, weaviate, ...) passes
``domain.secrets.redact_url`` first: credentials in URLs (``user:password@``, ``?token=``, ``&sig=``, ...)
never reach the stream, whoever logged the URL. The access log writes route templates, never a URL.

The access log (one line per request, logger ``autbot.access``) is written by :func:`access_line`
straight to the same stream, in the same format and under the same lock as loguru's sink, without a loguru
call per request (what that call costs: docs/benchmarks.md, request overhead).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, TextIO

import msgspec
from loguru import logger

from autbot.domain.correlation import current_request_id
from autbot.domain.secrets import redact_url
from autbot.entrypoints.settings import LoggingSettings

_STDLIB_LEVELS = {"TRACE": 5, "SUCCESS": 25}
ACCESS_LOGGER = "autbot.access"
_LINE_LOCK = threading.Lock()
"""Held while a line is written: loguru's sink and the access log share one stream."""
_RESERVED = frozenset({"request_id", "trace_id", "logger", "logger_name", "rid"})


class InterceptHandler(logging.Handler):
    """A stdlib handler that hands every record to loguru, keeping its logger name and level."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        message = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            message = f"{message}: {record.exc_info[0].__name__}: {record.exc_info[1]}"
        logger.bind(logger_name=record.name).opt(depth=0).log(level, message)


def _trace_id() -> str | None:
    try:
        from opentelemetry import trace
    except ImportError:  # pragma: no cover - a dependency
        return None
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None


def _patch(record: Any) -> None:
    extra = record["extra"]
    extra.setdefault("logger_name", record["name"])
    if extra.get("request_id") is None:
        extra["request_id"] = current_request_id()
    extra["trace_id"] = extra.get("trace_id") or _trace_id()
    extra["rid"] = extra["request_id"] or "-"


def json_line(record: Any) -> str:
    """The flat JSON object of one record (loguru ``format`` callables return a template: braces escaped)."""
    extra = record["extra"]
    line: dict[str, Any] = {
        "timestamp": record["time"].astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": record["level"].name,
        "message": record["message"],
        "logger": extra.get("logger_name") or record["name"],
        "request_id": extra.get("request_id"),
        "trace_id": extra.get("trace_id"),
    }
    for key, value in extra.items():
        if key not in _RESERVED:
            line[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
    if record["exception"] is not None:
        error = record["exception"]
        line["error"] = f"{error.type.__name__ if error.type else 'Error'}: {error.value}"
    return msgspec.json.encode(line).decode()


class _JsonSink:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, message: Any) -> None:
        _write(self.stream, redact_url(json_line(message.record)) + "\n")


class _TextSink:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, message: Any) -> None:
        _write(self.stream, redact_url(str(message)))


def _write(stream: TextIO, line: str) -> None:
    with _LINE_LOCK:
        stream.write(line)
        stream.flush()


@dataclass(frozen=True, slots=True)
class _AccessLog:
    stream: TextIO
    json: bool
    floor: int
    """The lowest level written for ``autbot.access``."""


_access: _AccessLog | None = None


def access_line(level: str, message: str, fields: dict[str, Any]) -> None:
    """One access-log line, as loguru would write it for ``logger.bind(logger_name="autbot.access", **fields)``."""
    out = _access
    if out is None:
        logger.bind(logger_name=ACCESS_LOGGER, **fields).log(level, message)  # logging not configured here
        return
    number = logger.level(level).no
    if number < out.floor:
        return
    now = time.time()
    rid = current_request_id()
    if out.json:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
        line: dict[str, Any] = {"timestamp": stamp, "level": level, "message": message, "logger": ACCESS_LOGGER}
        line |= {"request_id": rid, "trace_id": _trace_id(), **fields}
        _write(out.stream, msgspec.json.encode(line).decode() + "\n")
        return
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
    _write(out.stream, f"{stamp} | {level: <8} | {ACCESS_LOGGER} | {rid or '-'} | {message}\n")


_TEXT = (
    "<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> | <level>{level: <8}</level> | "
    "<cyan>{extra[logger_name]}</cyan> | {extra[rid]} | <level>{message}</level>"
)


def _floor_of(name: str, default: str, levels: dict[str, str]) -> int:
    """The lowest level written for logger ``name``: its most specific entry in ``levels``, else ``default``."""
    for prefix in sorted(levels, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return int(logger.level(levels[prefix].upper()).no)
    return int(logger.level(default.upper()).no)


def _level_filter(default: str, levels: dict[str, str]) -> Any:
    floor = {name: logger.level(level.upper()).no for name, level in levels.items()}
    base = logger.level(default.upper()).no
    ordered = sorted(floor, key=len, reverse=True)  # the most specific name wins

    def allowed(record: Any) -> bool:
        name = record["extra"].get("logger_name") or record["name"] or ""
        for prefix in ordered:
            if name == prefix or name.startswith(prefix + "."):
                return bool(record["level"].no >= floor[prefix])
        return bool(record["level"].no >= base)

    return allowed


def configure_logging(settings: LoggingSettings, *, stream: TextIO | None = None) -> None:
    """Route the standard library into loguru and install one sink on stderr (JSON or text)."""
    global _access
    out = stream or sys.stderr
    logger.remove()
    logger.configure(patcher=_patch, extra={"request_id": None, "trace_id": None, "rid": "-"})
    # the sink's own level is the lowest any logger may write: loguru drops a record below it before building it
    lowest = min(
        [logger.level(settings.level.upper()).no, *(logger.level(v.upper()).no for v in settings.levels.values())]
    )
    common: dict[str, Any] = {"level": lowest, "filter": _level_filter(settings.level, settings.levels)}
    common |= {"backtrace": False, "diagnose": False}
    if settings.json:
        logger.add(_JsonSink(out), format="{message}", **common)
    else:
        logger.add(_TextSink(out), format=_TEXT, colorize=False, **common)
    _access = _AccessLog(out, settings.json, _floor_of(ACCESS_LOGGER, settings.level, settings.levels))
    logging.basicConfig(handlers=[InterceptHandler()], level=_stdlib_level(settings.level), force=True)
    for name in list(logging.root.manager.loggerDict):
        existing = logging.getLogger(name)
        existing.handlers = [h for h in existing.handlers if isinstance(h, InterceptHandler)]
        existing.propagate = True
    for name, level in settings.levels.items():
        logging.getLogger(name).setLevel(_stdlib_level(level))
    logging.captureWarnings(True)  # pypdf and friends warn through the warnings module


def _stdlib_level(level: str) -> int:
    name = level.upper()
    return _STDLIB_LEVELS.get(name) or logging.getLevelNamesMapping()[name]


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's ``log_config``: its loggers propagate to the root logger (the intercept), no handlers of
    their own, so the server's own lines join the one stream (in ``--workers`` processes too)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "loggers": {
            name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def banner(text: str) -> None:
    """A start-up line on the log stream (never a bare ``print``: it would break a JSON stream)."""
    logger.bind(logger_name="autbot.serve").info(text)
