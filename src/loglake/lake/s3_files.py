"""S3 objects as files DuckDB reads in place: an fsspec filesystem over boto3 range GETs.

DuckDB 2.0's httpfs cannot be installed offline, so an S3 lake's objects are served to DuckDB through
`con.register_filesystem`: DuckDB opens `loglakes3://bucket/key`, seeks and reads, and each read becomes
one ranged GetObject of exactly the bytes asked for. A Parquet scan therefore fetches the footer and
then only the column chunks of the row groups it needs; hive partitions it prunes are never opened.
Nothing is written locally (the old whole-object mirror is gone).

Every ranged GET carries If-Match with the ETag the listing (or HEAD) gave the object's size with, so an
object rewritten under the same key mid-query (etl --force, compaction) fails with CHANGED instead of
mixing the bytes of two versions.

Every request is counted in a FetchCounter (GETs, bytes, keys, LISTs, HEADs), so tests and benchmarks can
say what a query fetched. fsspec is pure Python (the `aws` extra); boto3 is the store's own client.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loglake.errors import StoreError

_REMEMBERED_TAIL = 1 << 20
"""Tail reads (footers) up to this size are remembered until the next query."""
_BLOCK = 8 << 20
"""Read-ahead of a sequentially read object (gzip JSON lines): one GET per 8 MiB."""
CHANGED = "object changed during the query; run it again"
"""The error a ranged GET answered 412 becomes: the object was rewritten (an ETL re-run, compaction, the
collector) since its size and ETag were listed, so its bytes would mix two versions."""
PROTOCOL = "loglakes3"
"""The scheme DuckDB sees: `loglakes3://<bucket>/<object key>`."""


@dataclass
class FetchCounter:
    """What was asked of S3 through the filesystem: each ranged GET, its bytes, and which keys."""

    gets: int = 0
    bytes: int = 0
    lists: int = 0
    heads: int = 0
    keys: Counter[str] = field(default_factory=Counter)
    """Bytes fetched per object key (bucket/key as DuckDB named it)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def got(self, path: str, size: int) -> None:
        with self._lock:
            self.gets += 1
            self.bytes += size
            self.keys[path] += size

    def reset(self) -> None:
        with self._lock:
            self.gets = self.bytes = self.lists = self.heads = 0
            self.keys.clear()

    def snapshot(self) -> dict[str, int]:
        return {"gets": self.gets, "bytes": self.bytes, "lists": self.lists, "heads": self.heads}


def is_missing(exc: Exception) -> bool:
    """True for S3's answer about a key that does not exist (GET's NoSuchKey, HEAD's bare 404)."""
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def _precondition_failed(exc: Exception) -> bool:
    """True for S3's answer to a GET whose If-Match no longer holds (HTTP 412)."""
    response = getattr(exc, "response", None) or {}
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status == 412 or response.get("Error", {}).get("Code") in ("PreconditionFailed", "412")


