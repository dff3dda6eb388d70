"""Documents the tests ingest: five small files in five formats, hand-built PDFs (and hostile ones)."""

from __future__ import annotations

import io
import zlib

import httpx


def make_pdf(text: str) -> bytes:
    """A minimal one-page PDF with the given text (built by hand: no PDF writer needed)."""
    return pdf_with_content(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())


def pdf_with_content(content: bytes, *, flate: bool = False, pages: int = 1) -> bytes:
    """A PDF whose page shows the content stream ``content`` (compressed with ``/FlateDecode`` if ``flate``);
    ``pages`` > 1 lists that one page object ``pages`` times in the page tree: thousands of pages in a few KB."""
    data = zlib.compress(content, 9) if flate else content
    kids = b" ".join([b"3 0 R"] * pages)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(data), b" /Filter /FlateDecode" if flate else b"")
        + data
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def pdf_bomb(inflated_bytes: int = 200_000_000) -> bytes:
    """A PDF of a few hundred KB whose content stream inflates to ``inflated_bytes`` of blanks."""
    return pdf_with_content(b" " * inflated_bytes, flate=True)


def pdf_text_bomb(repeats: int = 500_000) -> bytes:
    """A PDF of about 60 KB whose content stream inflates to ``repeats`` text operations (about 20 MB):
    no single limit on bytes stops it, extracting its text costs minutes of CPU."""
    return pdf_with_content(b"BT /F1 12 Tf 72 720 Td (hello world) Tj ET\n" * repeats, flate=True)


def pdf_deeply_nested(depth: int = 50_000) -> bytes:
    """A PDF whose content stream nests ``depth`` arrays: a recursive parser runs out of stack."""
    return pdf_with_content(b"BT " + b"[" * depth + b"]" * depth + b" TJ ET")


def pdf_many_pages(pages: int = 5_000) -> bytes:
    """A PDF of ``pages`` pages (one page object listed ``pages`` times) in about 6 bytes per page."""
    return pdf_with_content(b"BT /F1 12 Tf 72 720 Td (a page) Tj ET", pages=pages)


def deep_json(depth: int) -> str:
    """A JSON array nested ``depth`` levels deep (``[[[]]]`` is 3)."""
    return "[" * depth + "]" * depth


FILES = {
    "eiffel.md": b"# The Eiffel Tower\n\nThe Eiffel Tower is a wrought-iron lattice tower in Paris. It was designed "
    b"by the company of engineer Gustave Eiffel and completed in 1889. The tower is 330 metres tall.",
    "python.txt": b"Python is a programming language created by Guido van Rossum. Python was first released in 1991.",
    "coffee.html": b"<html><head><title>Coffee</title></head><body><p>Coffee is brewed from roasted coffee beans. "
    b"The coffee plant was first cultivated in Yemen in the 15th century.</p></body></html>",
    "moon.pdf": make_pdf("Neil Armstrong was the first person to walk on the Moon in July 1969."),
    "everest.json": b'{"text": "Mount Everest is the highest mountain above sea level. '
    b'Its summit is 8,849 metres high."}',
}


def upload(client: httpx.Client, collection: str, names: list[str]) -> list[dict[str, object]]:
    r = client.post(f"/v1/collections/{collection}/files", files=[("files", (n, FILES[n])) for n in names])
    assert r.status_code == 201, r.text
    documents: list[dict[str, object]] = r.json()["documents"]
    return documents
