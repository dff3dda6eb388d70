"""HTML text extraction: the standard library's ``html.parser`` vs Lexbor (selectolax, what AutBot uses), and
html5-parser (gumbo) where it is installed, on hostile markup and on an ordinary page.

Each (parser, shape) runs in a child process with a time cap (``--cap`` seconds; a run past it reads
``> cap``), so one quadratic case cannot hold the machine. Seconds are the best of ``--repeat`` runs of the
whole extraction (parse, drop scripts and styles, collect the text). Single-threaded, bounded.

    uv run python -m bench.studies.html_parser [--cap 60] [--repeat 3] [--shapes NAME,...] [--gumbo-python PY]

html5-parser must be built against the libxml2 of its lxml (``pip install --no-binary lxml lxml html5-parser``),
so it is not a dependency: ``--gumbo-python`` names an interpreter that has it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from bench._support.results import add_out_argument, stamp, write_json

ROOT = Path(__file__).resolve().parents[2]


def ordinary_page(sections: int = 150) -> str:
    """About 100 KB of article: a head with styles and scripts, navigation, headings, paragraphs with
    inline markup, lists and a table per section."""
    head = "<head><title>An ordinary page</title><style>p{margin:0}</style><script>var x=1;</script></head>"
    nav = "<nav><ul>" + "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(20)) + "</ul></nav>"
    body = []
    for i in range(sections):
        body.append(
            f"<section><h2>Section {i}</h2><p>Some <b>bold</b> and <a href='/x{i}'>linked</a> words, "
            f"&amp; entities &eacute; here.</p><ul><li>one</li><li>two</li></ul>"
            f"<table><tr><td>cell {i}</td><td>{i * 3}</td></tr></table><p>{'Plain text. ' * 40}</p></section>"
        )
    return f"<!doctype html><html>{head}<body>{nav}{''.join(body)}</body></html>"


SHAPES: dict[str, Callable[[], str]] = {
    "ordinary page (105 KB)": ordinary_page,
    "'<a ' x 4000 (12 KB)": lambda: "<a " * 4000,
    '"<a b=\'" x 8000 (48 KB)': lambda: "<a b='" * 8000,
    "'<a b=' x 4000 (24 KB)": lambda: "<a b=" * 4000,
    "'<![ x' (the AssertionError)": lambda: "<p>x</p><![ x",
    "one tag, 200k attributes (1.2 MB)": lambda: "<a " + "x=1 " * 200_000 + ">text",
    "'<p>x' x 1M (4 MB)": lambda: "<p>x" * 1_000_000,
    "'<b>' x 200k nested (600 KB)": lambda: "<b>" * 200_000,
    "'<div>' x 10k nested (50 KB)": lambda: "<div>" * 10_000,
    "'<div>' x 20k nested (100 KB)": lambda: "<div>" * 20_000,
    "'<div>' x 40k nested (200 KB)": lambda: "<div>" * 40_000,
}


class _TextOnly(HTMLParser):
    """The extraction AutBot used before Lexbor (the baseline): text outside scripts and styles."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in self._SKIP

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in self._SKIP and self._skip > 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def stdlib(markup: str) -> str:
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return re.sub(r"\s+", " ", "".join(parser.parts))


def lexbor(markup: str) -> str:
    from autbot.adapters.readers.budget import ParseLimits
    from autbot.adapters.readers.html_text import extract_html

    return extract_html(markup.encode(), ParseLimits(), "bench.html").text


def gumbo(markup: str) -> str:
    import html5_parser  # type: ignore[import-not-found]

    root = html5_parser.parse(markup, treebuilder="lxml")
    for node in root.xpath("//script|//style|//head"):
        node.getparent().remove(node)
    return " ".join(root.itertext())


PARSERS = {"html.parser (stdlib)": stdlib, "lexbor (selectolax)": lexbor, "html5-parser (gumbo)": gumbo}


def one(parser: str, shape: str, repeat: int) -> None:
    """In the child: print the best time in seconds, or the error the parser raised."""
    markup, parse = SHAPES[shape](), PARSERS[parser]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            parse(markup)
        except ImportError:
            print("not installed")
            return
        except Exception as e:  # a parser's failure is a result here
            print(f"raises {type(e).__name__}")
            return
        best = min(best, time.perf_counter() - start)
        if best > 5:
            break
    print(f"{best:.3f}")


def measure(parser: str, shape: str, cap: float, repeat: int, python: str) -> str:
    cmd = [python, "-m", "bench.studies.html_parser", "--one", parser, shape, "--repeat", str(repeat)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=cap, check=False, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return f"> {cap:g}"
    return done.stdout.strip() or f"failed ({done.returncode})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cap", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shapes", default="", help="comma-separated prefixes of shape names (default: all)")
    ap.add_argument("--gumbo-python", default=sys.executable, help="a Python with html5-parser installed")
    ap.add_argument("--one", nargs=2, metavar=("PARSER", "SHAPE"), help=argparse.SUPPRESS)
    add_out_argument(ap, "html_parser")
    args = ap.parse_args()
    if args.one:
        one(*args.one, args.repeat)
        return
    wanted = [s for s in SHAPES if not args.shapes or any(s.startswith(p) for p in args.shapes.split(","))]
    rows: dict[str, dict[str, str]] = {}
    print("| shape | " + " | ".join(PARSERS) + " |")
    print("|---" * (len(PARSERS) + 1) + "|")
    for shape in wanted:
        cells = [
            measure(parser, shape, args.cap, args.repeat, args.gumbo_python if "gumbo" in parser else sys.executable)
            for parser in PARSERS
        ]
        rows[shape] = dict(zip(PARSERS, cells, strict=True))
        print(f"| {shape} | " + " | ".join(cells) + " |", flush=True)
    write_json(args.out, {**stamp(), "seconds": rows})


if __name__ == "__main__":
    main()
