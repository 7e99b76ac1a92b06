"""ETL manifests in `state/etl/<object id>.json`: the commit record of one raw object's processing.

Written last, after every clean and quarantine object is in place, so "has a manifest" means "done".
It lists the outputs, which lets a re-run with a different result (a fixed parser re-driving
quarantine) delete outputs the new run no longer produces, instead of leaving them to double-count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import orjson

from loglake.lake.keys import STATE_PREFIX, manifest_key
from loglake.lake.store import Store


@dataclass
class Manifest:
    raw_object: str
    etl_version: str
    raw_rows: int
    events: int
    duplicates: int
    clean_rows: int
    quarantined_rows: int
    outputs: list[str] = field(default_factory=list)
    raw_version: str | None = None
    """The raw object's version (ETag or content hash) when it was processed: a rewritten object
    (a collector slice that gained late events) is processed again, an unchanged one is not."""
    tables: dict[str, int] = field(default_factory=dict)
    """Clean rows per table, so summaries can say where the rows went."""
    time_sources: dict[str, int] = field(default_factory=dict)
    """Clean rows per time_source (parsed, source, ingestion): how many times were not read from the line."""
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    """Quarantined rows per reason code: what the ETL's metrics and `loglake status` count without a query."""
    newest_event_ms: int | None = None
    """The newest event time (the record's timestamp, ms) in the object: the lag `status` reports."""
    table_newest_ms: dict[str, int] = field(default_factory=dict)
    """The newest event time of the clean rows per table (the ETL's per-table lag metric)."""
    raw_bytes: int | None = None
    output_bytes: int | None = None
    """Bytes read (the raw object) and written (clean and quarantine objects)."""
    committed_ms: int | None = None
    """When the run committed (ms since epoch): the scheduled conservation check checks the recent ones."""


def read_manifest(store: Store, object_id: str) -> Manifest | None:
    data, _version = store.read_versioned(manifest_key(object_id))
    return Manifest(**orjson.loads(data)) if data else None


def write_manifest(store: Store, object_id: str, manifest: Manifest) -> None:
    store.put(manifest_key(object_id), orjson.dumps(asdict(manifest), option=orjson.OPT_INDENT_2))


def processed_raw_objects(store: Store) -> dict[str, str | None]:
    """raw key → the raw version its committed ETL run read."""
    done = {}
    for key in store.list(f"{STATE_PREFIX}etl/"):
        if key.endswith(".json"):
            manifest = orjson.loads(store.get(key))
            done[manifest["raw_object"]] = manifest.get("raw_version")
    return done
