"""``autbot eval`` on a tiny BEIR-layout dataset (tests/support/beir_tiny), in-process with the fakes."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from autbot.domain.errors import ConfigurationError
from autbot.domain.model import SearchMode
from autbot.entrypoints.bootstrap.container import build_container
from autbot.entrypoints.cli import main
from autbot.entrypoints.evaluation.dataset import load_beir, safe_id
from autbot.entrypoints.evaluation.runner import EvalOptions, run_eval
from autbot.entrypoints.evaluation.targets import InProcessTarget
from autbot.entrypoints.settings import settings_from_dict

TINY = Path(__file__).resolve().parents[2] / "support" / "beir_tiny"
FAKES = {"AUTBOT_INDEX__BACKEND": "memory", "AUTBOT_EMBEDDER__BACKEND": "hashing", "AUTBOT_LLM__BACKEND": "fake"}


def test_reads_the_beir_layout() -> None:
    data = load_beir(TINY)
    assert data.name == "beir_tiny"
    ids = [d.id for d in data.corpus]
    assert "d13" not in ids  # neither text nor title: nothing to ingest
    assert next(d for d in data.corpus if d.id == "d12").text == "Empty"  # no text: the title stands in
    assert safe_id("MED/9") in ids
    assert safe_id("MED/9").startswith("beir-")
    untitled = next(d for d in data.corpus if d.id == "d11")
    assert untitled.title is None
    assert list(data.queries) == ["q1", "q2", "q3", "q4", "q5"]  # q6 unjudged, q7 judged not relevant
    assert data.qrels["q3"] == {safe_id("MED/9"): 1}
    assert list(load_beir(TINY, limit_queries=2).queries) == ["q1", "q2"]


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="qrels"):
        load_beir(tmp_path)


def test_runs_the_real_paths_in_process_and_reuses_a_full_collection() -> None:
    settings = settings_from_dict({"index": {"backend": "memory"}, "embedder": {"backend": "hashing"}})
    target = InProcessTarget(build_container(settings))
    data = load_beir(TINY)
    options = EvalOptions(collection="tiny", mode=SearchMode.HYBRID, progress=False)
    first = run_eval(target, data, options)
    assert first.ingested
    assert first.ingest_s is not None
    assert first.documents == len(data.corpus)
    assert first.queries == 5
    assert 0.0 < first.quality.ndcg_at_10 <= 1.0
    assert first.quality.recall_at_100 == 1.0  # 11 documents, top 100 chunks: every one is found
    assert first.search_p99_ms >= first.search_p50_ms > 0
    again = run_eval(target, data, options)
    assert not again.ingested
    assert again.ingest_s is None
    assert again.quality == first.quality
    floored = run_eval(target, data, replace(options, min_vector_score=0.99))  # the answer path's floor, raised
    assert floored.min_vector_score == 0.99
    assert floored.quality.recall_at_100 < first.quality.recall_at_100  # pages below it are no longer found
    target.drop("tiny")
    assert target.documents("tiny") == 0
    target.close()


def test_the_command_prints_json(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in FAKES.items():
        monkeypatch.setenv(key, value)
    assert main(["eval", str(TINY), "--json", "--mode", "keyword", "--limit-queries", "3"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["queries"] == 3
    assert report["mode"] == "keyword"
    assert report["ingested"]
    assert report["quality"]["mrr_at_10"] > 0.5  # the keyword fake finds most of these by their words
    assert main(["eval", str(TINY), "--limit-queries", "1"]) == 0
    assert "NDCG@10" in capsys.readouterr().out


def test_runs_through_the_http_api(tmp_path: Path) -> None:
    from autbot.entrypoints.evaluation.targets import HttpTarget
    from tests.support.app_client import LOOPBACK_BASE_URL, app_client

    settings = settings_from_dict(
        {
            "index": {"backend": "memory"},
            "embedder": {"backend": "hashing"},
            "llm": {"backend": "fake"},
            "auth": {"keys_backend": "memory"},
            "storage": {"data_dir": str(tmp_path)},
        }
    )
    with app_client(settings) as client:
        target = HttpTarget(LOOPBACK_BASE_URL, api_key=None, timeout_s=30, client=client)
        report = run_eval(target, load_beir(TINY), EvalOptions(collection="tiny", progress=False))
        assert report.ingested
        assert report.quality.queries == 5
        assert target.documents("tiny") == report.documents
        with pytest.raises(ConfigurationError, match="in-process only"):
            target.search("tiny", "q", top_k=5, mode=SearchMode.VECTOR, alpha=None, rerank=True)
        with pytest.raises(ConfigurationError, match="in-process only"):  # /search has no floor
            target.search("tiny", "q", top_k=5, mode=SearchMode.VECTOR, alpha=None, rerank=False, min_vector_score=0.2)
        target.drop("tiny")
        assert target.documents("tiny") == 0
        target.drop("tiny")  # already gone: fine
