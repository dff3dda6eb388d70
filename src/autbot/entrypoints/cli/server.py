"""Commands that build settings or the app: ``serve`` and ``config``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    flags = (("host", args.host), ("port", args.port), ("workers", args.workers))
    return {"server": {k: v for k, v in flags if v is not None}}


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from autbot.entrypoints.http.app import create_app
    from autbot.entrypoints.settings import load_settings

    overrides = _overrides(args)
    settings = load_settings(args.profile, overrides=overrides)  # refuses workers > 1 with the embedded store
    server = settings.server
    if server.workers > 1:
        if args.profile:
            os.environ["AUTBOT_PROFILE"] = args.profile
        os.environ.update({f"AUTBOT_SERVER__{k.upper()}": str(v) for k, v in overrides["server"].items()})
        uvicorn.run(
            "autbot.entrypoints.http.app:app_from_env",
            factory=True,
            host=server.host,
            port=server.port,
            workers=server.workers,
            log_level="warning",
            access_log=False,
        )
        return 0
    app = create_app(settings)
    print(
        f"AutBot serving on http://{server.host}:{server.port} (profile {settings.profile}; API docs at /schema)",
        file=sys.stderr,
    )
    uvicorn.run(app, host=server.host, port=server.port, log_level="warning", access_log=False)
    return 0


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
