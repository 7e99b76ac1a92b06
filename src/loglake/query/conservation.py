"""The conservation check: for every raw object, clean rows + quarantined rows = distinct raw events.

The check is one SQL query (Athena dialect, so the same text can run on Athena): it also catches an
event written twice (rows > distinct ids) and an event that is not in its raw object.

A raw object that cannot be read cannot be counted: it is reported `unreadable` with its reason, and the
others are still checked. Objects the ETL set aside are known (lake/unreadable.py); when the query fails
on one nobody has seen yet, the objects not committed at their current version are read one by one,
the bad ones are set aside the same way, and the query runs again without them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from loglake.catalog.duckdb_views import clean_tables
from loglake.errors import ConfigError, QueryError, first_line
from loglake.lake.manifests import processed_raw_objects
from loglake.lake.raw_zone import list_raw_objects, raw_reader, read_raw
from loglake.lake.store import Store
from loglake.lake.unreadable import Unreadable, is_content_error, set_aside, unreadable_objects
from loglake.query.engine import DuckDBEngine, QueryEngine, QueryResult
from loglake.query.time_range import TimeRange
from loglake.sql_quoting import quote_identifier, sql_string

RAW_OBJECT_ON_ATHENA = "regexp_extract(\"$path\", 'raw/source=.*$')"
"""Athena has no raw_object column on the raw table: the object's key is the tail of its $path."""


def conservation_sql(
    tables: list[str],
    raw_object: str = "raw_object",
    unreadable: Collection[str] = (),
    time_range: TimeRange | None = None,
) -> str:
    """`unreadable` raw objects are left out of the raw side (the DuckDB view already leaves them out).

    With `time_range`, only the raw objects holding an event whose raw timestamp is in the range are checked,
    each one whole: a raw object's clean rows land in the partitions of their parsed times, which can lie
    outside the range, so the clean side is not cut by time. Orphan outputs are then not looked for.
    """
    clean = " UNION ALL ".join(
        f"SELECT raw_object, log_group, event_id, 'clean' AS zone FROM {quote_identifier(t)}" for t in tables
    )
    conditions = [f"{raw_object} NOT IN ({', '.join(sql_string(k) for k in sorted(unreadable))})"] if unreadable else []
    if time_range is not None:
        conditions.append(
            f"{raw_object} IN (SELECT DISTINCT {raw_object} FROM raw_events WHERE {time_range.table_sql('raw_events')})"
        )
    skip = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    chosen = " WHERE o.raw_object IN (SELECT raw_object FROM raw_counts)" if time_range is not None else ""
    return f"""
WITH raw_ids AS (
    SELECT DISTINCT {raw_object} AS raw_object, log_group, event_id FROM raw_events{skip}
), raw_counts AS (
    SELECT raw_object, count(*) AS raw_events FROM raw_ids GROUP BY raw_object
), outputs AS (
    {clean}
    -- Objects refused at import (over a size cap) never reached the raw zone: they are not conserved here.
    UNION ALL SELECT raw_object, log_group, event_id, 'quarantine' AS zone FROM quarantine WHERE stage <> 'import'
), output_counts AS (
    SELECT o.raw_object,
           count(*) FILTER (WHERE o.zone = 'clean') AS clean_events,
           count(*) FILTER (WHERE o.zone = 'quarantine') AS quarantined_events,
           count(DISTINCT o.log_group || chr(31) || o.event_id) AS distinct_events,
           count(*) FILTER (WHERE r.event_id IS NULL) AS unknown_events
    FROM outputs AS o
    LEFT JOIN raw_ids AS r
      ON r.raw_object = o.raw_object AND r.log_group = o.log_group AND r.event_id = o.event_id{chosen}
    GROUP BY o.raw_object
)
SELECT coalesce(r.raw_object, o.raw_object) AS raw_object,
       coalesce(r.raw_events, 0) AS raw_events,
       coalesce(o.clean_events, 0) AS clean_events,
       coalesce(o.quarantined_events, 0) AS quarantined_events,
       coalesce(o.distinct_events, 0) AS distinct_events,
       coalesce(o.unknown_events, 0) AS unknown_events
FROM raw_counts AS r
FULL OUTER JOIN output_counts AS o ON r.raw_object = o.raw_object
ORDER BY 1
"""


@dataclass
class ObjectCheck:
    raw_object: str
    raw_events: int
    clean_events: int
    quarantined_events: int
    status: str
    """ok | pending (no committed ETL run) | mismatch | duplicates | orphan (outputs without a raw object)
    | unreadable (the raw object cannot be read: `reason` says why; its events cannot be counted)"""
    reason: str = ""


@dataclass
class ConservationReport:
    objects: list[ObjectCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.status == "ok" for o in self.objects)

    def totals(self) -> dict[str, int]:
        return {
            "raw_events": sum(o.raw_events for o in self.objects),
            "clean_events": sum(o.clean_events for o in self.objects),
            "quarantined_events": sum(o.quarantined_events for o in self.objects),
        }

    def as_dict(self) -> dict[str, Any]:
        objects = [{k: v for k, v in asdict(o).items() if k != "reason" or v} for o in self.objects]
        return {"ok": self.ok, **self.totals(), "objects": objects}  # a reason only where there is one


