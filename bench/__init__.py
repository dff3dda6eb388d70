"""AutBot's benchmarks, run from the repository root: ``uv run python -m bench --help`` lists every suite.

- ``perf/``: speed and memory, each figure against a baseline measured in the same run.
- ``quality/``: answer and retrieval quality.
- ``studies/``: one-off design studies, kept for the record.
- ``_support/``: what several scripts share; ``suites.py``: the list of suites; ``headlines.py``: the summary.

Measured figures and their history: docs/benchmarks.md.
"""
