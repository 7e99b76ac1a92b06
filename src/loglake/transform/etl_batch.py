"""The ETL of several raw objects in one DuckDB pass, with outputs, manifests and keys per object as
transform/etl.py makes them one at a time.

Most of what a 10-event object costs is not its events: every DuckDB statement pays to bind its
expressions and to compile its regexes again on each run (the parsers' detection, the time and level
macros), whatever the number of rows. One pass over a batch pays that once for all its objects:

    read every object (its number in the batch, __ll_n, and its raw key on each row)
        → classify → plan per table over the batch → one write per table, partitioned by object
        → per object: conservation checks, manifest, commit, exactly as process_raw_object

What stays per object: the skip check (a committed run of the same version is not redone), the
de-duplication (by log_group and event_id within the object), the figures and the conservation check of
its manifest, its output keys (derived from its raw key alone, so a retry overwrites), and the commit.
A table's columns are planned over the batch, so a file can hold a column that is NULL in all its rows
(another object of the batch had the field) or a wider type; readers cast every file to the registry's
types, so queries give the same rows either way.

A batch is not used where it could read an object differently: objects with different remembered
stream headers are not batched together, and a batch that finds a header line (VPC flow logs, CloudFront)
or writes an Iceberg table is processed one object at a time instead. Any error does the same, so the
error (and an unreadable object set aside) names the one object it concerns. A pass reads its objects with
raw_zone.FIRST_READ_LINE_BYTES only: an object with a longer line runs alone (see _read).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from loglake.errors import first_line
from loglake.lake import iceberg, skip_index, stream_headers
from loglake.lake.keys import RawKey, clean_key, quarantine_key
from loglake.lake.manifests import Manifest, read_manifest
from loglake.lake.raw_zone import FIRST_READ_LINE_BYTES, raw_reader
from loglake.lake.schema_registry import SchemaRegistry, TableSchema
from loglake.lake.store import Store
from loglake.sql_quoting import sql_string
from loglake.transform import etl, redaction, session
from loglake.transform.etl import BATCH_NUMBER, BATCH_RAW_OBJECT, ETL_VERSION, EtlResult
from loglake.transform.naming import within_cap
from loglake.transform.parsers import ParsePlan
from loglake.transform.settings import EtlSettings

MAX_OBJECTS = 64
"""Objects in one DuckDB pass at most (a caller's longer list is cut into batches of this size)."""
MAX_OBJECT_BYTES = 256 << 10
"""A raw object larger than this (gzip bytes) is processed on its own: its fixed cost is noise beside its
events, and a batch of large objects would hold all of them in memory at once."""


MAX_BATCH_BYTES = 1 << 20
"""A pass holds objects of this many gzip bytes in all at most: logs compress 10-40x, so a pass of larger
objects would hold hundreds of MB of lines at once (a Lambda's memory), for little gain."""


class BatchError(Exception):
    """A batch failed: `results` holds what its objects finished before the error (a committed object must
    be reported as processed, not found done by the retry), `__cause__` the error. `failed` is the object
    the error concerns when one object's step failed (None when the shared pass failed); `chunk` the keys of
    the pass it was in. A caller runs `failed` (or else `chunk`) alone and the keys never tried in a batch
    again, so one unreadable object does not send every later object of a long list to run alone."""

    def __init__(
        self, results: dict[str, EtlResult], cause: Exception, *, failed: str | None, chunk: Sequence[str]
    ) -> None:
        super().__init__(str(cause))
        self.results = results
        self.failed = failed
        self.chunk = list(chunk)


class _ObjectError(Exception):
    """One object's own step failed (its `__cause__`): carries its key up to process_raw_objects."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _Unbatchable(Exception):
    """The batch cannot give exactly what one run per object gives: process its objects one at a time."""


class _Regroup(_Unbatchable):
    """The batch's objects do not share their fields, but some sets of them do: `parts` are those sets, by
    object number, each of which can share a pass."""

    def __init__(self, parts: list[list[int]]) -> None:
        super().__init__("objects whose fields differ")
        self.parts = parts


@dataclass
class _Pending:
    """A raw object of the batch: what process_raw_object reads before it starts."""

    key: str
    object_id: str
    previous: Manifest | None
    raw_version: str | None
    headers: stream_headers.Headers
    path: Path | None = None
    raw_bytes: int = 0


def process_raw_objects(
    store: Store,
    raw_keys: Sequence[str],
    settings: EtlSettings,
    *,
    force: bool = False,
    threads: int | None = None,
    one_at_a_time_on_error: bool = True,
) -> list[EtlResult]:
    """ETL each raw object (results in the order of `raw_keys`), small ones in shared DuckDB passes.

    On an error the batch's objects are processed one at a time with process_raw_object, which raises the
    first object's own error; `one_at_a_time_on_error=False` raises the batch's error instead (the local
    pipeline then runs each object under its own error handling)."""
    results: dict[str, EtlResult] = {}
    for start in range(0, len(raw_keys), MAX_OBJECTS):
        chunk = list(dict.fromkeys(raw_keys[start : start + MAX_OBJECTS]))
        if len(chunk) == 1:  # nothing to share: as one at a time, with nothing read twice
            try:
                results[chunk[0]] = etl.process_raw_object(store, chunk[0], settings, force=force, threads=threads)
            except Exception as exc:
                if one_at_a_time_on_error:
                    raise
                # the earlier chunks' objects are committed
                raise BatchError(results, exc, failed=chunk[0], chunk=chunk) from exc
            continue
        try:
            _process_chunk(store, chunk, settings, results, force=force, threads=threads)
        except Exception as exc:
            failed, cause = (exc.key, exc.__cause__) if isinstance(exc, _ObjectError) else (None, exc)
            assert isinstance(cause, Exception)
            if not one_at_a_time_on_error:
                raise BatchError(results, cause, failed=failed, chunk=chunk) from cause
            print(
                f"loglake: a batch of {len(chunk)} raw objects is run one at a time: {first_line(cause)}",
                file=sys.stderr,
            )
            _one_at_a_time(store, [k for k in chunk if k not in results], settings, results, force, threads)
    seen: set[str] = set()
    out = []
    for key in raw_keys:  # a key given twice is done once, then done already (as one at a time)
        out.append(results[key] if key not in seen else EtlResult(results[key].manifest, skipped=True))
        seen.add(key)
    return out


@contextmanager
def _of(key: str) -> Iterator[None]:
    """An error in the block is `key`'s own (_ObjectError), not the shared pass's."""
    try:
        yield
    except Exception as exc:
        raise _ObjectError(key) from exc


def _one_at_a_time(
    store: Store,
    keys: list[str],
    settings: EtlSettings,
    results: dict[str, EtlResult],
    force: bool,
    threads: int | None,
) -> None:
    """Every object alone, each after the others' errors too (an object left out would keep files that no
    manifest commits); then the first error, which names its object."""
    errors: list[Exception] = []
    for key in keys:
        try:
            results[key] = etl.process_raw_object(store, key, settings, force=force, threads=threads)
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


def _process_chunk(
    store: Store,
    keys: list[str],
    settings: EtlSettings,
    results: dict[str, EtlResult],
    *,
    force: bool,
    threads: int | None,
) -> None:
    """ETL `keys` into `results`, which keeps each object's result as soon as it has one (an error later in
    the chunk leaves them there)."""
    pending: list[_Pending] = []
    for key in keys:
        with _of(key):
            object_id = RawKey.parse(key).object_id
            previous = read_manifest(store, object_id)
            raw_version = store.version(key)
            if previous is not None and etl.already_committed(store, previous, raw_version, force=force):
                results[key] = EtlResult(previous, skipped=True)
            else:
                headers = stream_headers.remembered(store, key)
                pending.append(_Pending(key, object_id, previous, raw_version, headers))
    groups: dict[str, list[_Pending]] = {}
    for item in pending:  # objects read with different remembered headers are never in one pass
        groups.setdefault(repr(sorted(item.headers.items())), []).append(item)
    for group in groups.values():
        _process_group(store, group, settings, results, force=force, threads=threads)


def _process_group(
    store: Store,
    group: list[_Pending],
    settings: EtlSettings,
    results: dict[str, EtlResult],
    *,
    force: bool,
    threads: int | None,
) -> None:
    """Download the objects in turn: a large one is processed alone as soon as it is here, small ones wait for
    their pass, which runs once the next would take it past MAX_BATCH_BYTES. So the local disk (a Lambda's
    /tmp, 512 MB by default) holds one pass's objects and one large object at most, never the whole group."""
    waiting: list[tuple[_Pending, ExitStack]] = []

    def run_waiting() -> None:
        try:
            _process_pass(store, [item for item, _files in waiting], settings, results, force=force, threads=threads)
        finally:
            for _item, files in waiting:
                files.close()
            waiting.clear()

    try:
        for item in group:
            files = ExitStack()  # each object read once, whichever way it is processed
            try:
                with _of(item.key):
                    item.path = files.enter_context(store.local_file(item.key))
                    item.raw_bytes = item.path.stat().st_size
            except BaseException:
                files.close()
                raise
            if item.raw_bytes > MAX_OBJECT_BYTES:
                with files, _of(item.key):
                    results[item.key] = etl.process_raw_object(
                        store, item.key, settings, force=force, threads=threads, raw_path=item.path
                    )
                continue
            if waiting and sum(i.raw_bytes for i, _files in waiting) + item.raw_bytes > MAX_BATCH_BYTES:
                run_waiting()
            waiting.append((item, files))
        if waiting:
            run_waiting()
    finally:
        for _item, files in waiting:
            files.close()


