"""The benchmark entry point (``python -m bench``) knows every suite, and every suite is a script that runs."""

from __future__ import annotations

import ast
from pathlib import Path

from bench.__main__ import _parser
from bench.headlines import HEADLINES, summary
from bench.suites import SUITES

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_every_suite_is_a_script_with_a_main_and_an_out_option() -> None:
    for suite in SUITES:
        source = (BENCH / suite.group / f"{suite.name}.py").read_text()
        tree = ast.parse(source)
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        assert "main" in functions, suite.name
        assert '"--out"' in source or "add_out_argument(" in source, suite.name


def test_every_script_in_a_group_is_a_suite() -> None:
    scripts = {(p.parent.name, p.stem) for g in ("perf", "quality", "studies") for p in (BENCH / g).glob("*.py")}
    suites = {(s.group, s.name) for s in SUITES}
    assert scripts - {("perf", "__init__"), ("quality", "__init__"), ("studies", "__init__")} - suites == {
        ("quality", "manpages_dataset")  # builds the data set the retrieval suite evaluates
    }


def test_no_script_imports_another_script() -> None:
    for path in BENCH.glob("*/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bench."):
                assert node.module.startswith("bench._support"), (path, node.module)


def test_help_lists_every_suite_with_what_it_measures() -> None:
    text = _parser().format_help()
    for suite in SUITES:
        assert f"{suite.name:<22}{suite.what}" in text


def test_summary_of_suites_that_did_not_run_reads_dashes() -> None:
    assert set(HEADLINES) == {s.name for s in SUITES}
    rows = summary({}, [s.name for s in SUITES])
    assert rows
    assert all(value.startswith("—") for _, value, _ in rows), rows