def check_conservation(
    engine: QueryEngine, store: Store, *, on_athena: bool = False, time_range: TimeRange | None = None
) -> ConservationReport:
    """Run the check on either engine; `store` gives the tables and which raw objects have committed ETL runs.

    `time_range` limits the check to the raw objects with an event in it (see conservation_sql)."""
    store.sweep()  # temporary files of writers that died, which earlier versions left where globs read them
    processed = processed_raw_objects(store)
    tables = clean_tables(store)
    if on_athena:
        from loglake.lake.iceberg import in_s3tables

        elsewhere = [t for t in tables if in_s3tables(store, t)]
        if elsewhere:  # not in the Glue database Athena is asked about: the check would fail on a missing table
            raise ConfigError(
                f"verify on Athena does not support the Iceberg table(s) {', '.join(elsewhere)} in S3 Tables (Athena "
                "reads them through the s3tablescatalog federation, not the Glue database): run `loglake verify`"
            )
    unreadable = unreadable_objects(store)
    raw_object = RAW_OBJECT_ON_ATHENA if on_athena else "raw_object"
    try:
        result = engine.query(conservation_sql(tables, raw_object, unreadable, time_range))
    except QueryError as error:
        while True:  # each round sets at least one more object aside, or gives up with the query's error
            found = find_unreadable(store, processed, set(unreadable), hint=str(error))
            if not found:
                raise error from None
            unreadable.update(found)
            try:
                result = _query_again(engine, store, conservation_sql(tables, raw_object, unreadable, time_range))
                break
            except QueryError as again:
                error = again
    report = ConservationReport()
    seen = set()
    for raw_object_key, raw, clean, quarantined, distinct, unknown in result.rows:
        out = clean + quarantined
        if raw_object_key in unreadable:
            seen.add(raw_object_key)
            record = unreadable[raw_object_key]
            report.objects.append(ObjectCheck(raw_object_key, 0, clean, quarantined, "unreadable", record.reason))
            continue
        if raw == 0:
            status = "orphan"
        elif raw_object_key not in processed:
            status = "pending"  # no ETL commit yet; outputs of a crashed run are overwritten by the re-run
        elif out != distinct or unknown:
            status = "duplicates" if out != distinct else "mismatch"
        elif out != raw:
            status = "mismatch"
        else:
            status = "ok"
        report.objects.append(ObjectCheck(raw_object_key, raw, clean, quarantined, status))
    for key in sorted(set(unreadable) - seen):
        report.objects.append(ObjectCheck(key, 0, 0, 0, "unreadable", unreadable[key].reason))
    report.objects.sort(key=lambda o: o.raw_object)
    return report


def find_unreadable(
    store: Store, processed: dict[str, str | None], known: Collection[str] = (), hint: str = ""
) -> dict[str, Unreadable]:
    """Read raw objects one by one and set aside those that cannot be read.

    The objects an error message (`hint`) names are read first. Objects committed at their current
    version were read by the ETL and have not changed since, so they are read only if none of the
    others is to blame.
    """
    keys = [key for key in list_raw_objects(store) if key not in known]
    mentioned = set(_RAW_KEY_IN_TEXT.findall(hint))
    named = [key for key in keys if key in mentioned]
    changed = [key for key in keys if key not in processed or processed[key] != store.version(key)]
    for candidates in (named, changed, [key for key in keys if key not in changed]):
        found = {}
        for key in candidates:
            reason = _read_error(store, key)
            if reason is not None:
                found[key] = set_aside(store, key, reason, "verify")
        if found:
            return found
    return {}


_RAW_KEY_IN_TEXT = re.compile(r"raw/source=[^\s\"']+?\.json\.gz")


def _read_error(store: Store, key: str) -> str | None:
    """Why `key` cannot be read as the raw view reads it (every column); None when it can. Read as the ETL
    reads it (raw_zone.read_raw): 16 MiB first, 512 MiB only for a longer line, whose 1 GiB buffer a small memory
    limit would refuse for every object; a line over 512 MiB is refused, named in the reason."""
    con = duckdb.connect(config={"threads": 1})
    try:
        with store.local_file(key) as path:
            read_raw(con, lambda size: f"SELECT count(COLUMNS(*)) FROM {raw_reader([path], max_line_bytes=size)}")
            con.fetchall()
    except duckdb.Error as exc:
        if not is_content_error(exc):
            raise  # not the object's fault (memory, disk): verify fails loudly, nothing is set aside
        return f"{key} is not a raw batch (gzip NDJSON of raw records): {first_line(exc)}"
    finally:
        con.close()
    return None


def _query_again(engine: QueryEngine, store: Store, sql: str) -> QueryResult:
    """The embedded engine made its raw view before the objects were set aside: a new one leaves them out."""
    if not isinstance(engine, DuckDBEngine):
        return engine.query(sql)
    with DuckDBEngine(store) as fresh:
        return fresh.query(sql)