def _process_pass(
    store: Store,
    batch: list[_Pending],
    settings: EtlSettings,
    results: dict[str, EtlResult],
    *,
    force: bool,
    threads: int | None,
) -> None:
    """One pass for `batch`; objects whose fields differ get a pass per set of objects planned alike (objects
    of one service share their fields), and what cannot share a pass runs one object at a time."""
    singles: list[_Pending] = []
    if len(batch) == 1:
        singles = batch
    else:
        try:
            _process_batch(store, batch, settings, results, force=force, threads=threads)
        except _Regroup as regroup:
            for part in ([batch[n] for n in numbers] for numbers in regroup.parts):
                if len(part) == 1:
                    singles += part
                    continue
                try:
                    _process_batch(store, part, settings, results, force=force, threads=threads)
                except _Unbatchable:
                    singles += part
        except _Unbatchable:
            singles = batch
    for item in sorted(singles, key=batch.index):
        with _of(item.key):
            results[item.key] = etl.process_raw_object(
                store, item.key, settings, force=force, threads=threads, raw_path=item.path
            )


@dataclass
class _Figures:
    """One object's counts from the batch's tables."""

    raw_rows: int = 0
    events: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    newest_event_ms: int | None = None
    table_newest_ms: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    time_sources: dict[str, int] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    output_bytes: int = 0


