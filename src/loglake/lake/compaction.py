"""Compaction of the clean zone: many small files of a closed hour become a few large ones, and no
reader ever sees an event twice or misses one, a crash included.

Readers do not glob a table's files: they read its *live file list* (`live_files`). Compacted files
have their own names (`c-<compaction id>[-n]<suffix>`) and are invisible until committed. The commit is
one compare-and-swap write of the partition's record, `state/compaction/<table>/dt=D/hour=H.json`:

    live       files readers read whatever the listing holds (compacted files, and files a re-drive
               made visible again)
    replaced   input files whose rows are now in live compacted files (`into`), with when they were
               superseded; readers skip them, and a later run deletes them after the grace period

    live files = (listed files - replaced - uncommitted c-* files) + record.live

A reader lists the files *before* it reads the records: a file it listed may be replaced by a commit it
then reads (it skips the file, and reads the compacted one the record names), never the other way round.
Inputs are deleted only after a grace period, so a query that listed them just before a commit still
finds them; c-* files no record names (a crashed run's) are deleted under the partition lease once the
time in their name is older than the grace period, so a run that lost its lease (it checks before its
commit) never commits files another run deleted. Files of an ETL run that has no manifest yet are left
alone: that run may be rewriting them without the lease.

A raw object processed again (etl --force, a quarantine re-drive, a collector rewrite) overwrites its own
clean keys. Where those keys were compacted, its new files stay hidden (they are `replaced`) until the
ETL's hook (`settle_outputs`, before the manifest) takes the partition lease and, in one record write,
rewrites the compacted files without the object's old rows and makes its new files live.

That holds for keys the re-run writes again. Keys it writes for the first time (a quarantine -> clean
re-drive, a parser fix that moves rows to another hour or table) are live as soon as they are written,
while its old keys and old compacted rows go only at its commit (the hook, then the stale deletion after
the manifest): until then, or until the re-drive runs again if it is killed there, those events count
twice, and verify reports the object as `duplicates`.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson

from loglake.errors import ConfigError, InvariantError, RawObjectError, StaleTableError, StoreError
from loglake.lake import iceberg, skip_index
from loglake.lake.clean_zone import (
    PARTITIONS,
    is_stale,
    partition_of,
    table_prefix,
    timestamp_sql_of_any_version,
    timestamp_type,
)
from loglake.lake.file_types import typed_reads
from loglake.lake.formats import OutputFormat, format_of_key
from loglake.lake.keys import STATE_PREFIX, RawKey, table_name
from loglake.lake.manifests import read_manifest
from loglake.lake.schema_registry import SchemaRegistry
from loglake.lake.store import Lease, Store, glob_escape, glob_unescape
from loglake.sql_quoting import quote_identifier, sql_string

RECORD_PREFIX = f"{STATE_PREFIX}compaction/"
COMPACTED = "c-"
"""Compacted files' names start with this; an object id (24 hex digits) never does."""
DEFAULT_TARGET_BYTES = 128 * 1024 * 1024
DEFAULT_OLDER_THAN_S = 3600.0
DEFAULT_GRACE_S = 3600.0
"""Inputs stay this long after they are replaced: longer than a query that listed them takes (Athena's
default query timeout is 30 minutes)."""
LEASE_WAIT_S = 600.0
"""How long the ETL's hook waits for a compaction of the same partition to finish."""
_CAS_ATTEMPTS = 20
_KEY = re.compile(r"^clean/(?P<table>[^/]+)/(?P<partition>dt=\d{4}-\d{2}-\d{2}/hour=\d{2})/(?P<name>[^/]+)$")
_OWN = re.compile(r"^(?P<id>[0-9a-f]{24})(?:-\d+)?\.")


@dataclass
class Replaced:
    at: int
    """When it was superseded (ms since epoch): deleted once the grace period has passed."""
    into: list[str] = field(default_factory=list)
    """The live compacted files that hold its rows (empty: its rows are gone, as a re-drive left them)."""
    version: str | None = None
    """Its store version when replaced: a file rewritten since (a re-drive) is not deleted with it."""
    deleted: bool = False
    """Deleted after the grace period; the entry stays so that a rewrite of the key stays hidden until
    the ETL's hook settles it."""


