"""HTML files: the text a reader sees, and the ``<title>``, through Lexbor (selectolax), an HTML5 parser in C.

Lexbor's tokenizer is linear on hostile markup (thousands of unclosed tags or attribute quotes), and
markup it does not expect is parsed as a browser would, never refused. Building the tree costs time in
proportion to how deeply elements nest (as in every HTML5 parser): that is what the time budget of the
worker process (``runners.py``) stops. The tree is built without DOM mutation events, so no element's
content is copied into another (``<selectedcontent>``).

Scripts, styles, templates, SVG and the ``<head>`` are left out (the first ``<title>`` is the title); block
elements end lines.
"""

from __future__ import annotations

import re

from autbot.adapters.readers.budget import Extracted, ParseLimits
from autbot.adapters.readers.text import decode

_SKIP = "script, style, noscript, template, svg, head, title"
_BLOCK = ", ".join(("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "pre"))
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n\s*\n")


def extract_html(data: bytes, limits: ParseLimits, name: str) -> Extracted:
    from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser

    tree = LexborHTMLParser(decode(data, name), options=LexborDocumentOptions.WO_EVENTS)
    title = tree.css_first("title")
    heading = " ".join(title.text().split()) if title is not None else ""
    root = tree.root
    if root is None:
        return Extracted(text="", title=heading or None)
    for skipped in root.css(_SKIP):  # one walk of the tree (strip_tags walks it once per tag)
        skipped.decompose()
    for block in root.css(_BLOCK):
        if block.tag != "br":
            block.insert_before("\n")
        block.insert_after("\n")
    return Extracted(text=_tidy(root.text()), title=heading or None)


def _tidy(text: str) -> str:
    """Runs of spaces and tabs as one space; blank lines (whitespace between line breaks) as one."""
    return _BLANK_LINES.sub("\n\n", _SPACES.sub(" ", text)).strip()
