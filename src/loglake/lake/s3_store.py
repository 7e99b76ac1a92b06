"""S3 (or any S3-compatible endpoint) as the lake.

Endpoints and credentials follow boto3's own conventions (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3,
the standard credential chain), so moto, LocalStack or MinIO need no loglake flag. A PUT is atomic
in S3; the compare-and-swap uses S3 conditional writes (If-Match / If-None-Match). Throttling and 5xx
answers are retried by botocore's standard retry mode (exponential backoff with jitter).

Queries read objects in place (lake/s3_files.py): `glob` names them as DuckDB reads them through the
filesystem `filesystem()` returns, whose ranged GETs fetch only the bytes a query needs, counted in
`reads`. Nothing is mirrored or written locally.

A lease is an object under state/leases/, created with If-None-Match and renewed with If-Match while its
holder works. One not renewed for its TTL (its holder crashed) is taken over; the age is judged on the
server's clock (Last-Modified against the response's Date), so hosts' clocks do not matter.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import orjson

from loglake.errors import StoreError
from loglake.lake.keys import STATE_PREFIX, check_key
from loglake.lake.s3_files import FetchCounter, is_missing, s3_filesystem
from loglake.lake.s3_files import url as s3_url
from loglake.lake.store import Lease, glob_escape

_RETRIES = {"mode": "standard", "max_attempts": 8}
LEASE_PREFIX = f"{STATE_PREFIX}leases/"
_CONFLICT = ("PreconditionFailed", "ConditionalRequestConflict")


def s3_client(region: str | None = None) -> Any:
    """`region`: another than the environment's (an S3 Tables warehouse is in its table bucket's region)."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", region_name=region, config=Config(retries=_RETRIES))


def _error(action: str, where: str, exc: Exception) -> StoreError:
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return StoreError(f"cannot {action} {where}: {error.get('Code', '?')}: {error.get('Message', '')}".rstrip(": "))
    if isinstance(exc, BotoCoreError):
        return StoreError(f"cannot {action} {where}: {exc}")
    return StoreError(f"cannot {action} {where}: {exc}")