@dataclass
class PartitionRecord:
    live: list[str] = field(default_factory=list)
    replaced: dict[str, Replaced] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)

    @classmethod
    def from_json(cls, data: bytes) -> PartitionRecord:
        raw = orjson.loads(data)
        return cls(list(raw["live"]), {k: Replaced(**v) for k, v in raw["replaced"].items()})


def record_key(table: str, partition: str) -> str:
    return f"{RECORD_PREFIX}{table_name(table)}/{partition}.json"


def split_key(key: str) -> tuple[str, str, str] | None:
    """(table, 'dt=D/hour=H', file name) of a clean key; None for any other key."""
    match = _KEY.match(key)
    return (match["table"], match["partition"], match["name"]) if match else None


def is_compacted(key: str) -> bool:
    parts = split_key(key)
    return parts is not None and parts[2].startswith(COMPACTED)


def _owner(key: str) -> str | None:
    """The object id whose ETL wrote `key` (`<id>.parquet`, `<id>-1.parquet`); None for compacted files."""
    parts = split_key(key)
    match = _OWN.match(parts[2]) if parts else None
    return match["id"] if match else None


def read_record(store: Store, table: str, partition: str) -> tuple[PartitionRecord | None, str | None]:
    data, version = store.read_versioned(record_key(table, partition))
    return (PartitionRecord.from_json(data) if data else None), version


def _records(store: Store, table: str, partitions: set[str] | None = None) -> dict[str, PartitionRecord]:
    prefix = f"{RECORD_PREFIX}{table_name(table)}/"
    records = {}
    for key in store.list(prefix):
        partition = key[len(prefix) : -len(".json")]
        if key.endswith(".json") and (partitions is None or partition in partitions):
            data, _version = store.read_versioned(key)
            if data:
                records[partition] = PartitionRecord.from_json(data)
    return records


def live_files(store: Store, table: str, keep: Callable[[str], bool] | None = None) -> list[str]:
    """The clean keys a reader of `table` reads: every event exactly once, whatever compaction is doing.

    `keep` (a filter on keys by partition, as query pruning makes) also spares the records of the
    partitions it leaves out: on S3 a record is one GET."""
    if iceberg.is_iceberg(store, table):
        return iceberg.live_files(store, table, keep)  # the current snapshot's files (lake/iceberg.py)
    listed = [
        key
        for key in store.list(table_prefix(table))  # first the files, then the records: see the docstring
        if format_of_key(key) is not None and (keep is None or keep(key))
    ]
    split = {key: parts for key in listed if (parts := split_key(key)) is not None}
    records = _records(store, table, None if keep is None else {parts[1] for parts in split.values()})
    live = set()
    for key, (_table, partition, name) in split.items():
        record = records.get(partition)
        if name.startswith(COMPACTED):
            continue  # live only when a record says so (below); otherwise a crashed run's orphan
        if record is None or (key not in record.replaced and key not in record.live):
            live.add(key)
    for partition, record in records.items():
        live.update(
            f for f in record.live if (parts := split_key(f)) and parts[1] == partition and (keep is None or keep(f))
        )
    return sorted(live)


def partitions_of_files(store: Store, table: str) -> list[tuple[str, tuple[str, int] | None]]:
    """Each live file of `table` (live_files) with its (dt, hour). An Iceberg table's come from its current
    data files' partition values, whatever their path (Iceberg's own files say `hour=5`, or sit under a
    hash); a hive key's from the key (clean_zone.partition_of). None: no partition known, so read it."""
    if iceberg.is_iceberg(store, table):
        prefix = table_prefix(table)
        return [
            (key, partition_of(f"{prefix}{part}/{key.rsplit('/', 1)[-1]}"))
            for key, part, _rows, _bytes in iceberg.data_files(store, table)
        ]
    return [(key, partition_of(key)) for key in live_files(store, table)]


def table_partitions(store: Store, table: str) -> set[tuple[str, int]]:
    """The (dt, hour) of every partition of `table` that holds a file: an Iceberg table's from its current
    snapshot (a listing also shows files no snapshot holds), a hive table's from one listing."""
    if iceberg.is_iceberg(store, table):
        return {p for _key, p in partitions_of_files(store, table) if p is not None}
    return {p for key in store.list(table_prefix(table)) if format_of_key(key) is not None and (p := partition_of(key))}


