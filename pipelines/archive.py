"""The raw archive: every fetched page kept as a WARC response record (warcio, one gzip member
per record, files rotated by size), indexed in the ``raw_pages`` table so any page can be read
back and re-extracted without the network.

No Scrapy import: the crawl's ArchivePipeline, ``almodon reparse`` and ``almodon import-warc`` use it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
#: gzip level of each record. warcio compresses at 9; 6 (zlib's default) costs 44 % less CPU on
#: real 300 KB pages (6.8 → 3.8 ms) for 0.7 % more bytes (docs/benchmark.md, "WARC gzip level").
GZIP_LEVEL = 6
_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found"}


@dataclass
class Fetched:
    """A fetched page, as the crawl saw it or as an archive holds it."""

    url: str  # the site URL the page stands for
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    fetched_at: str = ""  # UTC 'YYYY-MM-DDTHH:MM:SSZ'
    fetch_url: str | None = None  # where it was actually fetched from, when different
    #: Extra WARC headers for the archived record: a web-archive capture keeps what its archive
    #: said of it (source, original URL and record id, …); ``fetched_at`` is then the capture time.
    warc_headers: dict[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def _warc_date(fetched_at: str) -> str:
    return fetched_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WarcWriter:
    """Appends response records to ``<dir>/almodon-<stamp>-<n>.warc.gz``, rotating by size."""

    def __init__(self, directory: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.dir = Path(directory)
        self.max_bytes = max_bytes
        self._file = None
        self._path: Path | None = None
        self._serial = 0

    def _open(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        while True:
            self._serial += 1
            path = self.dir / f"almodon-{stamp}-{self._serial:05d}.warc.gz"
            if not path.exists():
                break
        self._path = path
        self._file = open(path, "ab")  # noqa: SIM115 - kept open across records, closed in close()

    def write(self, page: Fetched) -> tuple[str, int, int]:
        """Write one record; returns ``(file name, offset, length)`` for the index."""
        if self._file is None or self._file.tell() >= self.max_bytes:
            self.close()
            self._open()
        reason = _REASONS.get(page.status, "Status")
        http_headers = StatusAndHeaders(
            f"{page.status} {reason}",
            [(k, v) for k, v in page.headers.items() if k not in {"content-length", "transfer-encoding", "content-encoding"}],
            protocol="HTTP/1.1",
        )
        warc_headers = {**page.warc_headers, "WARC-Date": _warc_date(page.fetched_at)}
        if page.fetch_url and page.fetch_url != page.url:
            warc_headers["WARC-Fetched-From"] = page.fetch_url
        # warcio writes the record uncompressed into memory; it becomes one gzip member here, at
        # GZIP_LEVEL (warcio's own gzip=True has no level and uses 9): the same bytes once read.
        raw = io.BytesIO()
        writer = WARCWriter(raw, gzip=False)
        record = writer.create_warc_record(
            page.url, "response", payload=io.BytesIO(page.body), length=len(page.body),
            http_headers=http_headers, warc_headers_dict=warc_headers,
        )
        writer.write_record(record)
        gz = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        offset = self._file.tell()
        self._file.write(gz.compress(raw.getbuffer()) + gz.flush())
        self._file.flush()
        return self._path.name, offset, self._file.tell() - offset

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _from_record(record) -> Fetched | None:
    if record.rec_type != "response" or record.http_headers is None:
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    status = int(record.http_headers.get_statuscode() or 0)
    headers = {k.lower(): v for k, v in record.http_headers.headers}
    return Fetched(
        url=url.strip("<>"),
        body=record.content_stream().read(),
        status=status,
        headers=headers,
        fetched_at=_normalise_date(record.rec_headers.get_header("WARC-Date") or ""),
        fetch_url=record.rec_headers.get_header("WARC-Fetched-From"),
        warc_headers={k: v for k, v in record.rec_headers.headers if k.startswith("WARC-Source")},
    )


def _normalise_date(value: str) -> str:
    """WARC-Date (ISO, maybe with fractions) → 'YYYY-MM-DDTHH:MM:SSZ'."""
    if not value:
        return ""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_at(path: str | Path, offset: int) -> Fetched | None:
    """The record at ``offset`` of a WARC file (as indexed in ``raw_pages``)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            return _from_record(record)
    return None


