"""Raw objects set aside as unreadable, in `state/unreadable/<object id>.json`, with the reason.

A raw object that is truncated, overwritten with garbage or not raw records cannot be processed nor
counted. The ETL and `verify` record it here instead of stopping at it: later runs report it by name,
the raw view leaves it out, and the other objects are processed. The raw object itself is never touched.
A record names the version of the object it was made for, so a restored object is processed again.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

import orjson

from loglake.lake.keys import STATE_PREFIX
from loglake.lake.store import Store

UNREADABLE_PREFIX = f"{STATE_PREFIX}unreadable/"
FIX = "restore the object from a copy of its source, then run `loglake etl` (loglake never changes the raw zone)"
"""What to do about an unreadable raw object: said wherever one is reported."""


def is_content_error(exc: BaseException) -> bool:
    """Whether a reader's error is about the object's bytes (not gzip, cut short, not JSON records), which no
    retry fixes. Memory, disk, interrupts and vanished files are not: the object is retried, never set aside."""
    import duckdb  # lazily: the collector's cold path never loads the engine

    if isinstance(exc, duckdb.InvalidInputException | duckdb.ConversionException):
        return True
    if not isinstance(exc, duckdb.IOException):
        return False
    # The words, not the path: every raw key ends in .json.gz, so "No files found ... x.json.gz" must not count.
    words = " ".join(token for token in str(exc).lower().split() if "/" not in token and ".json" not in token)
    return any(word in words for word in ("gzip", "zlib", "json"))


@dataclass(frozen=True)
class Unreadable:
    raw_object: str
    reason: str
    raw_version: str | None
    """The object's version when it was found unreadable; a record for another version is stale."""
    stage: str
    """etl or verify: which command found it."""


def unreadable_key(raw_key: str) -> str:
    """Named by the raw key's object id, as the raw object's manifest and outputs are."""
    return f"{UNREADABLE_PREFIX}{hashlib.sha256(raw_key.encode()).hexdigest()[:24]}.json"


def set_aside(store: Store, raw_key: str, reason: str, stage: str) -> Unreadable:
    record = Unreadable(raw_key, reason, store.version(raw_key), stage)
    store.put(unreadable_key(raw_key), orjson.dumps(asdict(record), option=orjson.OPT_INDENT_2))
    return record


def clear(store: Store, raw_key: str) -> None:
    store.delete(unreadable_key(raw_key))


def unreadable_objects(store: Store) -> dict[str, Unreadable]:
    """raw key → its record, for objects still at the version found unreadable (and still there)."""
    found = {}
    for key in store.list(UNREADABLE_PREFIX):
        data, _version = store.read_versioned(key)
        if data is not None and key.endswith(".json"):
            record = Unreadable(**orjson.loads(data))
            if record.raw_version is not None and store.version(record.raw_object) == record.raw_version:
                found[record.raw_object] = record
    return found
