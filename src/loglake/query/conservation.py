"""The conservation check: for every raw object, clean rows + quarantined rows = distinct raw events.

The check is one SQL query (Athena dialect, so the same text can run on Athena): it also catches an
event written twice (rows > distinct ids) and an event that is not in its raw object.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from loglake.catalog.duckdb_views import clean_tables
from loglake.lake.manifests import processed_raw_objects
from loglake.lake.store import Store
from loglake.query.engine import QueryEngine
from loglake.sql_quoting import quote_identifier

RAW_OBJECT_ON_ATHENA = "regexp_extract(\"$path\", 'raw/source=.*$')"
"""Athena has no raw_object column on the raw table: the object's key is the tail of its $path."""


def conservation_sql(tables: list[str], raw_object: str = "raw_object") -> str:
    clean = " UNION ALL ".join(
        f"SELECT raw_object, log_group, event_id, 'clean' AS zone FROM {quote_identifier(t)}" for t in tables
    )
    return f"""
WITH raw_ids AS (
    SELECT DISTINCT {raw_object} AS raw_object, log_group, event_id FROM raw_events
), raw_counts AS (
    SELECT raw_object, count(*) AS raw_events FROM raw_ids GROUP BY raw_object
), outputs AS (
    {clean}
    UNION ALL SELECT raw_object, log_group, event_id, 'quarantine' AS zone FROM quarantine
), output_counts AS (
    SELECT o.raw_object,
           count(*) FILTER (WHERE o.zone = 'clean') AS clean_events,
           count(*) FILTER (WHERE o.zone = 'quarantine') AS quarantined_events,
           count(DISTINCT o.log_group || chr(31) || o.event_id) AS distinct_events,
           count(*) FILTER (WHERE r.event_id IS NULL) AS unknown_events
    FROM outputs AS o
    LEFT JOIN raw_ids AS r
      ON r.raw_object = o.raw_object AND r.log_group = o.log_group AND r.event_id = o.event_id
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
    """ok | pending (no committed ETL run) | mismatch | duplicates | orphan (outputs without a raw object)"""


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
        return {"ok": self.ok, **self.totals(), "objects": [asdict(o) for o in self.objects]}


def check_conservation(engine: QueryEngine, store: Store, *, on_athena: bool = False) -> ConservationReport:
    """Run the check on either engine; `store` gives the tables and which raw objects have committed ETL runs."""
    processed = processed_raw_objects(store)
    tables = clean_tables(store)
    sql = conservation_sql(tables, RAW_OBJECT_ON_ATHENA if on_athena else "raw_object")
    result = engine.query(sql)
    report = ConservationReport()
    for raw_object, raw, clean, quarantined, distinct, unknown in result.rows:
        out = clean + quarantined
        if raw == 0:
            status = "orphan"
        elif raw_object not in processed:
            status = "pending"  # no ETL commit yet; outputs of a crashed run are overwritten by the re-run
        elif out != distinct or unknown:
            status = "duplicates" if out != distinct else "mismatch"
        elif out != raw:
            status = "mismatch"
        else:
            status = "ok"
        report.objects.append(ObjectCheck(raw_object, raw, clean, quarantined, status))
    return report
