"""``autbot eval --server-side``: a BEIR dataset becomes the collection's golden set and the server scores it the
same as the client-side run does (one metric source, ``domain.relevance``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import TestClient

from autbot.domain.errors import DependencyUnavailable
from autbot.domain.model import SearchMode
from autbot.entrypoints.cli import main
from autbot.entrypoints.evaluation.dataset import load_beir, safe_id
from autbot.entrypoints.evaluation.runner import EvalOptions, run_eval
from autbot.entrypoints.evaluation.server_side import evaluate_on_server, golden_body, text_report
from autbot.entrypoints.evaluation.targets import HttpTarget
from autbot.entrypoints.http.app import create_app
from autbot.entrypoints.settings import settings_from_dict

TINY = Path(__file__).resolve().parents[2] / "support" / "beir_tiny"


def test_the_golden_body_holds_the_judged_queries_only() -> None:
    body = golden_body(load_beir(TINY))
    assert [q["id"] for q in body["queries"]] == ["q1", "q2", "q3", "q4", "q5"]
    assert set(body["qrels"]) == {"q1", "q2", "q3", "q4", "q5"}  # q7 (judged, nothing relevant) is not a query
    assert body["qrels"]["q3"] == {safe_id("MED/9"): 1}


def test_server_side_figures_equal_the_client_side_ones(tmp_path: Path) -> None:
    settings = settings_from_dict(
        {
            "index": {"backend": "memory"},
            "embedder": {"backend": "hashing"},
            "llm": {"backend": "fake"},
            "auth": {"keys_backend": "memory"},
            "storage": {"data_dir": str(tmp_path)},
        }
    )
    data = load_beir(TINY)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        target = HttpTarget("http://127.0.0.1:8000", api_key=None, timeout_s=30, client=client)
        with pytest.raises(DependencyUnavailable, match="collection_not_found"):
            evaluate_on_server(target, "tiny", dataset=None, mode=SearchMode.KEYWORD, progress=False)
        served = evaluate_on_server(target, "tiny", dataset=data, mode=SearchMode.KEYWORD, progress=False)
        local = run_eval(target, data, EvalOptions(collection="tiny", mode=SearchMode.KEYWORD, progress=False))
        again = evaluate_on_server(target, "tiny", dataset=None, mode=SearchMode.KEYWORD, progress=False)
    live = served["generations"]["live"]
    assert live["queries"] == local.quality.queries == 5
    for metric in ("ndcg_at_10", "recall_at_10", "recall_at_100", "mrr_at_10"):
        assert live[metric] == pytest.approx(getattr(local.quality, metric))
    assert again["generations"]["live"]["ndcg_at_10"] == live["ndcg_at_10"]
    assert "NDCG@10" in text_report(served)


def test_server_side_needs_a_url_and_a_collection(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--server-side", "--collection", "c"]) == 2
    assert "--url and --collection" in capsys.readouterr().err
    assert main(["eval"]) == 2
    assert "DATASET" in capsys.readouterr().err