class NotAWarc(ValueError):
    """A file given as a WARC that is empty or not a WARC at all (the message is one line)."""


@dataclass
class Cut:
    """A record that ends before its ``Content-Length`` (a file cut short), or the point where
    a file stops being readable: counted as ``truncated``, never silently dropped."""

    path: str
    offset: int
    url: str
    detail: str


def check_warc(path: str | Path) -> None:
    """Raise ``NotAWarc`` unless ``path`` starts like a WARC file (``WARC/…``, gzipped or not).
    Reads a few bytes only."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        if not head:
            raise NotAWarc(f"{path}: empty file, no records")
        try:
            start = gzip.GzipFile(fileobj=fh).read(5) if head == b"\x1f\x8b" else fh.read(5)
        except (OSError, EOFError, zlib.error):
            start = b""
    if start != b"WARC/":
        raise NotAWarc(f"{path} is not a WARC file (expected WARC/1.0 or WARC/1.1 records, "
                       "gzipped or not)")


def iter_warc(path: str | Path, on_cut=None) -> Iterator[Fetched]:
    """Every HTTP response in a WARC file (``.warc`` or ``.warc.gz``), in file order. A record
    cut short (its headers, its block, or the gzip member that holds it), or bytes that stop
    parsing, end the file: ``on_cut(Cut)`` is called (without it, ``NotAWarc`` is raised); the
    complete records before it have been yielded, the cut one is not."""
    def cut(offset: int, url: str, detail: str) -> None:
        if on_cut is None:
            raise NotAWarc(f"{path}: {detail} at byte {offset}")
        on_cut(Cut(str(path), offset, url, detail))

    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
        size = os.fstat(fh.fileno()).st_size
        fh.seek(0)
        records = ArchiveIterator(fh)
        end = 0
        try:
            for record in records:
                page = _from_record(record)
                while record.raw_stream.read(1 << 16):  # the rest of the record
                    pass
                offset = records.get_record_offset()  # (the record is read: no seek)
                end = offset + records.get_record_length()
                problem = _incomplete(record)
                if problem is None and gzipped and end >= size and not _member_complete(fh, offset):
                    problem = "its gzip member ends before the gzip trailer"
                if problem:
                    url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<>")
                    cut(offset, url, f"record cut short: {problem}")
                    return
                if page is not None:
                    yield page
        except Exception as exc:  # noqa: BLE001 - warcio fails on cut input in many ways (ArchiveLoadFailed,
            # EOFError, zlib.error, AttributeError on headers cut before the URI, …): all mean "cut here"
            cut(end, "", f"unreadable from here ({type(exc).__name__}: {str(exc)[:200]})")
            return
        if not _blank_from(fh, end):  # bytes after the last whole record that make no record
            cut(end, "", "record cut short before its headers were complete")


def _incomplete(record) -> str | None:
    """Why a record read to its end is not whole, or None. Every WARC record has a numeric
    Content-Length, which warcio reads through a LimitReader: no such header (its headers were
    cut) or a limit left (its block was cut) means the file ends inside it."""
    declared = (record.rec_headers.get_header("Content-Length") or "").strip()
    missing = getattr(record.raw_stream, "limit", None)
    if not declared.isdigit() or missing is None:
        return "its headers are incomplete"
    if missing > 0:
        return f"{missing} bytes of its block missing"
    return None


def _member_complete(fh, offset: int) -> bool:
    """True when the gzip member starting at ``offset`` ends with its trailer (a file cut in
    the last few bytes still decompresses to the whole record, but its CRC is gone)."""
    here = fh.tell()
    try:
        fh.seek(offset)
        member = zlib.decompressobj(wbits=31)
        while not member.eof and (chunk := fh.read(1 << 16)):
            member.decompress(chunk)
        return member.eof
    except zlib.error:
        return False
    finally:
        fh.seek(here)


def _blank_from(fh, offset: int) -> bool:
    """True when the file holds only whitespace (record separators) from ``offset`` on."""
    fh.seek(offset)
    while chunk := fh.read(1 << 16):
        if chunk.strip():
            return False
    return True
