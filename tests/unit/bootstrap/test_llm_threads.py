"""The local model's threads leave the server's own job workers their embedding cores."""

from __future__ import annotations

import pytest

from autbot.entrypoints.bootstrap.factories.language_models import llm_threads
from autbot.entrypoints.settings import load_settings


@pytest.mark.parametrize(
    ("env", "cpus", "threads"),
    [
        ({}, 2, 1),  # the default: one job worker embedding on one thread of its own
        ({}, 8, 7),
        ({}, 1, 1),  # never fewer than one
        ({"AUTBOT_JOBS__WORKERS": "0"}, 2, 2),  # jobs run elsewhere (autbot worker)
        ({"AUTBOT_JOBS__EMBEDDER_THREADS": "0"}, 2, 2),  # workers share the server's embedder: nothing reserved
        ({"AUTBOT_JOBS__WORKERS": "2", "AUTBOT_JOBS__EMBEDDER_THREADS": "2"}, 16, 12),
        ({"AUTBOT_EMBEDDER__BACKEND": "hashing"}, 2, 2),
        ({"AUTBOT_LLM__LOCAL__THREADS": "3"}, 2, 3),  # said explicitly: as said
    ],
)
def test_threads(env: dict[str, str], cpus: int, threads: int) -> None:
    assert llm_threads(load_settings(env=env), cpus=cpus) == threads


def test_it_counts_the_cpus_this_process_may_use() -> None:
    assert llm_threads(load_settings(env={"AUTBOT_JOBS__WORKERS": "0"})) >= 1