def _process_batch(
    store: Store,
    batch: list[_Pending],
    settings: EtlSettings,
    results: dict[str, EtlResult],
    *,
    force: bool,
    threads: int | None,
) -> None:
    """One DuckDB pass for `batch` (at least two objects), then each object's commit, into `results`."""
    if settings.table_format == "iceberg":
        raise _Unbatchable("iceberg")
    registry = SchemaRegistry(store)
    started = time.perf_counter()
    figures = [_Figures() for _ in batch]
    versions: dict[str, int] = {}
    table_objects: dict[str, set[int]] = {}
    with tempfile.TemporaryDirectory(prefix="loglake-etl-") as tmp_name:
        tmp = Path(tmp_name)
        prepared = session.acquire(threads)
        con = prepared.con
        try:
            if settings.redact:
                redaction.prepare(con, settings.redact)
            stream_headers.stage(con, batch[0].headers)
            _read(con, batch)
            classified = etl.classify_lines(con, batch[0].key, settings, batch=True)
            counts = classified.counts
            if not set(counts) <= set(range(len(batch))):
                raise _Unbatchable("a row of no object")  # a file name the engine spelled otherwise
            if stream_headers.found_in_object(con):
                raise _Unbatchable("a header line")  # whose object it belongs to decides what it applies to
            for n, (raw_rows, events) in counts.items():
                figures[n].raw_rows, figures[n].events = raw_rows, events
            groups = _figures(con, figures)
            read_done = time.perf_counter()
            formats = {fmt for _n, _table, fmt, _count, _b64 in groups}
            tables = sorted({table for _n, table, _fmt, _count, _b64 in groups})
            if any(iceberg.uses_iceberg(store, table, settings.table_format) for table in tables):
                raise _Unbatchable("iceberg")
            for table in tables:  # every check before the first write
                rows = [g for g in groups if g[1] == table]
                table_objects[table] = {n for n, *_ in rows}
                has_b64 = any(b64 for *_, b64 in rows)
                if any(bool(b64) != has_b64 for n in table_objects[table] for b64 in _b64(rows, n)):
                    raise _Unbatchable("message_b64 in some objects only")  # an optional column: as each has it
            plans = _plans(con, groups, formats, settings.max_depth, len(batch), classified.staged)
            schemas = {}
            for table in tables:  # every table registered (or refused) before the first file is written
                rows = [g for g in groups if g[1] == table]
                table_plans = {fmt: plans[fmt] for _n, _t, fmt, _count, _b64 in rows}
                has_b64 = any(b64 for *_, b64 in rows)
                cause = batch[min(table_objects[table])].key
                schemas[table] = (etl._register(registry, settings, table, table_plans, has_b64, cause), table_plans)
            local: dict[str, Path] = {}
            for table in tables:
                schema, table_plans = schemas[table]
                has_b64 = any(b64 for _n, t, _fmt, _count, b64 in groups if t == table)
                written = _write_clean(con, tmp, store, settings, schema, table_plans, has_b64, batch, local)
                every = [k for n in sorted(written) for k in written[n]]
                versions[table] = etl._note_earliest_dt(registry, store, schema, every).version
                for n, keys in written.items():
                    figures[n].outputs += keys
                if settings.skip_index:
                    skip_index.write_for_all(store, every, paths=local, con=con)
            if any(one.quarantine_reasons for one in figures):  # as etl: no rows, no file, no COPY
                for n, keys in _write_quarantine(con, tmp, store, settings, batch).items():
                    figures[n].outputs += keys
            _time_sources(con, tmp / "clean", settings, figures)
            for n in range(len(batch)):
                figures[n].output_bytes = sum(
                    f.stat().st_size
                    for folder in [
                        *(tmp / "clean").glob(f"*/{BATCH_NUMBER}={n}"),
                        tmp / "quarantine" / f"{BATCH_NUMBER}={n}",
                    ]
                    for f in etl._files(folder)
                )
            write_done = time.perf_counter()
        except BaseException:
            session.release(prepared, failed=True)
            raise
        session.release(prepared, failed=False)

    for n, item in enumerate(batch):
        with _of(item.key):
            _check(item.key, figures[n])
    share = {"read": (read_done - started) * 1000 / len(batch), "write": (write_done - read_done) * 1000 / len(batch)}
    for n, item in enumerate(batch):
        committing = time.perf_counter()
        with _of(item.key):
            result = _commit(store, item, figures[n], settings, force=force, threads=threads)
        mine = {t: v for t, v in versions.items() if n in table_objects[t]}
        stage_ms = {**share, "commit": (time.perf_counter() - committing) * 1000}
        results[item.key] = EtlResult(result, skipped=False, schema_versions=mine, stage_ms=stage_ms)


