"""The ETL of one raw object: the function both the Lambda handler and the local pipeline call.

    raw object (gzip NDJSON) ─ read, de-duplicate by (log_group, event_id)
        → classify: each parser's SQL predicate claims a message, or rejects it with a reason
        → plan: parsers inspect their rows (JSON structure) and the schema registry names the columns
        → write: clean rows (Parquet zstd or gzip JSON lines, by dt/hour) and quarantine rows
        → commit: the manifest, then stale outputs of an earlier run are removed

Every step is vectorised in DuckDB. Output keys derive from the raw key alone, so a retry, a crash
and re-run, or a duplicate S3 notification overwrites the same objects and never adds rows.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from loglake import __version__
from loglake.errors import InvariantError, RawObjectError
from loglake.lake.keys import RawKey, clean_key, quarantine_key
from loglake.lake.manifests import Manifest, read_manifest, write_manifest
from loglake.lake.quarantine import QUARANTINE_COLUMNS, REASON_DETAIL, Reason
from loglake.lake.raw_zone import MAX_RAW_LINE_BYTES, RAW_COLUMNS
from loglake.lake.schema_registry import SchemaRegistry, TableSchema
from loglake.lake.store import Store
from loglake.sql_quoting import quote_identifier, sql_string, sql_struct
from loglake.transform import levels, timestamps
from loglake.transform.naming import assign_names
from loglake.transform.parsers import PARSERS, ParsePlan
from loglake.transform.settings import EtlSettings

ETL_VERSION = f"etl/{__version__}"
_MAX_TIMESTAMP_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

ENVELOPE: dict[str, str] = {
    "timestamp": "TIMESTAMP",
    "level": "VARCHAR",
    "message": "VARCHAR",
    "log_group": "VARCHAR",
    "log_stream": "VARCHAR",
    "event_id": "VARCHAR",
    "ingestion_time": "TIMESTAMP",
    "source": "VARCHAR",
    "format": "VARCHAR",
    "raw_object": "VARCHAR",
}
OPTIONAL_ENVELOPE = {"message_b64": "VARCHAR"}
PARTITIONS = ("dt", "hour")
RESERVED_NAMES = frozenset(ENVELOPE) | frozenset(OPTIONAL_ENVELOPE) | frozenset(PARTITIONS)


@dataclass(frozen=True)
class EtlResult:
    manifest: Manifest
    skipped: bool
    """True when an identical run had already committed this object (a duplicate notification)."""


def process_raw_object(
    store: Store, raw_key: str, settings: EtlSettings, *, force: bool = False, threads: int | None = None
) -> EtlResult:
    """ETL one raw object. `threads` caps DuckDB's threads when several objects run side by side."""
    key = RawKey.parse(raw_key)
    object_id = key.object_id
    previous = read_manifest(store, object_id)
    raw_version = store.version(raw_key)
    if (
        not force
        and previous is not None
        and previous.etl_version == ETL_VERSION
        and previous.raw_version == raw_version
        and all(store.exists(output) for output in previous.outputs)
    ):
        return EtlResult(previous, skipped=True)

    registry = SchemaRegistry(store)
    with store.local_file(raw_key) as raw_path, tempfile.TemporaryDirectory(prefix="loglake-etl-") as tmp:
        config: dict[str, Any] = {"temp_directory": str(Path(tmp) / "spill")}
        if threads:
            config["threads"] = threads
        con = duckdb.connect(config=config)
        try:
            raw_rows, events = _load(con, raw_path, raw_key)
            plans = {parser.name: parser.plan(con, settings.max_depth) for parser in PARSERS}
            clean_rows, quarantined, b64_rows = con.execute(
                "SELECT count(format), count(__ll_reason), count(message_b64) FILTER (WHERE format IS NOT NULL) "
                "FROM classified"
            ).fetchall()[0]
            schema = _register(registry, settings, plans, b64_rows > 0, raw_key)
            outputs = _write(con, Path(tmp), store, settings, schema, plans, b64_rows > 0, raw_key, object_id)
        finally:
            con.close()

    if clean_rows + quarantined != events:
        raise InvariantError(
            f"{raw_key}: {events} events but {clean_rows} clean + {quarantined} quarantined; nothing committed"
        )
    manifest = Manifest(
        raw_object=raw_key,
        etl_version=ETL_VERSION,
        raw_rows=raw_rows,
        events=events,
        duplicates=raw_rows - events,
        clean_rows=clean_rows,
        quarantined_rows=quarantined,
        outputs=sorted(outputs),
        raw_version=raw_version,
    )
    write_manifest(store, object_id, manifest)
    if previous is not None:
        for stale in set(previous.outputs) - set(outputs):
            store.delete(stale)
    return EtlResult(manifest, skipped=False)