def s3_filesystem(clients: dict[str, Any], counter: FetchCounter) -> Any:
    """The filesystem for DuckDB (`con.register_filesystem`): one boto3 client per bucket it may read."""
    try:
        from fsspec.spec import AbstractBufferedFile, AbstractFileSystem
    except ImportError:
        raise StoreError(
            "querying an S3 lake needs fsspec: pip install 'loglake[aws]' (or ./dev test for a checkout)"
        ) from None

    class RangedFile(AbstractBufferedFile):  # type: ignore[misc]
        """DuckDB asks for whole footers and column chunks: one GET each. A footer read again while one
        query binds and runs (a view's columns, then the scan) is served from the filesystem's memory."""

        def _fetch_range(self, start: int, end: int) -> bytes:
            if end <= start:
                return b""
            fs: Any = self.fs
            etag: str | None = self.kwargs.get("etag")
            remembered = fs._ranges.get((self.path, etag, start, end))
            if remembered is not None:
                return bytes(remembered)
            bucket, key = fs.split(self.path)
            pinned = {"IfMatch": etag} if etag else {}
            try:
                response = fs.client(bucket).get_object(
                    Bucket=bucket, Key=key, Range=f"bytes={start}-{end - 1}", **pinned
                )
                data: bytes = response["Body"].read()
            except Exception as exc:
                if _precondition_failed(exc):
                    raise OSError(f"s3://{bucket}/{key}: {CHANGED}") from None
                raise OSError(f"cannot read s3://{bucket}/{key} bytes {start}-{end - 1}: {exc}") from None
            counter.got(f"{bucket}/{key}", len(data))
            if end == self.size and len(data) <= _REMEMBERED_TAIL:
                fs._ranges[(self.path, etag, start, end)] = data
            return data

    class S3RangeFileSystem(AbstractFileSystem):  # type: ignore[misc]
        protocol = PROTOCOL
        cachable = False

        def __init__(self) -> None:
            super().__init__()
            self._infos: dict[str, dict[str, Any]] = {}
            self._ranges: dict[tuple[str, int, int], bytes] = {}

        def invalidate_cache(self, path: str | None = None) -> None:
            """Sizes learnt from listings are forgotten (the engine does so before each query): an object
            rewritten since (a re-run, compaction) is read at its new size, and footers are read anew."""
            self._infos.clear()
            self._ranges.clear()

        def client(self, bucket: str) -> Any:
            if bucket not in clients:
                raise PermissionError(f"bucket {bucket!r} is not this lake's")
            return clients[bucket]

        @staticmethod
        def split(path: str) -> tuple[str, str]:
            bucket, _, key = S3RangeFileSystem._strip_protocol(path).partition("/")
            return bucket, key

        @classmethod
        def _strip_protocol(cls, path: Any) -> str:
            text = str(path)
            if text.startswith(f"{PROTOCOL}://"):
                text = text[len(PROTOCOL) + 3 :]
            return text.rstrip("/")

        def _listing(self, prefix_path: str, delimiter: bool) -> list[dict[str, Any]]:
            bucket, prefix = self.split(prefix_path)
            prefix = f"{prefix}/" if prefix else ""
            entries: list[dict[str, Any]] = []
            paginator = self.client(bucket).get_paginator("list_objects_v2")
            options = {"Delimiter": "/"} if delimiter else {}
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix, **options):
                counter.lists += 1
                for common in page.get("CommonPrefixes", []):
                    name = f"{bucket}/{common['Prefix'].rstrip('/')}"
                    entries.append({"name": name, "type": "directory", "size": 0})
                for item in page.get("Contents", []):
                    info = {
                        "name": f"{bucket}/{item['Key']}",
                        "type": "file",
                        "size": int(item["Size"]),
                        "LastModified": item["LastModified"],
                        "ETag": item.get("ETag"),
                    }
                    self._infos[info["name"]] = info
                    entries.append(info)
            return entries

        def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
            entries = self._listing(self._strip_protocol(path), delimiter=True)
            return entries if detail else [e["name"] for e in entries]

        def find(
            self, path: str, maxdepth: int | None = None, withdirs: bool = False, detail: bool = False, **kwargs: Any
        ) -> Any:
            """One flat listing of the prefix (not one LIST per folder), folders derived from the keys."""
            root = self._strip_protocol(path)
            found: dict[str, dict[str, Any]] = {}
            for info in self._listing(root, delimiter=False):
                rest = info["name"][len(root) + 1 :].split("/")
                if maxdepth is not None and len(rest) > maxdepth:
                    continue
                found[info["name"]] = info
                if withdirs:
                    for depth in range(1, len(rest)):
                        folder = root + "/" + "/".join(rest[:depth])
                        found.setdefault(folder, {"name": folder, "type": "directory", "size": 0})
            names = sorted(found)
            return {n: found[n] for n in names} if detail else names

        def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
            name = self._strip_protocol(path)
            if name in self._infos:
                return self._infos[name]
            bucket, key = self.split(name)
            try:
                head = self.client(bucket).head_object(Bucket=bucket, Key=key)
            except Exception as exc:  # only a missing key is "not found"; a refusal or a throttle says what it was
                if is_missing(exc):
                    raise FileNotFoundError(name) from None
                raise OSError(f"cannot read s3://{bucket}/{key}: {exc}") from None
            finally:
                counter.heads += 1
            info = {
                "name": name,
                "type": "file",
                "size": int(head["ContentLength"]),
                "LastModified": head["LastModified"],
                "ETag": head.get("ETag"),
            }
            self._infos[name] = info
            return info

        def modified(self, path: str) -> datetime:
            stamp: datetime = self.info(path)["LastModified"]
            return stamp

        def _open(self, path: str, mode: str = "rb", block_size: Any = None, **kwargs: Any) -> Any:
            if mode != "rb":
                raise PermissionError("S3 lake files are read-only here")
            name = self._strip_protocol(path)
            info = self.info(name)
            size, etag = info["size"], info.get("ETag")  # every GET is pinned to the version sized here
            if name.endswith(".parquet"):  # footers and column chunks: exactly the bytes asked for
                return RangedFile(self, name, mode, block_size=_BLOCK, cache_type="none", size=size, etag=etag)
            # gzip JSON lines are read whole, front to back: a few large GETs rather than one per buffer
            return RangedFile(self, name, mode, block_size=_BLOCK, cache_type="readahead", size=size, etag=etag)

    return S3RangeFileSystem()


def url(bucket: str, key: str) -> str:
    """The name DuckDB reads an object by."""
    return f"{PROTOCOL}://{bucket}/{key}"