def _plans(
    con: Any,
    groups: list[tuple[int, str, str, int, int]],
    formats: set[str],
    depth: int,
    objects: int,
    staged: str | None,
) -> dict[str, ParsePlan]:
    """The parsers' plans over the batch, when each object's own plans (what a run of its own writes with:
    JSON fields, logfmt keys, their types) are the same; otherwise _Regroup, with the sets of the `objects`
    that can share a pass. Planned over the batch
    (not taken from an object) because a plan may stage rows of `classified` in a table of its own."""
    own: dict[int, set[str]] = {}
    for n, _table, fmt, _count, _b64 in groups:
        own.setdefault(n, set()).add(fmt)
    con.execute("ALTER TABLE classified RENAME TO __ll_batch")
    mine: dict[int, dict[str, ParsePlan]] = {}
    try:
        for n, names in sorted(own.items()):
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE classified AS SELECT * FROM __ll_batch WHERE {BATCH_NUMBER} = {n}"
            )
            mine[n] = etl.plan_formats(con, names, depth, staged)
    finally:
        con.execute("DROP TABLE IF EXISTS classified; ALTER TABLE __ll_batch RENAME TO classified")
    plans = etl.plan_formats(con, formats, depth, staged)
    if any(_written(plan) != _written(plans[name]) for one in mine.values() for name, plan in one.items()):
        # planned together, a column of each object's files would differ from what a run of its own writes
        raise _Regroup(_alike([mine.get(n, {}) for n in range(objects)]))
    return plans


