"""Gunzip with a cap on what comes out, so that a gzip bomb is refused instead of exhausting memory.

Deflate expands up to ~1,000x: a 1 MB object can hold 1 GB of zeros. Everything loglake decompresses
from outside (export objects, CloudTrail files, subscription and Firehose payloads) is read here in
chunks through `gzip.GzipFile`, which inflates at most the bytes asked for, so no more than the cap
(plus one chunk) is ever held. Callers turn `SizeLimitExceeded` into a quarantine record or their own
LoglakeError: it never reaches a user as is.
"""

from __future__ import annotations

import gzip
import io
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


class SizeLimitExceeded(Exception):
    """More than `limit` bytes would come out; nothing past the cap was inflated."""

    def __init__(self, limit: int, what: str = "decompressed size") -> None:
        super().__init__(f"{what} is over the cap of {mib(limit)}")
        self.limit = limit
        self.what = what


def mib(size: int) -> str:
    """A cap for people: '256 MiB', or bytes when it is not a whole number of MiB."""
    return f"{size >> 20} MiB" if size % (1 << 20) == 0 else f"{size:,} bytes"


def open_gzip(source: bytes | bytearray | BinaryIO) -> gzip.GzipFile:
    """A streaming reader over gzip bytes or a binary stream (an S3 body is never read whole)."""
    return gzip.GzipFile(fileobj=io.BytesIO(source) if isinstance(source, bytes | bytearray) else source, mode="rb")


def gunzip(source: bytes | bytearray | BinaryIO, limit: int) -> bytearray:
    """All of the decompressed bytes (every gzip member), or SizeLimitExceeded once they pass `limit`.

    Raises what gzip raises for input that is not gzip (OSError, EOFError, zlib.error)."""
    out = bytearray()
    with open_gzip(source) as reader:
        while chunk := reader.read(min(CHUNK, limit + 1 - len(out))):
            out += chunk
            if len(out) > limit:
                raise SizeLimitExceeded(limit)
    return out


def read_capped(source: bytes | bytearray | BinaryIO, limit: int) -> bytearray:
    """Gzip input decompressed, other input as is; either way at most `limit` bytes, or SizeLimitExceeded."""
    stream: BinaryIO = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    head = stream.read(len(GZIP_MAGIC))
    rest = io.BufferedReader(_Prefixed(head, stream), CHUNK)
    if head == GZIP_MAGIC:
        return gunzip(rest, limit)
    out = bytearray(rest.read(limit + 1))
    if len(out) > limit:
        raise SizeLimitExceeded(limit, "size")
    return out


class _Prefixed(io.RawIOBase):
    """`head` (already read to sniff the format) followed by the rest of `stream`."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(view))
        view[: len(data)] = data
        return len(data)
