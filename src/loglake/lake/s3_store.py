"""S3 (or any S3-compatible endpoint) as the lake.

Endpoints and credentials follow boto3's own conventions (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3,
the standard credential chain), so moto, LocalStack or MinIO need no loglake flag. A PUT is atomic
in S3; the compare-and-swap uses S3 conditional writes (If-Match / If-None-Match). Throttling and 5xx
answers are retried by botocore's standard retry mode (exponential backoff with jitter).

DuckDB 2.x has no offline-installable httpfs, so `glob` mirrors the matching objects into a local
cache (re-downloading only objects whose ETag changed) and returns the cached path.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from loglake.errors import StoreError
from loglake.lake.keys import check_key

_RETRIES = {"mode": "standard", "max_attempts": 8}


def s3_client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(retries=_RETRIES))


def _error(action: str, where: str, exc: Exception) -> StoreError:
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return StoreError(f"cannot {action} {where}: {error.get('Code', '?')}: {error.get('Message', '')}".rstrip(": "))
    if isinstance(exc, BotoCoreError):
        return StoreError(f"cannot {action} {where}: {exc}")
    return StoreError(f"cannot {action} {where}: {exc}")


class S3Store:
    def __init__(self, bucket: str, prefix: str = "", client: Any = None, cache_dir: Path | None = None) -> None:
        if not bucket:
            raise StoreError("an S3 lake needs a bucket: s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.uri = f"s3://{bucket}/{self.prefix}"
        self.client = client or s3_client()
        digest = hashlib.sha256(self.uri.encode()).hexdigest()[:16]
        self.cache_dir = cache_dir or Path(tempfile.gettempdir()) / "loglake-cache" / digest

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _call(self, action: str, key: str, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise _error(action, f"s3://{self.bucket}/{self.prefix}{key}", exc) from None

    def get(self, key: str) -> bytes:
        data, _version = self.read_versioned(key)
        if data is None:
            raise StoreError(f"no object {key!r} in {self.uri}")
        return data

    def put(self, key: str, data: bytes) -> None:
        self._call("write", key, "put_object", Key=self._key(key), Body=data)

    def put_file(self, key: str, path: Path) -> None:
        with path.open("rb") as body:
            self._call("write", key, "put_object", Key=self._key(key), Body=body)

    def delete(self, key: str) -> None:
        self._call("delete", key, "delete_object", Key=self._key(key))

    def exists(self, key: str) -> bool:
        return self.version(key) is not None

    def version(self, key: str) -> str | None:
        from botocore.exceptions import ClientError

        try:
            return str(self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ETag"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise _error("read", f"{self.uri}{key}", exc) from None

    def list(self, prefix: str) -> Iterator[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix) :]
        except (ClientError, BotoCoreError) as exc:
            raise _error("list", f"{self.uri}{prefix}", exc) from None

    @contextlib.contextmanager
    def local_file(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="loglake-s3-") as tmp:
            path = Path(tmp) / "object"
            path.write_bytes(self.get(key))
            yield path

    def read_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            return response["Body"].read(), str(response["ETag"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None, None
            raise _error("read", f"{self.uri}{key}", exc) from None
        except BotoCoreError as exc:
            raise _error("read", f"{self.uri}{key}", exc) from None

    def put_if(self, key: str, data: bytes, version: str | None) -> bool:
        from botocore.exceptions import ClientError

        condition = {"IfNoneMatch": "*"} if version is None else {"IfMatch": version}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise _error("write", f"{self.uri}{key}", exc) from None
        return True

    def glob(self, pattern: str) -> str:
        """Mirror the objects matching `pattern` ('*' within a segment, '**' across) and return the local glob."""
        static = pattern.split("*", 1)[0]
        regex = fnmatch.translate(pattern.replace("**/", "\x00")).replace("\x00", "(?:.*/)?")
        matcher = re.compile(regex)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        wanted = set()
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + static):
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if not matcher.match(key):
                    continue
                wanted.add(key)
                target = self.cache_dir / check_key(key)
                tag = target.with_name(target.name + ".etag")
                if target.exists() and tag.exists() and tag.read_text() == item["ETag"]:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self.get(key))
                tag.write_text(item["ETag"])
        static_dir = self.cache_dir / static.rsplit("/", 1)[0] if "/" in static else self.cache_dir
        for stale in static_dir.rglob("*") if static_dir.is_dir() else []:
            rel = stale.relative_to(self.cache_dir).as_posix()
            if stale.is_file() and not rel.endswith(".etag") and matcher.match(rel) and rel not in wanted:
                stale.unlink()
        return str(self.cache_dir / pattern)