def _alike(own: list[dict[str, ParsePlan]]) -> list[list[int]]:
    """Objects (by number) in sets whose plans agree on every format they share: each set plans as each of its
    objects does alone (an object without clean rows has no plan: it fits any). First fit, in batch order."""
    parts: list[tuple[list[int], dict[str, ParsePlan]]] = []
    for n, plans in enumerate(own):
        written = {name: _written(plan) for name, plan in plans.items()}
        for numbers, shared in parts:
            if all(shared[name] == plan for name, plan in written.items() if name in shared):
                numbers.append(n)
                shared.update(written)
                break
        else:
            parts.append(([n], written))
    return [numbers for numbers, _shared in parts]


def _written(plan: ParsePlan) -> ParsePlan:
    """What decides a plan's columns: its SQL (a JSON plan's past_cap is a closure over its fields' paths,
    which its staging SQL lists)."""
    return replace(plan, past_cap=None)


def _b64(rows: list[tuple[int, str, str, int, int]], n: int) -> list[bool]:
    """Whether object `n` has a message_b64 in the table of `rows` (all its formats together)."""
    return [any(b64 for m, _table, _fmt, _count, b64 in rows if m == n)]


def _read(con: Any, batch: list[_Pending]) -> None:
    """`raw_lines` with every object's rows, numbered by object (file order kept: first copy wins).

    Read with FIRST_READ_LINE_BYTES only: DuckDB reserves twice `maximum_object_size` per reading thread and
    keeps up to two such buffers per thread across the files of a pass (measured: 2 threads need 74 MB for 64
    objects at 16 MiB, 4.3 GB at 512 MiB). An object with a longer line is refused here (the probe finds it)
    and runs alone, where raw_zone.read_raw reads it again with MAX_RAW_LINE_BYTES."""
    paths = [item.path for item in batch if item.path is not None]
    number = " ".join(f"WHEN {sql_string(str(p))} THEN {n}" for n, p in enumerate(paths))
    raw_key = " ".join(f"WHEN {n} THEN {sql_string(item.key)}" for n, item in enumerate(batch))
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE raw_lines AS SELECT * EXCLUDE ({BATCH_NUMBER}), {BATCH_NUMBER}, "
            f"CASE {BATCH_NUMBER} {raw_key} END AS {BATCH_RAW_OBJECT} FROM ("
            f"SELECT * EXCLUDE (filename), CASE filename {number} END AS {BATCH_NUMBER} "
            f"FROM {raw_reader(paths, filename=True, max_line_bytes=FIRST_READ_LINE_BYTES)})"
        )
    except duckdb.Error as exc:
        # The objects that read alone share a pass; the others run alone, where the error names its object.
        bad = [n for n, path in enumerate(paths) if not _readable(con, path)]
        if bad and len(bad) < len(batch):
            raise _Regroup([[n for n in range(len(batch)) if n not in bad], *[[n] for n in bad]]) from exc
        raise _Unbatchable("read") from exc