def _load(con: Any, raw_path: Path, raw_key: str) -> tuple[int, int]:
    """Read the raw object into `classified`: one row per distinct event, with its parser or its reason."""
    con.execute("SET TimeZone = 'UTC'")
    con.execute(timestamps.MACROS)
    con.execute(levels.MACROS)
    source = (
        f"read_json({sql_string(str(raw_path))}, format = 'newline_delimited', columns = {sql_struct(RAW_COLUMNS)}, "
        # Raw keys look like Hive partitions (log_group=...): the values must come from the records.
        f"compression = 'gzip', maximum_object_size = {MAX_RAW_LINE_BYTES}, hive_partitioning = false)"
    )
    detect = " ".join(f"WHEN {p.detect('message')} THEN {sql_string(p.name)}" for p in PARSERS)
    reject = []
    for parser in PARSERS:
        rule = parser.reject("message")
        if rule is not None:
            predicate, reason = rule
            reject.append(f"WHEN __ll_parser = {sql_string(parser.name)} AND {predicate} THEN {sql_string(reason)}")
    bad_time = f"timestamp NOT BETWEEN 0 AND {_MAX_TIMESTAMP_MS}"

    def classify(events: str) -> str:
        return f"""
            CREATE OR REPLACE TEMP TABLE classified AS
            SELECT * EXCLUDE (__ll_parser), CASE WHEN __ll_reason IS NULL THEN __ll_parser END AS format
            FROM (
                SELECT *, CASE WHEN {bad_time} THEN {sql_string(Reason.INVALID_TIMESTAMP)} {" ".join(reject)} END
                    AS __ll_reason
                FROM (SELECT *, CASE {detect} END AS __ll_parser FROM ({events}))
            )
        """

    try:
        con.execute(classify(f"SELECT * FROM {source}"))
    except duckdb.Error as exc:
        raise RawObjectError(f"{raw_key} is not a raw batch (gzip NDJSON of raw records): {exc}") from exc
    raw_rows, missing = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE log_group IS NULL OR event_id IS NULL OR timestamp IS NULL "
        "OR message IS NULL) FROM classified"
    ).fetchall()[0]
    if missing:
        raise RawObjectError(
            f"{raw_key}: {missing} records lack log_group, event_id, timestamp or message; "
            "not a raw batch, refusing to process it"
        )
    repeated = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM classified GROUP BY log_group, event_id HAVING count(*) > 1)"
    ).fetchall()[0][0]
    if repeated:
        # The first copy in file order wins. Rare (overlapping collector windows), so paid only when needed.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_events AS SELECT * EXCLUDE (format, __ll_reason) FROM classified "
            "QUALIFY row_number() OVER (PARTITION BY log_group, event_id ORDER BY rowid) = 1"
        )
        con.execute(classify("SELECT * FROM raw_events ORDER BY rowid"))
        con.execute("DROP TABLE raw_events")
    events = raw_rows if not repeated else con.execute("SELECT count(*) FROM classified").fetchall()[0][0]
    return int(raw_rows), int(events)


def _register(
    registry: SchemaRegistry, settings: EtlSettings, plans: dict[str, ParsePlan], has_b64: bool, cause: str
) -> TableSchema:
    """Name new fields and record types in the registry before any data is written."""
    fields = [f for plan in plans.values() for f in plan.fields]
    envelope = dict(ENVELOPE, **(OPTIONAL_ENVELOPE if has_b64 else {}))

    def change(schema: TableSchema) -> bool:
        taken = RESERVED_NAMES | {c.name for c in schema.columns}
        names = assign_names(((f.source, f.path) for f in fields), schema.pointer_names(), taken, settings.separator)
        incoming = [(name, type_, f"envelope:{name}") for name, type_ in envelope.items()]
        incoming += [(names[f.source], f.type, f.source) for f in fields]
        return schema.merge(incoming, settings.output_format, cause)

    return registry.update(settings.table, change)


