"""The documentation hangs together without building it: every page under docs/ is reachable from the README and
listed in mkdocs.yml's nav, and every relative link and anchor in the README resolves (mkdocs build --strict, in
CI, checks the links between the pages themselves)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
LINK = re.compile(r"\]\(([^)\s]+)\)")


class _MkdocsLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
    """mkdocs.yml may name Python objects (``!!python/name:``, ``!!python/object/apply:``): read them as nothing."""


_MkdocsLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def _pages() -> list[str]:
    return sorted(p.name for p in DOCS.glob("*.md"))


def _nav_files(entry: Any) -> list[str]:
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, dict):
        return [f for value in entry.values() for f in _nav_files(value)]
    if isinstance(entry, list):
        return [f for item in entry for f in _nav_files(item)]
    return []


def _nav() -> list[str]:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_MkdocsLoader)
    return [f for f in _nav_files(config["nav"]) if f.endswith(".md")]


def _readme_links() -> list[str]:
    return [t for t in LINK.findall(README.read_text(encoding="utf-8")) if not re.match(r"[a-z]+:", t)]


def _github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading (mkdocs.yml's toc slugify, pymdownx's lower case, gives the same)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    return {_github_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)}


@pytest.mark.parametrize("page", _pages())
def test_every_page_is_linked_from_the_readme(page: str) -> None:
    linked = {t.partition("#")[0] for t in _readme_links()}
    assert f"docs/{page}" in linked


@pytest.mark.parametrize("page", _pages())
def test_every_page_is_in_the_nav(page: str) -> None:
    assert page in _nav()


def test_the_nav_names_only_pages_that_exist_once() -> None:
    nav = _nav()
    assert sorted(nav) == _pages()


def test_readme_links_and_anchors_resolve() -> None:
    for target in _readme_links():
        path, _, anchor = target.partition("#")
        file = ROOT / path if path else README
        assert file.exists(), target
        if anchor and file.suffix == ".md":
            assert anchor in _anchors(file), target


def test_readme_keeps_the_two_commands_ci_relies_on() -> None:
    text = README.read_text(encoding="utf-8")
    assert "uv run autbot serve" in text
    assert re.search(r"^uv run pytest\s", text, flags=re.MULTILINE)


def test_ci_builds_the_docs_with_warnings_as_errors() -> None:
    assert re.search(r"^uv run mkdocs build --strict", (ROOT / ".ci" / "run").read_text(), flags=re.MULTILINE)