def _readable(con: Any, path: Path) -> bool:
    """Whether DuckDB reads one raw object as a pass does (FIRST_READ_LINE_BYTES), every column cast to its
    type (run only after a pass failed to read): a count(*) would skip the columns, and miss a record whose
    "timestamp" is "abc". An object with a longer line is not: it runs alone, and is read whole there."""
    try:
        reader = raw_reader([path], max_line_bytes=FIRST_READ_LINE_BYTES)
        con.execute(f"CREATE OR REPLACE TEMP TABLE __ll_probe AS SELECT * FROM {reader}")
    except duckdb.Error:
        return False
    finally:
        con.execute("DROP TABLE IF EXISTS __ll_probe")
    return True


def _figures(con: Any, figures: list[_Figures]) -> list[tuple[int, str, str, int, int]]:
    """Each object's quarantine reasons and newest event times (as etl._figures) and its clean rows per
    (table, format), in one statement; returns (object, table, format, rows, rows with message_b64)."""
    in_range = f"timestamp BETWEEN 0 AND {etl._MAX_TIMESTAMP_MS}"
    rows = con.execute(
        f"""SELECT 'reason', {BATCH_NUMBER}, coalesce(__ll_reason, 'unknown'), NULL, count(*), NULL
                FROM classified WHERE format IS NULL GROUP BY ALL
            UNION ALL SELECT 'table', {BATCH_NUMBER}, __ll_table, NULL, max(timestamp), NULL
                FROM classified WHERE format IS NOT NULL AND {in_range} GROUP BY ALL
            UNION ALL SELECT 'newest', {BATCH_NUMBER}, NULL, NULL, max(timestamp), NULL
                FROM classified WHERE {in_range} GROUP BY ALL
            UNION ALL SELECT 'group', {BATCH_NUMBER}, __ll_table, format, count(*), count(message_b64)
                FROM classified WHERE format IS NOT NULL GROUP BY ALL
            ORDER BY ALL"""
    ).fetchall()
    groups = []
    for kind, n, name, fmt, value, b64 in rows:
        one = figures[int(n)]
        if kind == "reason":
            one.quarantine_reasons[str(name)] = int(value)
        elif kind == "table" and value is not None:
            one.table_newest_ms[str(name)] = int(value)
        elif kind == "newest" and value is not None:
            one.newest_event_ms = int(value)
        elif kind == "group":
            groups.append((int(n), str(name), str(fmt), int(value), int(b64)))
            one.tables[str(name)] = one.tables.get(str(name), 0) + int(value)
    return groups