class S3Store:
    lease_ttl: float = 120.0
    """Seconds a lease lasts unless renewed; its holder renews it every third of that."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        if not bucket:
            raise StoreError("an S3 lake needs a bucket: s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.uri = f"s3://{bucket}/{self.prefix}"
        self.client = client or s3_client()
        self.reads = FetchCounter()
        """GETs and bytes that queries fetched through `filesystem()` (tests and benchmarks report them)."""

    def read_root(self) -> str:
        """Where DuckDB reads this lake's objects (as a literal name): what a query's connection may open."""
        return s3_url(self.bucket, self.prefix)

    def filesystem(self, clients: dict[str, Any] | None = None) -> Any:
        """The filesystem to register with a DuckDB connection before reading `glob`'s locations; `clients`
        adds other buckets (a raw zone elsewhere) to the same filesystem."""
        return s3_filesystem({self.bucket: self.client, **(clients or {})}, self.reads)

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
        from botocore.exceptions import BotoCoreError, ClientError

        self.reads.heads += 1
        try:
            return str(self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ETag"])
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise _error("read", f"{self.uri}{key}", exc) from None
        except BotoCoreError as exc:  # unreachable endpoint: a StoreError, so one object fails, not the run
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

    def list_versions(self, prefix: str) -> Iterator[tuple[str, str]]:
        """Every key under prefix with its version() token (the ETag), from the listing: no HEAD per object."""
        from botocore.exceptions import BotoCoreError, ClientError

        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                self.reads.lists += 1
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix) :], str(item["ETag"])
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
            if is_missing(exc):
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

    def sweep(self) -> Sequence[str]:
        return []  # a PUT is atomic: S3 has no half-written objects to remove

    @contextlib.contextmanager
    def lease(self, name: str, *, wait: float = 0.0) -> Iterator[Lease]:
        key = f"{LEASE_PREFIX}{hashlib.sha256(name.encode()).hexdigest()[:32]}.json"
        owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        body = _lease_body(name, owner, self.lease_ttl, 0)
        deadline = time.monotonic() + wait
        sent = time.monotonic()
        etag = self._take_lease(key, body)
        while etag is None:
            if time.monotonic() >= deadline:
                yield Lease(name, False)
                return
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
            sent = time.monotonic()
            etag = self._take_lease(key, body)
        # Held for two thirds of the TTL after each renewal was sent: a third of it is left before another
        # run may take the lease over as expired.
        lease = Lease(name, True, valid_s=self.lease_ttl * 2 / 3)
        lease.renewed(sent)
        stop = threading.Event()
        renewal = threading.Thread(target=self._renew_lease, args=(key, name, owner, etag, stop, lease), daemon=True)
        renewal.start()
        try:
            yield lease
        finally:
            stop.set()
            renewal.join()
            data, _version = self.read_versioned(key)
            if data and orjson.loads(data).get("owner") == owner:  # a holder that lost it must not free another's
                self.delete(key)

    def _take_lease(self, key: str, body: bytes) -> str | None:
        """The new lease's ETag, or None while another holder's lease is live."""
        from botocore.exceptions import BotoCoreError, ClientError

        for condition in ({"IfNoneMatch": "*"}, None):
            if condition is None:
                try:
                    held = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
                except ClientError as exc:
                    if is_missing(exc):
                        continue  # released meanwhile: try again next time
                    raise _error("read", f"{self.uri}{key}", exc) from None
                except BotoCoreError as exc:
                    raise _error("read", f"{self.uri}{key}", exc) from None
                ttl = float(orjson.loads(held["Body"].read()).get("ttl_s", self.lease_ttl))
                date = held.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
                now = parsedate_to_datetime(date).timestamp() if date else time.time()
                if now - held["LastModified"].timestamp() <= ttl:
                    return None
                condition = {"IfMatch": held["ETag"]}  # expired: its holder crashed; take it over
            try:
                response = self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body, **condition)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in _CONFLICT:
                    continue
                raise _error("write", f"{self.uri}{key}", exc) from None
            except BotoCoreError as exc:
                raise _error("write", f"{self.uri}{key}", exc) from None
            return str(response["ETag"])
        return None

    def _renew_lease(self, key: str, name: str, owner: str, etag: str, stop: threading.Event, lease: Lease) -> None:
        """Each renewal writes a new body (its count), so a new ETag: a run that read the lease before it was
        renewed and takes it over as expired fails its If-Match instead of taking a live lease.

        A failed renewal is retried (S3 unreachable for a moment) until the lease is no longer surely held;
        then, or when another run took it over, the lease is marked lost and its holder's next check fails."""
        from botocore.exceptions import BotoCoreError, ClientError

        renewals = 0
        while not stop.wait(self.lease_ttl / 3):
            renewals += 1
            body = _lease_body(name, owner, self.lease_ttl, renewals)
            pause = 0.05
            while True:
                sent = time.monotonic()
                try:
                    response = self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body, IfMatch=etag)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") in _CONFLICT:
                        lease.mark_lost("another run took it over after it expired")
                        return
                    error = str(exc)
                except BotoCoreError as exc:
                    error = str(exc)
                else:
                    etag = str(response["ETag"])
                    lease.renewed(sent)
                    break
                if lease.lost:
                    lease.mark_lost(f"could not renew it: {error}")
                    return
                if stop.wait(pause):
                    return
                pause = min(pause * 2, self.lease_ttl / 12)

    def glob(self, pattern: str) -> str:
        """Where DuckDB reads the objects matching `pattern`, in place (register `filesystem()` first)."""
        return glob_escape(self.read_root()) + pattern


def _lease_body(name: str, owner: str, ttl_s: float, renewals: int) -> bytes:
    return orjson.dumps({"name": name, "owner": owner, "ttl_s": ttl_s, "renewals": renewals})
