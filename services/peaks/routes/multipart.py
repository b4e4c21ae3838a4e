"""multipart/form-data for the photo upload: the body is read once and split with `bytes.find`.

A streaming multipart parser (python-multipart, as Starlette uses it) runs a Python-level loop
over every chunk of the 3 MB file part (~10 ms of CPU per upload, holding the GIL) and copies the
part chunk by chunk. Here the body is received as the server hands it over, joined once, and the
parts are located with `bytes.find` on the delimiter (a C memchr/two-way search): the file part
becomes one slice of the body, the body itself is dropped before the route runs.

Same outcome and limits as Starlette's `MultiPartParser` (name and filename from
Content-Disposition, the charset of the Content-Type, at most `max_files` files, `max_fields`
fields, `max_part_size` bytes per non-file field), so FastAPI validates the resulting form as
before (`peak` and `file` missing or too long → 422 naming the field). A body that is not
well-formed multipart (RFC 2046 §5.1.1, RFC 7578) is refused with a 400 problem naming the part
at fault. The body size limit is enforced while it streams in (`shared.middleware`), before this
module sees a byte.
"""
from __future__ import annotations

import bisect
import codecs
import io
from dataclasses import dataclass, field

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, Headers, UploadFile

from shared.errors import Problem
from shared.middleware import InputProblem

# RFC 2046: a boundary is 1 to 70 characters.
MAX_BOUNDARY = 70
# Part headers are a few short lines; more than this is not a browser or a phone talking.
MAX_PART_HEADERS = 16 * 1024


class MalformedMultipart(ValueError):
    """The body is not well-formed multipart/form-data; `part` names the part at fault, if known."""

    def __init__(self, message: str, part: str | None = None):
        super().__init__(message)
        self.message, self.part = message, part


@dataclass(slots=True)
class Part:
    name: str
    filename: str | None  # None: a plain field
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    start: int = 0  # content = body[start:end]
    end: int = 0


def _decode(raw: bytes, charset: str) -> str:
    try:
        return raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return raw.decode("latin-1")


def _charset(content_type: str) -> str:
    _, params = parse_options_header(content_type)
    raw = params.get(b"charset", b"utf-8").decode("latin-1")
    try:
        return codecs.lookup(raw).name
    except LookupError:
        return "latin-1"


def boundary_of(content_type: str) -> bytes:
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise MalformedMultipart("The Content-Type multipart/form-data has no boundary parameter.")
    if len(boundary) > MAX_BOUNDARY:
        raise MalformedMultipart(f"The multipart boundary is longer than {MAX_BOUNDARY} characters.")
    return boundary


def _part_headers(block: bytes, charset: str, index: int) -> tuple[str, str | None, list[tuple[bytes, bytes]]]:
    headers: list[tuple[bytes, bytes]] = []
    disposition = b""
    for line in block.split(b"\r\n") if block else ():
        name, colon, value = line.partition(b":")
        if not colon or not name.strip():
            raise MalformedMultipart(f"Part {index + 1} has a malformed header line.")
        name, value = name.strip().lower(), value.strip()
        headers.append((name, value))
        if name == b"content-disposition":
            disposition = value
    _, options = parse_options_header(disposition.decode("latin-1"))
    if b"name" not in options:
        raise MalformedMultipart(
            f'Part {index + 1}: the Content-Disposition header field "name" must be provided.')
    part_name = _decode(options[b"name"], charset)
    filename = _decode(options[b"filename"], charset) if b"filename" in options else None
    return part_name, filename, headers


class Chunks:
    """The body as received (a list of chunks), searched and sliced as if it were one bytes object.

    Joining the chunks and then slicing the file part out would allocate (and page in) the 3 MB
    twice; `slice` joins only the requested range, and returns a chunk itself when the range is one.
    """

    def __init__(self, chunks: list[bytes]):
        self.chunks = [c for c in chunks if c]
        self.starts: list[int] = []
        total = 0
        for c in self.chunks:
            self.starts.append(total)
            total += len(c)
        self.length = total

    def __len__(self) -> int:
        return self.length

    def _index(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.starts, pos) - 1)

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        end = self.length if end is None else min(end, self.length)
        if start < 0 or not self.chunks or end - start < len(sub):
            return -1
        i = self._index(start)
        while i < len(self.chunks) and self.starts[i] < end:
            base, chunk = self.starts[i], self.chunks[i]
            hit = chunk.find(sub, max(start - base, 0), end - base)
            seam = -1
            if i + 1 < len(self.chunks) and len(sub) > 1:  # a match across this chunk's end
                lo = max(start, base + len(chunk) - len(sub) + 1)
                window = self.slice(lo, min(end, base + len(chunk) + len(sub) - 1))
                found = window.find(sub)
                seam = lo + found if found >= 0 else -1
            if hit >= 0:
                return base + hit if seam < 0 else min(base + hit, seam)
            if seam >= 0:
                return seam
            i += 1
        return -1

    def startswith(self, prefix: bytes, pos: int = 0) -> bool:
        return self.slice(pos, pos + len(prefix)) == prefix

    def slice(self, start: int, end: int) -> bytes:
        start, end = max(start, 0), min(end, self.length)
        if start >= end:
            return b""
        i = self._index(start)
        pieces: list[memoryview | bytes] = []
        while i < len(self.chunks) and self.starts[i] < end:
            base, chunk = self.starts[i], self.chunks[i]
            lo, hi = max(start - base, 0), min(end - base, len(chunk))
            if lo == 0 and hi == len(chunk):
                pieces.append(chunk)
            else:
                pieces.append(memoryview(chunk)[lo:hi])
            i += 1
        if len(pieces) == 1 and isinstance(pieces[0], bytes):
            return pieces[0]
        return b"".join(pieces)


