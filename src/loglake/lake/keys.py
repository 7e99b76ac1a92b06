"""Object keys: every key loglake writes is built here, from sanitised parts.

Log data (group and stream names, table names) ends up in keys and partition values, so each
part is percent-encoded: no '/', no '..', nothing that can climb out of its zone or break a
Hive-style `name=value` segment. The encoding is reversible, so a key can be read back.

A raw object that holds the events of many streams (the collector packs the small streams of a log
group into shared objects) has the stream segment SHARED_STREAM_SEGMENT, `%7Eshared`: a percent-escape
of '~', which `quote` never escapes, so no stream name encodes to it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from loglake.errors import RawObjectError, StoreError

RAW_PREFIX = "raw/"
CLEAN_PREFIX = "clean/"
QUARANTINE_PREFIX = "quarantine/"
STATE_PREFIX = "state/"
SCHEMA_PREFIX = "schema/"

_MAX_SEGMENT = 180
SHARED_STREAM_SEGMENT = "%7Eshared"
"""The stream segment of a raw object shared by many streams (each record still names its own log_stream)."""
_SAFE_TABLE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RAW_KEY = re.compile(
    r"^raw/source=(?P<source>[a-z0-9_]+)/log_group=(?P<group>[^/]+)/stream=(?P<stream>[^/]+)/"
    r"(?P<range>[0-9A-Za-z_-]+)\.json\.gz$"
)


def check_key(key: str) -> str:
    """Refuse keys that are absolute or climb out of the lake."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\x00" in key:
        raise StoreError(f"refusing unsafe object key {key!r}")
    return key


def encode_segment(value: str) -> str:
    """Percent-encode one key segment; long values are cut and made unique with a hash."""
    encoded = quote(value, safe="").replace(".", "%2E") if set(value) <= {"."} else quote(value, safe="")
    if not encoded:
        encoded = "%00empty"
    if len(encoded) > _MAX_SEGMENT:
        digest = hashlib.sha256(value.encode()).hexdigest()[:16]
        encoded = f"{encoded[: _MAX_SEGMENT - 17].rstrip('%')}~{digest}"
    return encoded


def decode_segment(segment: str) -> str:
    return unquote(segment)


def table_name(name: str) -> str:
    """Table names appear in keys, views and DDL, so only a conservative identifier is accepted."""
    if not _SAFE_TABLE.match(name):
        raise StoreError(f"invalid table name {name!r}: use lowercase letters, digits and '_'")
    return name


@dataclass(frozen=True)
class RawKey:
    """The parts of a raw-zone key: who produced the batch, and which range of its source it holds.

    `shared` marks an object holding events of several streams of the group (stream is then "")."""

    source: str
    log_group: str
    stream: str
    range: str
    shared: bool = False

    @classmethod
    def of_streams(cls, source: str, log_group: str, range: str) -> RawKey:
        """The key of an object shared by several streams of `log_group`."""
        return cls(source, log_group, "", range, shared=True)

    @property
    def key(self) -> str:
        stream = SHARED_STREAM_SEGMENT if self.shared else encode_segment(self.stream)
        return (
            f"{RAW_PREFIX}source={self.source}/log_group={encode_segment(self.log_group)}"
            f"/stream={stream}/{self.range}.json.gz"
        )

    @property
    def object_id(self) -> str:
        """The name of everything derived from this raw object: its clean, quarantine and manifest keys."""
        return hashlib.sha256(self.key.encode()).hexdigest()[:24]

    @classmethod
    def parse(cls, key: str) -> RawKey:
        match = _RAW_KEY.match(key)
        if match is None:
            raise RawObjectError(
                f"{key!r} is not in the raw layout "
                "(raw/source=<s>/log_group=<g>/stream=<s>/<range>.json.gz); refusing to process it"
            )
        if match["stream"] == SHARED_STREAM_SEGMENT:
            return cls.of_streams(match["source"], decode_segment(match["group"]), match["range"])
        return cls(
            source=match["source"],
            log_group=decode_segment(match["group"]),
            stream=decode_segment(match["stream"]),
            range=match["range"],
        )


def stream_prefix(source: str, log_group: str, stream: str) -> str:
    return f"{RAW_PREFIX}source={source}/log_group={encode_segment(log_group)}/stream={encode_segment(stream)}/"


def shared_prefix(source: str, log_group: str) -> str:
    """The folder of a log group's shared (many-stream) raw objects."""
    return f"{RAW_PREFIX}source={source}/log_group={encode_segment(log_group)}/stream={SHARED_STREAM_SEGMENT}/"


def clean_key(table: str, partition_dir: str, object_id: str, suffix: str) -> str:
    """partition_dir is 'dt=YYYY-MM-DD/hour=HH' as the engine wrote it; it is re-validated here."""
    if not re.fullmatch(r"dt=\d{4}-\d{2}-\d{2}/hour=\d{2}", partition_dir):
        raise StoreError(f"unexpected clean partition {partition_dir!r}")
    return f"{CLEAN_PREFIX}{table_name(table)}/{partition_dir}/{object_id}{suffix}"


def quarantine_key(partition_dir: str, object_id: str) -> str:
    if not re.fullmatch(r"dt=\d{4}-\d{2}-\d{2}", partition_dir):
        raise StoreError(f"unexpected quarantine partition {partition_dir!r}")
    return f"{QUARANTINE_PREFIX}{partition_dir}/{object_id}.json.gz"


def manifest_key(object_id: str) -> str:
    return f"{STATE_PREFIX}etl/{object_id}.json"


def schema_key(table: str) -> str:
    return f"{SCHEMA_PREFIX}{table_name(table)}.json"


def checkpoint_key(kind: str, name: str) -> str:
    return f"{STATE_PREFIX}{kind}/{encode_segment(name)}.json"


_DT = re.compile(r"/dt=(\d{4}-\d{2}-\d{2})/")


def partition_day(key: str) -> str | None:
    """The dt (YYYY-MM-DD) of a clean or quarantine key, None for any other key."""
    match = _DT.search(key)
    return match.group(1) if match else None