def _partition_live(store: Store, table: str, partition: str) -> tuple[list[str], PartitionRecord, str | None]:
    prefix = f"{table_prefix(table)}{partition}/"
    listed = [key for key in store.list(prefix) if format_of_key(key) is not None]
    record, version = read_record(store, table, partition)
    record = record or PartitionRecord()
    live = {k for k in listed if not is_compacted(k) and k not in record.replaced} | set(record.live)
    return sorted(live), record, version


def outputs_present(store: Store, outputs: Iterable[str]) -> bool:
    """Whether every output of an ETL run is still readable: in its own file, or compacted into a live one.
    An Iceberg table's outputs count as present: the manifest is written after the commit, and the rows
    stay in the table when compaction and expiry remove the files (lake/iceberg.py)."""
    records: dict[tuple[str, str], PartitionRecord | None] = {}
    tables: dict[str, bool] = {}
    for key in outputs:
        parts = split_key(key)
        if parts is not None and parts[0] not in tables:
            tables[parts[0]] = iceberg.is_iceberg(store, parts[0])
        if parts is not None and tables[parts[0]]:
            continue
        if parts is not None:
            where = (parts[0], parts[1])
            if where not in records:
                records[where] = read_record(store, *where)[0]
            record = records[where]
            if record is not None and key in record.replaced:
                if not record.replaced[key].into:
                    return False
                continue
        if not store.exists(key):
            return False
    return True


def _now_ms() -> int:
    return int(time.time() * 1000)


def _readable_paths(store: Store, keys: list[str], stack: contextlib.ExitStack) -> list[str]:
    """Paths DuckDB can read (glob-escaped) for `keys`: the files themselves, or downloads."""
    return [glob_escape(str(stack.enter_context(store.local_file(key)))) for key in keys]


def _columns(store: Store, table: str) -> dict[str, str]:
    schema = SchemaRegistry(store).get(table)
    if schema is None:
        raise InvariantError(f"clean table {table!r} has files but no schema/{table}.json; nothing compacted")
    return {c.name: c.type for c in schema.columns}


def _select(
    con: Any, fmt: OutputFormat, paths: list[str], columns: dict[str, str], table: str, *, convert: bool = False
) -> str:
    """The rows of `paths` under the registry's current columns and types (absent columns NULL); `timestamp`
    as the contract types it, also from a file an earlier loglake wrote. A table the registry still calls
    stale keeps its type (one type per table), unless `convert` (rewrite_stale, which rewrites every hour)."""
    converted = timestamp_sql_of_any_version(table)
    if columns.get("timestamp") != timestamp_type(table) and not convert:
        converted = None  # a table an earlier loglake wrote, not yet rewritten: kept as it is, read as it is
    read = dict(columns, timestamp="VARCHAR") if converted is not None else columns
    stored = {n: t for n, t in read.items() if n not in PARTITIONS}
    own = frozenset({"timestamp"} if converted is not None else ())
    selects = []
    # Files whose column types differ from the registry's are read group by group (lake/file_types.py):
    # a plain CAST over union_by_name wrote a BOOLEAN file's true into a VARCHAR column as '1'.
    for typed in typed_reads(con, fmt, table, paths, stored, {}, hive=False, converted=own):
        items = ", ".join(
            f"{converted} AS {quote_identifier(n)}"
            if n in own and n in typed.present
            else f"CAST(NULL AS {t}) AS {quote_identifier(n)}"
            if n in own
            else f"{typed.expressions[n]} AS {quote_identifier(n)}"
            for n, t in columns.items()
            if n not in PARTITIONS
        )
        selects.append(f"SELECT {items} FROM {typed.source}")
    return " UNION ALL ".join(selects)