def split(body: bytes | Chunks, boundary: bytes, *, charset: str = "utf-8", max_files: int | float = 1000,
          max_fields: int | float = 1000, max_part_size: int = 1024 * 1024) -> list[Part]:
    """The parts of a multipart body, in order; MalformedMultipart if it is not well-formed."""
    dash = b"--" + boundary
    delimiter = b"\r\n" + dash
    if body.startswith(dash):
        pos = len(dash)
    else:  # a preamble before the first boundary (allowed, ignored)
        first = body.find(delimiter)
        if first < 0:
            raise MalformedMultipart("The body does not contain the multipart boundary of its Content-Type.")
        pos = first + len(delimiter)
    parts: list[Part] = []
    files = fields = 0
    while True:
        if body.startswith(b"--", pos):  # close delimiter; anything after it is an epilogue
            return parts
        line_end = body.find(b"\r\n", pos)
        if line_end < 0 or _slice(body, pos, line_end).strip(b" \t"):
            raise MalformedMultipart(f"Part {len(parts) + 1}: the boundary line is malformed.")
        head = line_end + 2
        if body.startswith(b"\r\n", head):  # a part without headers
            block, start = b"", head + 2
        else:
            blank = body.find(b"\r\n\r\n", head, head + MAX_PART_HEADERS)
            if blank < 0:
                raise MalformedMultipart(f"Part {len(parts) + 1}: its headers do not end (truncated body?).")
            block, start = _slice(body, head, blank), blank + 4
        name, filename, headers = _part_headers(block, charset, len(parts))
        end = body.find(delimiter, start)
        if end < 0:
            raise MalformedMultipart(f"Part '{name}' is not closed by the boundary (truncated body?).", name)
        if filename is None:
            fields += 1
            if fields > max_fields:
                raise MalformedMultipart(f"Too many fields. Maximum number of fields is {max_fields}.", name)
            if end - start > max_part_size:
                raise MalformedMultipart(f"Part exceeded maximum size of {int(max_part_size / 1024)}KB.", name)
        else:
            files += 1
            if files > max_files:
                raise MalformedMultipart(f"Too many files. Maximum number of files is {max_files}.", name)
        parts.append(Part(name, filename, headers, start, end))
        pos = end + len(delimiter)


def _slice(body: bytes | Chunks, start: int, end: int) -> bytes:
    return body.slice(start, end) if isinstance(body, Chunks) else body[start:end]


def form_of(body: bytes | Chunks, content_type: str, *, max_files: int | float = 1000, max_fields: int | float = 1000,
            max_part_size: int = 1024 * 1024) -> FormData:
    """The FormData Starlette's parser would give: str fields, and UploadFiles over in-memory copies
    of their bytes (one slice each: `body` itself is not kept)."""
    charset = _charset(content_type)
    parts = split(body, boundary_of(content_type), charset=charset, max_files=max_files,
                  max_fields=max_fields, max_part_size=max_part_size)
    items: list[tuple[str, str | UploadFile]] = []
    for p in parts:
        if p.filename is None:
            items.append((p.name, _decode(_slice(body, p.start, p.end), charset)))
        else:
            content = _slice(body, p.start, p.end)  # a BytesIO over bytes shares them; a whole read() returns them
            items.append((p.name, UploadFile(io.BytesIO(content), size=len(content), filename=p.filename,
                                             headers=Headers(raw=p.headers))))
    return FormData(items)


def problem_of(exc: MalformedMultipart) -> InputProblem:
    """A 400 problem+json naming the part at fault (or the body), raised where FastAPI reads the body."""
    where = exc.part or "body"
    return InputProblem(Problem(400, "malformed-multipart", f"{where}: {exc.message}", title="Malformed multipart body",
                                errors=[{"field": where, "in": "body", "message": exc.message}]))
