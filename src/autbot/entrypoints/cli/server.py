"""Commands that build settings or the app: ``serve`` and ``config``."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    flags = (("host", args.host), ("port", args.port), ("workers", args.workers))
    return {"server": {k: v for k, v in flags if v is not None}}


def serve(args: argparse.Namespace) -> int:
    """Both paths run under ``serving.run``: header and body timeouts, bounded graceful shutdown, a cap on
    connections per worker (``server.header_timeout_s``, ``body_timeout_s``, ``shutdown_grace_s``,
    ``max_connections``), under the HTTP parser ``server.http_parser`` chooses."""
    from autbot.entrypoints.bootstrap.container import build_container
    from autbot.entrypoints.bootstrap.memory import limit_malloc_arenas
    from autbot.entrypoints.bootstrap.secrets import check_required_secrets
    from autbot.entrypoints.http.app import create_app
    from autbot.entrypoints.observability.logs import banner, configure_logging
    from autbot.entrypoints.server import runtime as serving
    from autbot.entrypoints.server.metrics import metrics_environment
    from autbot.entrypoints.settings import load_settings

    overrides = _overrides(args)
    settings = load_settings(args.profile, overrides=overrides)  # refuses workers > 1 with the embedded store
    configure_logging(settings.logging)  # from the first line on: one stream (JSON with logging.json)
    limit_malloc_arenas(settings.server.malloc_arenas)  # before the model and server threads start
    server = settings.server
    where, parser = f"http://{server.host}:{server.port}", f"HTTP parser {serving.resolved_parser(server.http_parser)}"
    metrics_environment(settings)  # several workers: one metrics directory they all write to
    if server.workers > 1:
        check_required_secrets(settings, build_container(settings).secrets())  # exit 2 here, not in each worker
        if args.profile:
            os.environ["AUTBOT_PROFILE"] = args.profile
        os.environ.update({f"AUTBOT_SERVER__{k.upper()}": str(v) for k, v in overrides["server"].items()})
        banner(f"AutBot serving on {where} with {server.workers} workers ({parser})")
        return serving.run(serving.server_config("autbot.entrypoints.http.app:app_from_env", server, factory=True))
    app = create_app(settings)
    banner(f"AutBot serving on {where} (profile {settings.profile}; {parser}; API docs at /schema)")
    return serving.run(serving.server_config(app, server))


def config(args: argparse.Namespace) -> int:
    """Print every effective setting (dotted key), its value and where it came from; URL credentials hidden."""
    from autbot.entrypoints.settings import effective_settings, load_settings_with_sources

    settings, sources = load_settings_with_sources(args.profile, overrides=_overrides(args))
    values = effective_settings(settings)
    if args.json:
        print(json.dumps({k: {"value": v, "source": sources[k]} for k, v in values.items()}, indent=2))
        return 0
    shown = {k: json.dumps(v) for k, v in values.items()}
    width = max(len(k) + len(v) for k, v in shown.items()) + 3
    for key, value in shown.items():
        print(f"{f'{key} = {value}':<{width}}  # {sources[key]}")
    return 0


def worker(args: argparse.Namespace) -> int:
    """``autbot worker``: run job batches from Redis (see ``autbot.entrypoints.worker``)."""
    from autbot.entrypoints.settings import load_settings
    from autbot.entrypoints.worker import run

    port = getattr(args, "metrics_port", None)
    settings = load_settings(args.profile, overrides={"metrics": {"port": port}} if port is not None else None)
    return run(settings, args.threads or max(settings.jobs.workers, 1))