def _write(
    con: Any,
    store: Store,
    select: str,
    fmt: OutputFormat,
    folder: Path,
    prefix: str,
    name: str,
    target: int,
    rows_per_file: int = 1 << 30,
) -> tuple[dict[str, Path], int]:
    """Write `select` ordered by timestamp into files of about `target` bytes; put them; return each key
    with its local copy (read again for the skip index and ownership, not downloaded), and the rows."""
    out = folder / name
    # Files are cut between row groups: a row group is at most a quarter of a file's rows (as estimated).
    groups = fmt.row_group_options(max(2048, min(122_880, rows_per_file // 4)))
    (rows,) = con.execute(
        f"COPY ({select} ORDER BY timestamp, log_group, event_id) TO {sql_string(str(out))} "
        f"({fmt.copy_options}, FILE_SIZE_BYTES {int(target)}{f', {groups}' if groups else ''})"
    ).fetchall()[0]
    if not rows:
        return {}, 0  # a compacted file whose rows all left (re-drives): no file at all
    files = sorted(out.iterdir(), key=lambda p: int(re.sub(r"\D", "", p.name) or 0))
    keys = {}
    for n, file in enumerate(files):
        if file.stat().st_size == 0:
            continue
        key = f"{prefix}{name}{'' if n == 0 else f'-{n}'}{fmt.suffix}"
        store.put_file(key, file)
        keys[key] = file
    return keys, int(rows)


def _raw_objects_by_file(con: Any, fmt: OutputFormat, files: dict[str, Path]) -> dict[str, list[str]]:
    """object id → the keys among `files` (key → local copy) holding its rows."""
    held: dict[str, list[str]] = {}
    for key, path in files.items():
        source = fmt.reader([glob_escape(str(path))], {"raw_object": "VARCHAR"}, hive=False)
        for (raw,) in con.execute(f"SELECT DISTINCT raw_object FROM {source}").fetchall():
            try:
                held.setdefault(RawKey.parse(str(raw)).object_id, []).append(key)
            except RawObjectError:
                continue  # not a raw key: no clean key is named after it
    return held


@dataclass
class PartitionResult:
    table: str
    partition: str
    inputs: int = 0
    outputs: int = 0
    rows: int = 0
    input_bytes: int = 0
    deleted: int = 0
    status: str = "compacted"
    """compacted | nothing (one live file, or only compacted ones) | busy (another run holds it) | conflict"""
    written: list[str] = field(default_factory=list)
    """The compacted files this run committed (rewrite_stale checks that they are all the table holds)."""


@dataclass
class CompactionReport:
    partitions: list[PartitionResult] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        done = [p for p in self.partitions if p.status == "compacted"]
        return {
            "partitions": len(done),
            "inputs": sum(p.inputs for p in done),
            "outputs": sum(p.outputs for p in done),
            "rows": sum(p.rows for p in done),
            "deleted": sum(p.deleted for p in self.partitions),
            "busy": sum(1 for p in self.partitions if p.status == "busy"),
        }


def closed_partitions(store: Store, table: str, older_than_s: float, now: datetime | None = None) -> list[str]:
    """Partitions of `table` whose hour ended at least `older_than_s` ago (by the clock, not by its events)."""
    now = now or datetime.now(UTC)
    found = set()
    for key in store.list(table_prefix(table)):
        parts = split_key(key)
        if parts is None:
            continue
        day, hour = parts[1][3:13], int(parts[1][-2:])
        end = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=hour + 1)
        if (now - end).total_seconds() >= older_than_s:
            found.add(parts[1])
    return sorted(found)


def compact(
    store: Store,
    tables: list[str],
    *,
    older_than_s: float = DEFAULT_OLDER_THAN_S,
    target_bytes: int = DEFAULT_TARGET_BYTES,
    grace_s: float = DEFAULT_GRACE_S,
    now: datetime | None = None,
) -> CompactionReport:
    report = CompactionReport()
    for table in tables:
        if iceberg.is_iceberg(store, table):  # one replace commit per partition, then snapshot expiry
            done = iceberg.compact(
                store, table, older_than_s=older_than_s, target_bytes=target_bytes, grace_s=grace_s, now=now
            )
            report.partitions += done
            continue
        for partition in closed_partitions(store, table, older_than_s, now):
            report.partitions.append(compact_partition(store, table, partition, target_bytes, grace_s))
    return report


REWRITE_CAUSE = "loglake compact --rewrite-stale"
"""The cause the registry records for the retype (the column's history)."""


def rewrite_stale(
    store: Store, table: str, *, target_bytes: int = DEFAULT_TARGET_BYTES, grace_s: float = DEFAULT_GRACE_S
) -> CompactionReport:
    """Rewrite every hour of a table an earlier loglake wrote with another `timestamp` type, then retype its
    registry; an empty report for a table that is not stale.

    Each hour is a compaction (its lease, its one record write: exactly once, and a crash leaves the hour
    as it was or rewritten). The registry is retyped last, and only when every live file of the table is
    one this run wrote: until then readers and the ETL keep refusing the table (clean_zone.check_timestamp),
    so a half-rewritten table is refused, never read mixed. Run again after a crash, a busy or a
    conflicting hour: rewritten hours are read exactly either way (clean_zone.timestamp_sql_of_any_version).
    """
    report = CompactionReport()
    registry = SchemaRegistry(store)
    schema = registry.get(table)
    if schema is None or not is_stale(schema):
        return report
    column = schema.column("timestamp")
    assert column is not None
    wanted = timestamp_type(table)
    if iceberg.is_iceberg(store, table):
        raise StaleTableError(iceberg_stale_message(table, column.type, wanted))
    ever = -float("inf")  # every hour, the open ones included: the ETL writes none of them meanwhile
    for partition in closed_partitions(store, table, ever):
        report.partitions.append(compact_partition(store, table, partition, target_bytes, grace_s, rewrite=True))
    if any(p.status not in ("compacted", "nothing") for p in report.partitions):
        return report  # the caller says which hours, and to run it again; the table stays refused
    written = {key for p in report.partitions for key in p.written}
    left = [key for key in live_files(store, table) if key not in written]
    if left:
        raise InvariantError(
            f"{left[0]} ({len(left)} files in all) appeared while {table} was rewritten; its type is unchanged: "
            f"run `loglake compact --table {table} --rewrite-stale` again"
        )
    registry.update(table, lambda s: s.retype("timestamp", wanted, REWRITE_CAUSE))
    return report


def iceberg_stale_message(table: str, found: str, wanted: str) -> str:
    """Iceberg cannot change a column from timestamp to long: the table must be made again from the raw zone."""
    return (
        f"clean table {table} is an Iceberg table an earlier loglake wrote with a {found} `timestamp`, and Iceberg "
        f"cannot change a column to {wanted}: nothing changed; drop the table, then make it again from the raw zone "
        'with `loglake etl --force` (the steps: docs/troubleshooting.md, "An Iceberg table of an earlier loglake")'
    )


def _committed(store: Store, keys: list[str]) -> list[str]:
    """`keys` less the files of ETL runs that have not committed them (no manifest of their object lists
    them): such a run may be rewriting them now, and its hook takes the partition lease only once the
    object has a manifest or the partition's record names it (see settle_outputs)."""
    listed: dict[str, set[str]] = {}
    kept = []
    for key in keys:
        owner = _owner(key)
        if owner is not None and owner not in listed:
            manifest = read_manifest(store, owner)
            listed[owner] = set(manifest.outputs) if manifest else set()
        if owner is None or key in listed[owner]:
            kept.append(key)
    return kept


def _lease_name(table: str, partition: str) -> str:
    return f"compact/{table}/{partition}"


def compact_partition(
    store: Store,
    table: str,
    partition: str,
    target_bytes: int = DEFAULT_TARGET_BYTES,
    grace_s: float = 0.0,
    *,
    rewrite: bool = False,
) -> PartitionResult:
    """Delete what the grace period frees, then rewrite the live files into files of `target_bytes`.

    `rewrite` (rewrite_stale) rewrites every live file, one alone or compacted, with `timestamp` converted
    to the contract's type; also files of ETL runs without a manifest: readers read them, and no ETL run of
    this loglake writes a stale table (it is refused before it writes), so none is rewriting them."""
    result = PartitionResult(table, partition)
    with store.lease(_lease_name(table, partition)) as held:
        if not held:
            result.status = "busy"
            return result
        result.deleted = _collect(store, table, partition, grace_s, held)
        live, record, version = _partition_live(store, table, partition)
        by_format: dict[str, list[str]] = {}
        for key in live if rewrite else _committed(store, live):
            fmt = format_of_key(key)
            if fmt is not None:
                by_format.setdefault(fmt.name, []).append(key)
        todo = {
            name: keys
            for name, keys in by_format.items()
            if rewrite or (len(keys) > 1 and any(not is_compacted(k) for k in keys))
        }
        if not todo:
            result.status = "nothing"
            return result
        columns = _columns(store, table)
        versions = {key: store.version(key) for keys in todo.values() for key in keys}
        compaction_id = f"{_now_ms():013d}{secrets.token_hex(4)}"
        prefix = f"{table_prefix(table)}{partition}/"
        written: list[str] = []
        held_by: dict[str, list[str]] = {}
        inputs: list[str] = []
        with tempfile.TemporaryDirectory(prefix="loglake-compact-") as tmp:
            con = duckdb.connect(config={"threads": 1, "temp_directory": str(Path(tmp) / "spill")})
            try:
                con.execute("SET TimeZone = 'UTC'")
                for n, (name, keys) in enumerate(sorted(todo.items())):
                    fmt = format_of_key(keys[0])
                    assert fmt is not None
                    with contextlib.ExitStack() as stack:
                        paths = _readable_paths(store, keys, stack)
                        (expected,) = con.execute(
                            f"SELECT count(*) FROM {fmt.reader(paths, {'raw_object': 'VARCHAR'}, hive=False)}"
                        ).fetchall()[0]
                        select = _select(con, fmt, paths, columns, table, convert=rewrite)
                        label = f"{COMPACTED}{compaction_id}{'' if n == 0 else f'-{name}'}"
                        size = sum(Path(glob_unescape(p)).stat().st_size for p in paths)
                        per_file = int(expected * target_bytes / max(size, 1))
                        keys_out, rows = _write(
                            con, store, select, fmt, Path(tmp), prefix, label, target_bytes, per_file
                        )
                    written += list(keys_out)
                    if rows != expected:
                        raise InvariantError(f"{prefix}: read {expected} rows but wrote {rows}; nothing committed")
                    for oid, files in _raw_objects_by_file(con, fmt, keys_out).items():
                        held_by.setdefault(oid, []).extend(files)
                    # Search skips compacted files by their skip index, as it does the ETL's.
                    skip_index.write_for_all(store, list(keys_out), paths=keys_out)
                    inputs += keys
                    result.rows += rows
                    result.input_bytes += size
            finally:
                con.close()
        if any(store.version(key) != versions[key] for key in inputs):
            result.status = "conflict"  # rewritten meanwhile by an ETL run not under this lease: next time
            return result
        now = _now_ms()
        taken = set(inputs)
        for entry_key, entry in record.replaced.items():
            if taken & set(entry.into):  # its rows were in an input: now in the new files holding its object's
                owner = _owner(entry_key)
                entry.into = sorted((set(entry.into) - taken) | set(held_by.get(owner, []) if owner else []))
        for key in inputs:
            owner = _owner(key)
            record.replaced[key] = Replaced(now, sorted(set(held_by.get(owner, []))) if owner else [], versions[key])
        record.live = sorted((set(record.live) - set(inputs)) | set(written))
        # Another run may have taken the partition over (and deleted our files as orphans): never commit then.
        held.check(f"committing the compaction of {prefix}", "run loglake compact again")
        if not store.put_if(record_key(table, partition), record.to_json(), version):
            result.status = "conflict"
            return result
        result.inputs, result.outputs, result.written = len(inputs), len(written), sorted(written)
        result.deleted += _collect(store, table, partition, grace_s, held)  # with no grace, the inputs go now
    return result


def _delete(store: Store, key: str) -> None:
    """The index first: a run killed between the two leaves the file, which the next run deletes (it lists
    files, not indexes); the other way round an orphan's index stayed with no file, for good."""
    skip_index.delete_for(store, key)
    store.delete(key)


def _collect(store: Store, table: str, partition: str, grace_s: float, lease: Lease) -> int:
    """Under the partition lease: delete inputs replaced more than `grace_s` ago, and c-* files that no
    record names and that were named (their time) more than `grace_s` ago: a younger one may belong to a
    run that lost its lease and has not yet found out (it checks before its commit)."""
    record, version = read_record(store, table, partition)
    prefix = f"{table_prefix(table)}{partition}/"
    listed = list(store.list(prefix))
    record = record or PartitionRecord()
    cutoff = _now_ms() - grace_s * 1000
    deleted = 0
    for key in listed:
        if is_compacted(key) and key not in record.live and key not in record.replaced:
            named = _named_ms(key)
            if named is not None and named < cutoff:
                lease.check(f"deleting {key}", "run loglake compact again")
                _delete(store, key)  # a crashed run's: nobody will commit it now
                deleted += 1
    if version is None:
        return deleted
    changed = False
    for key, entry in list(record.replaced.items()):
        if entry.deleted or entry.at > cutoff:
            continue
        if is_compacted(key):
            _delete(store, key)
            del record.replaced[key]
        elif store.version(key) in (entry.version, None):
            _delete(store, key)
            entry.deleted = True
        else:
            continue  # rewritten by a re-drive whose hook has not run yet: the hook decides
        deleted += 1
        changed = True
    if changed:
        lease.check(f"committing the deletions in {prefix}", "run loglake compact again")
    if changed and not store.put_if(record_key(table, partition), record.to_json(), version):
        raise StoreError(f"the compaction record of {prefix} changed under its lease; run loglake compact again")
    return deleted


@dataclass
class Collection:
    """What `collect` did: files deleted, files still within the grace period, table-hours another run held."""

    deleted: int = 0
    waiting: int = 0
    busy: int = 0


def collect(store: Store, tables: list[str], grace_s: float) -> Collection:
    """Only the deletions of a compaction run (hive tables): the inputs earlier runs replaced and the c-* files
    no record names, once past the grace, each table-hour under its lease; nothing is written but records.
    `compact` refused by Athena's guard (catalog/athena_guard.py) still runs it: those files are the ones
    Athena counts twice, and only this deletes them."""
    done = Collection()
    for table in tables:
        if iceberg.is_iceberg(store, table):
            continue
        prefix = f"{RECORD_PREFIX}{table_name(table)}/"
        partitions = {k[len(prefix) : -len(".json")] for k in store.list(prefix) if k.endswith(".json")}
        partitions |= {parts[1] for k in store.list(table_prefix(table)) if (parts := split_key(k)) and is_compacted(k)}
        for partition in sorted(partitions):
            with store.lease(_lease_name(table, partition)) as held:
                if not held:
                    done.busy += 1
                    continue
                done.deleted += _collect(store, table, partition, grace_s, held)
                record, _version = read_record(store, table, partition)
                record = record or PartitionRecord()
                done.waiting += sum(1 for entry in record.replaced.values() if not entry.deleted)
                done.waiting += sum(
                    1
                    for k in store.list(f"{table_prefix(table)}{partition}/")
                    if is_compacted(k) and k not in record.live and k not in record.replaced
                )
    return done


def _named_ms(key: str) -> int | None:
    """When a compacted file was named (`c-<ms><hex>`), in ms since epoch; None for another name."""
    parts = split_key(key)
    match = re.match(rf"{COMPACTED}(\d{{13}})", parts[2]) if parts else None
    return int(match[1]) if match else None


def _iter_partitions(keys: Iterable[str]) -> Iterator[tuple[str, str]]:
    seen = set()
    for key in keys:
        parts = split_key(key)
        if parts is not None and (parts[0], parts[1]) not in seen:
            seen.add((parts[0], parts[1]))
            yield parts[0], parts[1]


def settle_outputs(
    store: Store, raw_key: str, previous_outputs: Iterable[str], outputs: Iterable[str], *, rerun: bool
) -> None:
    """The ETL's hook, after its outputs are written and before its manifest commits them.

    Where this object's earlier rows were compacted, its new files are hidden (their keys are `replaced`):
    in one record write per partition, the compacted files are rewritten without the object's old rows
    and its new files become live, so readers see the old rows or the new ones, never both (for keys it
    wrote before: a key new to this run is live since it was written, see the module docstring). `rerun` (the
    object had a manifest) takes the partition lease even before any record exists: a compaction running
    now may have read the object's old files.
    """
    object_id = RawKey.parse(raw_key).object_id
    new = set(outputs)
    for table, partition in sorted(_iter_partitions([*previous_outputs, *new])):
        record, _version = read_record(store, table, partition)
        if not rerun and (record is None or not _mentions(record, object_id)):
            continue
        with store.lease(_lease_name(table, partition), wait=LEASE_WAIT_S) as held:
            if not held:
                raise StoreError(
                    f"a compaction of clean/{table}/{partition} held it for {LEASE_WAIT_S:.0f} s; "
                    "nothing committed: run loglake etl again"
                )
            _settle(store, table, partition, raw_key, object_id, new, held)


def _mentions(record: PartitionRecord, object_id: str) -> bool:
    return any(_owner(k) == object_id for k in [*record.replaced, *record.live])


def _settle(
    store: Store, table: str, partition: str, raw_key: str, object_id: str, new: set[str], lease: Lease
) -> None:
    for _attempt in range(_CAS_ATTEMPTS):
        record, version = read_record(store, table, partition)
        if record is None:
            return
        hidden = [k for k in record.replaced if _owner(k) == object_id]
        stale = [k for k in record.live if _owner(k) == object_id and k not in new]
        if not hidden and not stale:
            return
        missing = [k for k in hidden if k in new and not store.exists(k)]
        if missing:
            raise StoreError(f"{missing[0]} was deleted while it was written; nothing committed: run loglake etl again")
        now = _now_ms()
        rewritten = {c: _strip(store, c, raw_key) for c in sorted({f for k in hidden for f in record.replaced[k].into})}
        for entry in record.replaced.values():
            entry.into = sorted({g for f in entry.into for g in rewritten.get(f, [f])})
        for key in hidden:
            if key in new:
                del record.replaced[key]  # its new file: live from this commit on
                record.live.append(key)
            else:
                record.replaced[key].into = []  # no new rows here: the old file stays hidden until deleted
        for key in stale:
            record.live.remove(key)
            record.replaced[key] = Replaced(now, [], store.version(key))
        for compacted, files in rewritten.items():
            record.live.remove(compacted)
            record.live += files
            record.replaced[compacted] = Replaced(now, [], None)
        record.live = sorted(set(record.live))
        lease.check(f"committing clean/{table}/{partition}", "run loglake etl again")
        if store.put_if(record_key(table, partition), record.to_json(), version):
            return
        for files in rewritten.values():  # lost a race (the lease lapsed?): ours are orphans, try again
            for key in files:
                _delete(store, key)
    raise StoreError(f"the compaction record of clean/{table}/{partition} kept changing; run loglake etl again")


def _strip(store: Store, key: str, raw_key: str) -> list[str]:
    """A compacted file rewritten without `raw_key`'s rows: its new key (none when no row is left).

    Read as compaction reads (the format's reader, the registry's types, UTC), never with type detection:
    the other objects' values must come back as they were written."""
    fmt = format_of_key(key)
    parts = split_key(key)
    assert fmt is not None and parts is not None
    columns = _columns(store, parts[0])
    name = f"{COMPACTED}{_now_ms():013d}{secrets.token_hex(4)}"
    prefix = f"{table_prefix(parts[0])}{parts[1]}/"
    with tempfile.TemporaryDirectory(prefix="loglake-compact-") as tmp, contextlib.ExitStack() as stack:
        con = duckdb.connect(config={"threads": 1, "temp_directory": str(Path(tmp) / "spill")})
        try:
            con.execute("SET TimeZone = 'UTC'")
            paths = _readable_paths(store, [key], stack)
            select = _select(con, fmt, paths, columns, parts[0])
            select += f" WHERE raw_object IS DISTINCT FROM {sql_string(raw_key)}"
            keys, _rows = _write(con, store, select, fmt, Path(tmp), prefix, name, 1 << 62)
            skip_index.write_for_all(store, list(keys), paths=keys)
        finally:
            con.close()
    return list(keys)


_UNITS_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_UNITS_B = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


def parse_duration(text: str, name: str) -> float:
    """'90s', '30m', '1h', '2d' or seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text.lower())
    if match is None:
        raise ConfigError(f"{name} must be a duration such as 30m, 1h or 2d, not {text!r}")
    return float(match[1]) * _UNITS_S[match[2]]


def parse_size(text: str, name: str) -> int:
    """'128MB', '64MiB', '1GB' or bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b?)\s*", text.lower())
    if match is None or float(match[1]) <= 0:
        raise ConfigError(f"{name} must be a size such as 128MB or 1GiB, not {text!r}")
    return int(float(match[1]) * _UNITS_B[match[2]])
