"""pyiceberg's FileIO for a lake's Iceberg tables that needs no pyarrow: local files and boto3 for S3.

pyiceberg picks PyArrowFileIO whenever pyarrow is installed (and fsspec's S3 needs s3fs, which the Lambda
package leaves out); the catalogs name this class in `py-io-impl` instead, so a commit reads and writes
metadata, manifest lists and manifests the same way with or without pyarrow. Those files are small and
immutable: an input is read whole into memory, an output is written whole when closed (a local one by a
temporary file linked into place, so a reader never sees half a metadata file).
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pyiceberg.io import FileIO, InputFile, InputStream, OutputFile, OutputStream
from pyiceberg.typedef import EMPTY_DICT, Properties

from loglake.lake.s3_files import is_missing


def _split(location: str) -> tuple[str, str, str]:
    """(scheme, bucket, key or local path) of a location."""
    parsed = urlparse(location)
    if parsed.scheme in ("s3", "s3a", "s3n"):
        return "s3", parsed.netloc, parsed.path.lstrip("/")
    if parsed.scheme in ("", "file"):
        return "file", "", parsed.path if parsed.scheme else location
    raise ValueError(f"loglake's Iceberg FileIO reads file:// and s3:// locations, not {location}")


class _Output(io.BytesIO):
    """The bytes of one output file, stored when closed."""

    def __init__(self, store: Any) -> None:
        super().__init__()
        self._store = store
        self._stored = False

    def close(self) -> None:
        if not self._stored and not self.closed:
            self._stored = True
            self._store(self.getvalue())
        super().close()


class LakeInputFile(InputFile):
    def __init__(self, location: str, fileio: LakeFileIO) -> None:
        super().__init__(location)
        self._io = fileio

    def __len__(self) -> int:
        scheme, bucket, key = _split(self.location)
        if scheme == "file":
            return Path(key).stat().st_size
        return int(self._io.s3().head_object(Bucket=bucket, Key=key)["ContentLength"])

    def exists(self) -> bool:
        return self._io.exists(self.location)

    def open(self, seekable: bool = True) -> InputStream:
        scheme, bucket, key = _split(self.location)
        if scheme == "file":
            return Path(key).open("rb")
        try:
            body = self._io.s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            if is_missing(exc):
                raise FileNotFoundError(self.location) from exc
            raise
        return io.BytesIO(body)


class LakeOutputFile(OutputFile):
    def __init__(self, location: str, fileio: LakeFileIO) -> None:
        super().__init__(location)
        self._io = fileio

    def __len__(self) -> int:
        return len(self.to_input_file())

    def exists(self) -> bool:
        return self._io.exists(self.location)

    def to_input_file(self) -> InputFile:
        return LakeInputFile(self.location, self._io)

    def create(self, overwrite: bool = False) -> OutputStream:
        if not overwrite and self.exists():
            raise FileExistsError(f"Cannot create {self.location}: it exists already")
        scheme, bucket, key = _split(self.location)
        if scheme == "file":
            return _Output(lambda data: _write_local(Path(key), data, overwrite))
        return _Output(lambda data: self._io.s3().put_object(Bucket=bucket, Key=key, Body=data))


def _write_local(path: Path, data: bytes, overwrite: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        if overwrite:
            tmp.replace(path)
        else:
            path.hardlink_to(tmp)  # fails if another writer created it meanwhile
    finally:
        tmp.unlink(missing_ok=True)


class LakeFileIO(FileIO):
    """file:// paths on the local disk and s3:// objects through boto3 (endpoint, region and keys from the
    catalog's s3.* properties, else boto3's own environment)."""

    def __init__(self, properties: Properties = EMPTY_DICT) -> None:
        super().__init__(properties)
        self._client: Any = None

    def s3(self) -> Any:
        if self._client is None:
            import boto3

            p = self.properties
            self._client = boto3.client(
                "s3",
                endpoint_url=p.get("s3.endpoint"),
                region_name=p.get("s3.region"),
                aws_access_key_id=p.get("s3.access-key-id"),
                aws_secret_access_key=p.get("s3.secret-access-key"),
                aws_session_token=p.get("s3.session-token"),
            )
        return self._client

    def exists(self, location: str) -> bool:
        scheme, bucket, key = _split(location)
        if scheme == "file":
            return Path(key).exists()
        try:
            self.s3().head_object(Bucket=bucket, Key=key)
        except Exception as exc:
            if is_missing(exc):
                return False
            raise
        return True

    def new_input(self, location: str) -> InputFile:
        return LakeInputFile(location, self)

    def new_output(self, location: str) -> OutputFile:
        return LakeOutputFile(location, self)

    def delete(self, location: str | InputFile | OutputFile) -> None:
        where = location if isinstance(location, str) else location.location
        scheme, bucket, key = _split(where)
        if scheme == "file":
            Path(key).unlink(missing_ok=True)
            return
        self.s3().delete_object(Bucket=bucket, Key=key)