def _write_clean(
    con: Any,
    tmp: Path,
    store: Store,
    settings: EtlSettings,
    schema: TableSchema,
    plans: dict[str, ParsePlan],
    has_b64: bool,
    batch: list[_Pending],
    local: dict[str, Path],
) -> dict[int, list[str]]:
    """One table's clean files for every object of the batch (one COPY, one folder per object), moved to
    the keys process_raw_object would give them; keys by object number."""
    table = schema.table
    names = schema.pointer_names()
    plans = within_cap(con, table, plans, names)
    query = etl._clean_query(table, plans, names, has_b64, "", settings.redact, batch=True)
    folder = tmp / "clean" / table
    folder.parent.mkdir(exist_ok=True)
    con.execute(
        f"COPY ({query}) TO {sql_string(str(folder))} "
        f"({settings.format.ingest_copy_options}, PARTITION_BY ({BATCH_NUMBER}, dt, hour))"
    )
    suffix = settings.format.suffix
    return {
        n: etl._store_outputs(
            folder / f"{BATCH_NUMBER}={n}",
            store,
            lambda part, name: clean_key(table, part, name, suffix),
            item.object_id,
            local,
        )
        for n, item in enumerate(batch)
        if (folder / f"{BATCH_NUMBER}={n}").exists()
    }


def _write_quarantine(
    con: Any, tmp: Path, store: Store, settings: EtlSettings, batch: list[_Pending]
) -> dict[int, list[str]]:
    folder = tmp / "quarantine"
    query = etl._quarantine_query("", settings.redact, batch=True)
    con.execute(
        f"COPY ({query}) TO {sql_string(str(folder))} "
        f"(FORMAT json, COMPRESSION gzip, PARTITION_BY ({BATCH_NUMBER}, dt))"
    )
    return {
        n: etl._store_outputs(folder / f"{BATCH_NUMBER}={n}", store, quarantine_key, item.object_id)
        for n, item in enumerate(batch)
        if (folder / f"{BATCH_NUMBER}={n}").exists()
    }


def _time_sources(con: Any, folder: Path, settings: EtlSettings, figures: list[_Figures]) -> None:
    """Clean rows per time_source and object, read back from the files just written (as etl does)."""
    if not folder.exists():
        return
    fmt = settings.format
    source = fmt.reader(str(folder / "**" / f"*{fmt.suffix}"), {"time_source": "VARCHAR"}, hive=False, filename=True)
    number = f"regexp_extract(filename, '/{BATCH_NUMBER}=(\\d+)/', 1)::INTEGER"
    rows = con.execute(f"SELECT {number}, time_source, count(*) FROM {source} GROUP BY ALL ORDER BY ALL").fetchall()
    for n, name, count in rows:
        figures[int(n)].time_sources[str(name)] = int(count)


def _check(raw_key: str, one: _Figures) -> None:
    """The conservation checks process_raw_object makes, for one object of the batch."""
    clean_rows, quarantined = sum(one.tables.values()), sum(one.quarantine_reasons.values())
    etl.check_counts(raw_key, one.events, clean_rows, quarantined, sum(one.time_sources.values()))


def _commit(
    store: Store, item: _Pending, one: _Figures, settings: EtlSettings, *, force: bool, threads: int | None
) -> Manifest:
    """process_raw_object's commit, for one object of the batch: the same steps in the same order."""
    outputs = sorted(one.outputs)
    clean_rows = sum(one.tables.values())
    quarantined = sum(one.quarantine_reasons.values())
    manifest = Manifest(
        raw_object=item.key,
        etl_version=ETL_VERSION,
        raw_rows=one.raw_rows,
        events=one.events,
        duplicates=one.raw_rows - one.events,
        clean_rows=clean_rows,
        quarantined_rows=quarantined,
        outputs=outputs,
        raw_version=item.raw_version,
        tables=dict(one.tables),
        time_sources=dict(one.time_sources),
        raw_bytes=item.raw_bytes,
        output_bytes=one.output_bytes,
        committed_ms=int(time.time() * 1000),
        quarantine_reasons=dict(one.quarantine_reasons),
        newest_event_ms=one.newest_event_ms,
        table_newest_ms=dict(one.table_newest_ms),
    )
    etl.commit(store, manifest, item.previous, item.object_id, item.headers, {}, settings, force=force, threads=threads)
    return manifest