def _clean_query(plans: dict[str, ParsePlan], names: dict[str, str], has_b64: bool, raw_key: str) -> str:
    """One SELECT per parser over its own rows (UNION ALL), so a parser's cost is paid only by its events."""
    fields = [(owner, f) for owner, plan in plans.items() for f in plan.fields]
    branches = []
    for name, plan in plans.items():
        values = "".join(
            f", {f.expression if owner == name else 'NULL::' + f.type} AS {quote_identifier(names[f.source])}"
            for owner, f in fields
        )
        staging = "".join(f", {expression} AS {column}" for column, expression in plan.staging.items())
        branches.append(
            f"SELECT *, ll_parse_time({plan.time}, timestamp) AS __ll_parsed, {plan.level} AS __ll_level{values} "
            f"FROM (SELECT *{staging} FROM classified WHERE format = {sql_string(name)})"
        )
    payload = "".join(f", {quote_identifier(names[f.source])}" for _owner, f in fields)
    return f"""
        SELECT __ll_time AS "timestamp", __ll_level AS level, message, log_group, log_stream, event_id,
               epoch_ms(ingestion_time) AS ingestion_time, source, format, {sql_string(raw_key)} AS raw_object
               {", message_b64" if has_b64 else ""} {payload},
               strftime(__ll_time, '%Y-%m-%d') AS dt, strftime(__ll_time, '%H') AS hour
        FROM (
            SELECT *, CASE WHEN year(__ll_parsed) BETWEEN 1970 AND 9999 THEN __ll_parsed
                           ELSE epoch_ms(timestamp) END AS __ll_time
            FROM ({" UNION ALL BY NAME ".join(branches)})
        )
    """


def _write(
    con: Any,
    tmp: Path,
    store: Store,
    settings: EtlSettings,
    schema: TableSchema,
    plans: dict[str, ParsePlan],
    has_b64: bool,
    raw_key: str,
    object_id: str,
) -> list[str]:
    """Write clean then quarantine objects (engine → temp folder → store); return their keys."""
    clean_query = _clean_query(plans, schema.pointer_names(), has_b64, raw_key)
    options = (
        "FORMAT parquet, COMPRESSION zstd" if settings.output_format == "parquet" else "FORMAT json, COMPRESSION gzip"
    )
    clean_dir = tmp / "clean"
    con.execute(f"COPY ({clean_query}) TO {sql_string(str(clean_dir))} ({options}, PARTITION_BY (dt, hour))")

    details = " ".join(f"WHEN {sql_string(r)} THEN {sql_string(d)}" for r, d in REASON_DETAIL.items())
    kept = [c for c in QUARANTINE_COLUMNS if c not in ("reason", "detail", "stage", "stage_version", "raw_object")]
    quarantine_query = f"""
        SELECT {", ".join(kept)}, __ll_reason AS reason, CASE __ll_reason {details} END AS detail,
               'etl' AS stage, {sql_string(ETL_VERSION)} AS stage_version, {sql_string(raw_key)} AS raw_object,
               strftime(epoch_ms(CASE WHEN timestamp BETWEEN 0 AND {_MAX_TIMESTAMP_MS} THEN timestamp ELSE 0 END),
                        '%Y-%m-%d') AS dt
        FROM classified WHERE __ll_reason IS NOT NULL
    """
    quarantine_dir = tmp / "quarantine"
    con.execute(
        f"COPY ({quarantine_query}) TO {sql_string(str(quarantine_dir))} "
        "(FORMAT json, COMPRESSION gzip, PARTITION_BY (dt))"
    )

    outputs: list[str] = []
    for folder, zone in ((clean_dir, "clean"), (quarantine_dir, "quarantine")):
        if not folder.exists():
            continue
        for partition in sorted({p.parent for p in folder.rglob("*") if p.is_file()}):
            part = partition.relative_to(folder).as_posix()
            for n, file in enumerate(sorted(f for f in partition.iterdir() if f.is_file())):
                name = object_id if n == 0 else f"{object_id}-{n}"
                if zone == "clean":
                    target = clean_key(settings.table, part, name, settings.suffix)
                else:
                    target = quarantine_key(part, name)
                store.put_file(target, file)
                outputs.append(target)
    return outputs
