"""Header lines remembered per stream: the field order a VPC flow log custom-format header or a CloudFront
`#Fields` line gives to the records after it, when a file's lines are split across several raw objects.

A header is looked for in each raw object (the parsers' setup). When one is found, the ETL records it in
`state/headers/<hash of source, log group, stream>.json` (one document per stream, read once per raw
object), under its format and the object's range (the byte range of a file's batch, so ranges sort in
file order). An object without a header of its own uses the
stream's header of the greatest range not after its own: the one that came before it in the file.

Exactly once, in any order:
- recording is compare-and-swap and idempotent: the same header under the same range changes nothing, so
  a retry or a duplicate notification re-runs nothing;
- when a header is new, the objects of the stream that come after it, have no header of their own and were
  already processed (processed before the one holding the header: their records went to `logs` as text)
  are processed again with it (`force`), which overwrites their outputs (keys derive from the raw key);
- an object processed while the header was being recorded checks, once committed, that the header it
  used is still the stream's, and re-runs itself if not. Either way its final outputs are typed, and
  `verify` counts each event once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson

from loglake.lake.keys import RawKey, checkpoint_key, manifest_key, stream_prefix
from loglake.lake.raw_zone import list_raw_objects
from loglake.lake.store import Store

HEADER_FORMATS = ("vpc_flow_log", "cloudfront")
"""Parsers whose setup finds a header line; each leaves `__ll_header_<name>(fields VARCHAR[])` holding the
header found in the object itself (no row when none), and reads `__ll_remembered_headers`."""
REMEMBERED_TABLE = "__ll_remembered_headers"
CREATE_REMEMBERED = f"CREATE TEMP TABLE IF NOT EXISTS {REMEMBERED_TABLE} (format VARCHAR, fields VARCHAR[])"

Headers = dict[str, list[str]]
"""format → the field list an object was read with (from the stream's state)."""


def _key(raw: RawKey) -> str:
    name = hashlib.sha256(f"{raw.source}\0{raw.log_group}\0{raw.stream}".encode()).hexdigest()[:32]
    return checkpoint_key("headers", name)


def _read(store: Store, raw: RawKey) -> tuple[dict[str, Any], str | None]:
    """The stream's document (one read per raw object, whatever the formats): format → range → fields."""
    data, version = store.read_versioned(_key(raw))
    if data is None:
        return {"source": raw.source, "log_group": raw.log_group, "stream": raw.stream, "headers": {}}, None
    return orjson.loads(data), version


def _effective(headers: dict[str, list[str]], range_: str) -> list[str] | None:
    """The header of the greatest range not after `range_` (an object's own header is under its range)."""
    before = [r for r in headers if r <= range_]
    return headers[max(before)] if before else None


def remembered(store: Store, raw_key: str) -> Headers:
    """The headers an object without its own reads its records with, by format."""
    raw = RawKey.parse(raw_key)
    document, _version = _read(store, raw)
    found: Headers = {}
    for format_name in HEADER_FORMATS:
        fields = _effective(document["headers"].get(format_name, {}), raw.range)
        if fields is not None:
            found[format_name] = fields
    return found


def stage(con: Any, headers: Headers) -> None:
    """Put the remembered headers where the parsers' setup reads them (before it runs)."""
    con.execute(f"{CREATE_REMEMBERED}; DELETE FROM {REMEMBERED_TABLE}")  # one call: each costs a small object
    for format_name, fields in headers.items():
        con.execute(f"INSERT INTO {REMEMBERED_TABLE} VALUES (?, ?)", [format_name, fields])


def found_in_object(con: Any) -> Headers:
    """The headers the parsers' setup found in the object itself (after it ran)."""
    found: Headers = {}
    tables = " UNION ALL ".join(
        f"(SELECT {n}, fields FROM __ll_header_{name} LIMIT 1)" for n, name in enumerate(HEADER_FORMATS)
    )
    for n, fields in con.execute(tables).fetchall():  # one statement for every header format
        if fields:
            found[HEADER_FORMATS[n]] = list(fields)
    return found


def after_commit(store: Store, raw_key: str, used: Headers, found: Headers, rerun: Callable[[str], object]) -> None:
    """Record the headers found in this object; re-run the objects that were read without them, and this
    object when the stream's header changed while it ran."""
    raw = RawKey.parse(raw_key)
    if found and _record(store, raw, found):
        for later in _read_without(store, raw, set(found)):
            rerun(later)
    if found.keys() != set(HEADER_FORMATS) and remembered(store, raw_key) != {**used, **found}:
        rerun(raw_key)


def _record(store: Store, raw: RawKey, found: Headers) -> bool:
    """Add the headers under the object's range (compare-and-swap); True when one was not there already."""
    while True:
        document, version = _read(store, raw)
        headers = document["headers"]
        if all(headers.get(name, {}).get(raw.range) == fields for name, fields in found.items()):
            return False
        for name, fields in found.items():
            headers.setdefault(name, {})[raw.range] = fields
        if store.put_if(_key(raw), orjson.dumps(document, option=orjson.OPT_INDENT_2), version):
            return True


def _read_without(store: Store, raw: RawKey, formats: set[str]) -> list[str]:
    """Processed objects of the stream after `raw` whose effective header of one of `formats` is now the one
    `raw` holds."""
    document, _version = _read(store, raw)
    headers = {name: document["headers"].get(name, {}) for name in formats}
    stale = []
    for key in list_raw_objects(store, stream_prefix(raw.source, raw.log_group, raw.stream)):
        other = RawKey.parse(key)
        if other.range <= raw.range:
            continue
        changed = any(
            other.range not in by_range and _effective(by_range, other.range) is by_range[raw.range]
            for by_range in headers.values()
        )
        if changed and store.exists(manifest_key(other.object_id)):
            stale.append(key)
    return stale
