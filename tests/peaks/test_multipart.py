"""The photo upload's own multipart splitting: same form as Starlette's parser, clear 400s for bad bodies."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.peaks.routes import multipart
from services.peaks.routes.multipart import MalformedMultipart

from .support import photo, register

SERVICE_NAME = "peaks"
B = "xYz-b0undary"
CT = f"multipart/form-data; boundary={B}"


def body(*parts: tuple[str, bytes], preamble: bytes = b"", epilogue: bytes = b"", close: bool = True) -> bytes:
    """`parts`: (header block, content)."""
    out = preamble
    for headers, content in parts:
        out += f"--{B}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"
    return out + (f"--{B}--\r\n".encode() + epilogue if close else b"")


FIELD = ('Content-Disposition: form-data; name="peak"', "가지산".encode())
FILE = ('Content-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg',
        b"\xff\xd8\xff\r\n--not-the-boundary\r\n\x00" * 100)


def test_fields_and_files_come_out_as_starlette_gives_them():
    form = multipart.form_of(body(FIELD, FILE, preamble=b"ignored\r\n", epilogue=b"ignored too"), CT)
    assert form["peak"] == "가지산"
    upload = form["file"]
    assert upload.filename == "a.jpg" and upload.size == len(FILE[1])
    assert upload.headers["content-type"] == "image/jpeg"
    assert upload.file.read() == FILE[1]


def test_quoted_boundary_empty_part_and_header_case():
    data = (f'--{B}\r\nCONTENT-DISPOSITION: form-data; name="note"\r\n\r\n\r\n--{B}--').encode()
    assert multipart.form_of(data, f'multipart/form-data; boundary="{B}"')["note"] == ""


@pytest.mark.parametrize("data, content_type, message", [
    (body(FIELD), "multipart/form-data", "no boundary"),
    (b"peak=gajisan", CT, "does not contain the multipart boundary"),
    (body(FIELD, FILE, close=False)[:-40], CT, "'file' is not closed"),
    (body(('Content-Disposition: form-data; filename="a.jpg"', b"x")), CT, '"name" must be provided'),
    (body(("Content-Disposition form-data", b"x")), CT, "malformed header line"),
    (f"--{B}garbage\r\n".encode() + body(FIELD), CT, "boundary line is malformed"),
    (body(('Content-Disposition: form-data; name="peak"', b"x" * (1024 * 1024 + 1))), CT, "maximum size"),
])
def test_malformed_bodies_are_refused_with_the_reason(data, content_type, message):
    with pytest.raises(MalformedMultipart, match=message):
        multipart.form_of(data, content_type)


def test_file_and_field_counts_are_limited():
    with pytest.raises(MalformedMultipart, match="Too many files"):
        multipart.form_of(body(FILE, FILE), CT, max_files=1)
    with pytest.raises(MalformedMultipart, match="Too many fields"):
        multipart.form_of(body(FIELD, FIELD), CT, max_fields=1)


def test_api_malformed_body_is_a_400_problem_naming_the_part(peaks_client):
    _cid, h = register(peaks_client)
    cut = body(FIELD, ('Content-Disposition: form-data; name="file"; filename="a.jpg"', photo("gajisan", seed=21)),
               close=False)[:-5]
    r = peaks_client.post("/v1/photos", content=cut, headers={**h, "content-type": CT})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "file" and "truncated" in r.json()["detail"]


def test_api_upload_with_preamble_and_extra_field_is_accepted(peaks_client):
    _cid, h = register(peaks_client)
    data = body(('Content-Disposition: form-data; name="comment"', b"sunny"), ('Content-Disposition: form-data; name="peak"', b"gajisan"),
                ('Content-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg',
                 photo("gajisan", seed=23)), preamble=b"This is a multipart body.\r\n")
    r = peaks_client.post("/v1/photos", content=data, headers={**h, "content-type": CT})
    assert r.status_code == 201, r.text


def test_api_missing_file_part_still_names_file(peaks_client):
    _cid, h = register(peaks_client)
    r = peaks_client.post("/v1/photos", content=body(('Content-Disposition: form-data; name="peak"', b"gajisan")),
                          headers={**h, "content-type": CT})
    assert r.status_code == 422 and "file" in [e["field"] for e in r.json()["errors"]], r.text


@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(0, 300), max_size=12),
       sub=st.sampled_from([b"\r\n", b"\r\n--ab", b"a", b"\r\n\r\n"]), start=st.integers(0, 310))
def test_chunks_search_and_slice_like_one_bytes_object(data, cuts, sub, start):
    edges = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    chunks = multipart.Chunks([data[a:b] for a, b in zip(edges, edges[1:], strict=False)])
    assert chunks.find(sub, start) == data.find(sub, start)
    assert chunks.find(sub, start, start + 7) == data.find(sub, start, start + 7)
    assert chunks.slice(start, start + 9) == data[start:start + 9]
    assert chunks.startswith(sub, start) == data.startswith(sub, start)


def test_chunked_body_gives_the_same_form():
    data = body(FIELD, FILE, preamble=b"p\r\n")
    for size in (1, 7, 64, 4096):
        form = multipart.form_of(multipart.Chunks([data[i:i + size] for i in range(0, len(data), size)]), CT)
        assert form["peak"] == "가지산" and form["file"].file.read() == FILE[1]
