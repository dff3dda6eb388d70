"""Hostile requests (issue 8): each one once crashed the server, answered 500, or answered 503 as if a store
were down, or took seconds of a request thread to parse. Each must now get a 4xx with a stable code, and lose
nothing already stored. Shared by the in-process tests (fakes) and the integration test (a real ``autbot serve``
on the embedded store). ``HOSTILE_FILES`` and ``MARKUP`` are the uploads that tripped the parsers, for the
reader's own tests and its fuzzing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
from autbot.adapters.readers.runners import InProcessParseRunner
from autbot.domain import limits
from tests.support.app_client import AppClient, app_client, fake_settings
from tests.support.documents import deep_json, pdf_bomb, pdf_deeply_nested, pdf_many_pages

SEED = [
    {"id": "eiffel", "title": "Eiffel", "text": "The Eiffel Tower is 330 metres tall.", "metadata": {"lang": "en"}},
    {"id": "moon", "text": "The Moon orbits the Earth every 27 days.", "metadata": {"lang": "en", "n": 2}},
]
"""What the tests store before they send anything hostile."""


def in_process_client() -> AppClient:
    """The app over fakes, files parsed in the calling thread (no worker process), rate limits off."""
    settings = fake_settings(limits={"enabled": False})
    reader = MultiFormatDocumentReader(max_bytes=settings.ingest.max_file_bytes, runner=InProcessParseRunner())
    return app_client(settings, overrides={"reader": reader})


JSON = {"content-type": "application/json"}

BIG_INT = "9" * 5_000
"""More digits than Python converts by default (``sys.get_int_max_str_digits``: 4,300)."""

HOSTILE_FILES: dict[str, tuple[bytes, int, str]] = {
    "unclosed.html": (b"<a " * 4_000, 400, "empty_document"),  # quadratic in html.parser: seconds for 12 KB
    "quotes.html": (b"<a b='" * 8_000, 400, "empty_document"),  # quadratic in html.parser: 48 KB took 28 s
    "bogus.html": (b"<![ x", 400, "empty_document"),  # html.parser: AssertionError
    "bigint.json": (BIG_INT.encode(), 422, "document_unparseable"),  # json: ValueError (int digits)
    "bigint-in.json": (b'{"a": [1, ' + BIG_INT.encode() + b"]}", 422, "document_unparseable"),
    "paths.json": (  # 60 KB whose flattened paths are millions of characters
        json.dumps({"k" * 60_000: list(range(100))}).encode(),
        413,
        "document_too_large",
    ),
}
"""Uploads that once answered 500 or took seconds to parse: file name -> (bytes, status, code)."""

# fmt: off
MARKUP = [
    "<a ", "<a b='", '<a b="', "<a b=", "<![ x", "<![CDATA[", "]]>", "<!--", "-->", "<!", "<?", "</", "</ x>",
    "<div>", "</div>", "<p>", "</p>", "<b>", "<table>", "<select>", "<selectedcontent>", "<option>x", "<template>",
    "<script>", "</script>", "<style>", "<svg>", "<math>", "<title>", "</title>", "<plaintext>", "<textarea>",
    "<noscript>", "<frameset>", "<head>", "<body>", "<html>", "&", "&#", "&#x", "&#xD800;", "&#1114112;", "&amp",
    "&NotNestedGreaterGreater;", "\x00", "\r", "\ufeff", "text", " ", "\n",
]
# fmt: on
"""Fragments of markup that parsers get wrong: random sequences of them go to the HTML reader."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Hostile:
    name: str
    method: str
    path: str
    status: int
    code: str
    request: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of ``httpx.Client.request``."""

    def send(self, client: httpx.Client) -> httpx.Response:
        return client.request(self.method, self.path, **self.request)


def _search(collection: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"query": "tower", **body}}


def hostile_requests(collection: str) -> list[Hostile]:
    """The hostile cases against ``collection`` (which should exist and hold documents)."""
    c = f"/v1/collections/{collection}"
    deep = deep_json(100_000)
    upload = f"{c}/files"
    ok_file = ("files", ("ok.txt", b"a harmless file", "text/plain"))
    return [
        Hostile(
            name="thousands of equality filters",
            method="POST",
            path=f"{c}/search",
            status=400,
            code="invalid_input",
            request=_search(collection, {"filters": {f"k{i}": i for i in range(10_000)}}),
        ),
        Hostile(
            name="one filter key over the limit (also on /query)",
            method="POST",
            path=f"{c}/query",
            status=400,
            code="invalid_input",
            request={"json": {"question": "x", "filters": {f"k{i}": i for i in range(limits.MAX_FILTER_KEYS + 1)}}},
        ),
        Hostile(
            name="a filter integer wider than 64 bits",
            method="POST",
            path=f"{c}/search",
            status=400,
            code="invalid_input",
            request=_search(collection, {"filters": {"year": 10**30}}),
        ),
        Hostile(
            name="a filter string longer than any metadata string",
            method="POST",
            path=f"{c}/search",
            status=400,
            code="invalid_input",
            request=_search(collection, {"filters": {"lang": "x" * (limits.MAX_METADATA_STRING_CHARS + 1)}}),
        ),
        Hostile(
            name="a deeply nested JSON body",
            method="POST",
            path=f"{c}/search",
            status=400,
            code="invalid_input",
            request={"content": ('{"query": "x", "filters": {"a": ' + deep + "}}").encode(), "headers": JSON},
        ),
        Hostile(
            name="a JSON body nested just over the limit",
            method="POST",
            path=f"{c}/search",
            status=400,
            code="invalid_input",
            request={
                "content": ('{"query": "x", "z": ' + deep_json(limits.MAX_JSON_DEPTH) + "}").encode(),
                "headers": JSON,
            },
        ),
        Hostile(
            name="deeply nested metadata",
            method="POST",
            path=f"{c}/documents",
            status=400,
            code="invalid_input",
            request={
                "content": ('{"documents": [{"id": "eiffel", "text": "x", "metadata": {"a": ' + deep + "}}]}").encode(),
                "headers": JSON,
            },
        ),
        Hostile(
            name="a JSON body that is not UTF-8",
            method="POST",
            path=f"{c}/search",
            status=400,
            code="invalid_encoding",
            request={"content": b'{"query": "caf\xe9"}', "headers": JSON},
        ),
        Hostile(
            name="a metadata integer wider than 64 bits",
            method="POST",
            path=f"{c}/documents",
            status=400,
            code="invalid_input",
            request={"json": {"documents": [{"id": "eiffel", "text": "x", "metadata": {"n": 10**30}}]}},
        ),
        Hostile(
            name="metadata over the size limit",
            method="POST",
            path=f"{c}/documents",
            status=400,
            code="invalid_input",
            request={
                "json": {
                    "documents": [
                        {"id": "eiffel", "text": "x", "metadata": {f"k{i}": "x" * 2000 for i in range(10)}},
                    ]
                }
            },
        ),
        Hostile(
            name="a collection name with a trailing newline (once a registry row and an open circuit)",
            method="POST",
            path=f"{c}%0A/documents",
            status=400,
            code="invalid_input",
            request={"json": {"documents": [{"id": "d", "text": "x"}]}},
        ),
        Hostile(
            name="an upload into a collection name with a trailing newline",
            method="POST",
            path=f"{c}%0A/files",
            status=400,
            code="invalid_input",
            request={"files": [ok_file]},
        ),
        Hostile(
            name="a collection name with a control character",
            method="POST",
            path=f"{c}%00/documents",
            status=400,
            code="invalid_input",
            request={"json": {"documents": [{"id": "d", "text": "x"}]}},
        ),
        Hostile(
            name="a document id with a trailing newline",
            method="POST",
            path=f"{c}/documents",
            status=400,
            code="invalid_input",
            request={"json": {"documents": [{"id": "eiffel\n", "text": "x"}]}},
        ),
        Hostile(
            name="a metadata key with a trailing newline",
            method="POST",
            path=f"{c}/documents",
            status=400,
            code="invalid_input",
            request={"json": {"documents": [{"id": "eiffel", "text": "x", "metadata": {"lang\n": "fr"}}]}},
        ),
        Hostile(
            name="a filter key with a trailing newline",
            method="POST",
            path=f"{c}/search",
            status=400,
            code="invalid_input",
            request=_search(collection, {"filters": {"lang\n": "en"}}),
        ),
        Hostile(
            name="two files of one upload with the same name (never one silently replacing the other)",
            method="POST",
            path=upload,
            status=400,
            code="invalid_input",
            request={"files": [("files", ("same.txt", b"first", "text/plain")), ("files", ("same.txt", b"second"))]},
        ),
        Hostile(
            name="a file part whose name names no file (once dropped while the rest was stored)",
            method="POST",
            path=upload,
            status=400,
            code="invalid_input",
            request={"files": [("files", ("fresh.txt", b"fresh words", "text/plain")), ("files", ("\\", b"lost"))]},
        ),
        Hostile(
            name="a huge offset",
            method="GET",
            path=f"{c}/documents",
            status=400,
            code="invalid_input",
            request={"params": {"offset": str(10**20)}},
        ),
        Hostile(
            name="an offset over the limit",
            method="GET",
            path=f"{c}/documents",
            status=400,
            code="invalid_input",
            request={"params": {"offset": str(limits.MAX_PAGE_OFFSET + 1)}},
        ),
        Hostile(
            name="a deeply nested .json upload",
            method="POST",
            path=upload,
            status=400,
            code="invalid_input",
            request={"files": [("files", ("deep.json", deep.encode(), "application/json"))]},
        ),
        Hostile(
            name="a deeply nested metadata form part",
            method="POST",
            path=upload,
            status=400,
            code="invalid_input",
            request={"files": [ok_file], "data": {"metadata": '{"a": ' + deep + "}"}},
        ),
        Hostile(
            name="a metadata form part that is not UTF-8",
            method="POST",
            path=upload,
            status=400,
            code="invalid_encoding",
            request={"files": [ok_file, ("metadata", (None, b'{"team": "caf\xe9"}', "text/plain"))]},
        ),
        Hostile(
            name="a form part in a charset Python does not know",
            method="POST",
            path=upload,
            status=400,
            code="invalid_encoding",
            request={"files": [ok_file, ("metadata", (None, b"{}", "text/plain; charset=no-such-charset"))]},
        ),
        Hostile(
            name="a lone surrogate in the metadata form part",
            method="POST",
            path=upload,
            status=400,
            code="invalid_encoding",  # half a UTF-16 pair is not text (msgspec refuses it as JSON)
            request={"files": [ok_file], "data": {"metadata": json.dumps({"team": "\ud800"})}},
        ),
        Hostile(
            name="a lone surrogate at the end of a JSON body",
            method="POST",
            path=f"{c}/search",
            status=400,
            code="invalid_encoding",  # msgspec's own words: "Input data was truncated"
            request={"content": b'{"query": "\\ud800"}', "headers": JSON},
        ),
        Hostile(
            name="a multipart form of more parts than its parser takes",
            method="POST",
            path=upload,
            status=413,
            code="form_too_large",
            request={"files": [ok_file] * 1001},  # Litestar's multipart_form_part_limit: 1000
        ),
        Hostile(
            name="a PDF decompression bomb",
            method="POST",
            path=upload,
            status=413,
            code="document_too_large",
            request={"files": [("files", ("bomb.pdf", pdf_bomb(), "application/pdf"))]},
        ),
        Hostile(
            name="a PDF whose content stream nests deeply",
            method="POST",
            path=upload,
            status=422,
            code="document_unparseable",
            request={"files": [("files", ("deep.pdf", pdf_deeply_nested(), "application/pdf"))]},
        ),
        Hostile(
            name="a small PDF of thousands of pages",
            method="POST",
            path=upload,
            status=413,
            code="document_too_large",
            request={"files": [("files", ("pages.pdf", pdf_many_pages(limits.MAX_PDF_PAGES + 1), "application/pdf"))]},
        ),
        *[
            Hostile(
                name=f"a file that tripped a parser: {name}",
                method="POST",
                path=upload,
                status=status,
                code=code,
                request={"files": [("files", (name, data, "application/octet-stream"))]},
            )
            for name, (data, status, code) in HOSTILE_FILES.items()
        ],
        Hostile(
            name="a JSON body with an integer of 5,000 digits",
            method="POST",
            path=f"{c}/search",
            status=400,
            code="invalid_input",
            request={"content": ('{"query": "x", "filters": {"n": ' + BIG_INT + "}}").encode(), "headers": JSON},
        ),
        Hostile(
            name="a metadata form part with an integer of 5,000 digits",
            method="POST",
            path=upload,
            status=400,
            code="invalid_input",
            request={"files": [ok_file], "data": {"metadata": '{"n": ' + BIG_INT + "}"}},
        ),
        Hostile(
            name="a PDF that is not one",
            method="POST",
            path=upload,
            status=422,
            code="document_unparseable",
            request={"files": [("files", ("garbage.pdf", b"%PDF-1.4 garbage", "application/pdf"))]},
        ),
    ]


def snapshot(client: httpx.Client, collection: str, queries: tuple[str, ...] = ("tower", "moon")) -> Any:
    """What ``collection`` holds, as a client sees it: every document record and a few searches."""
    page = client.get(f"/v1/collections/{collection}/documents", params={"limit": limits.MAX_PAGE_SIZE})
    assert page.status_code == 200, page.text
    searches = []
    for q in queries:
        r = client.post(f"/v1/collections/{collection}/search", json={"query": q, "top_k": 10})
        assert r.status_code == 200, r.text
        searches.append([(h["document_id"], h["chunk_id"], round(h["score"], 4)) for h in r.json()["results"]])
    return page.json(), searches
