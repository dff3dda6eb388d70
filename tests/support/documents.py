"""Documents the tests ingest: five small files in five formats, and a hand-built PDF."""

from __future__ import annotations

import io

import httpx


def make_pdf(text: str) -> bytes:
    """A minimal one-page PDF with the given text (built by hand: no PDF writer needed)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
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
    return r.json()["documents"]
