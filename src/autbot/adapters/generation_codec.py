"""Generation records as JSON text, shared by the stores that keep them (SQLite, Weaviate)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from autbot.domain.generations import Generation, GenerationState
from autbot.domain.golden_sets import GenerationFigures


def generation_json(generation: Generation) -> str:
    data = asdict(generation)
    data["state"] = generation.state.value
    return json.dumps(data, separators=(",", ":"))


def generation_of(body: str) -> Generation:
    data: dict[str, Any] = json.loads(body)
    data["state"] = GenerationState(data["state"])
    figures = data.get("figures")
    data["figures"] = None if figures is None else GenerationFigures(**figures)
    return Generation(**data)
