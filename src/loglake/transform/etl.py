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

import contextlib
import functools
import hashlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from loglake import __version__
from loglake.errors import InvariantError, RawObjectError
from loglake.lake import iceberg, skip_index, stream_headers
from loglake.lake.clean_zone import (
    DEFAULT_TABLE,
    OPTIONAL_ENVELOPE,
    RESERVED_NAMES,
    check_timestamp,
    envelope,
    stored_timestamp_sql,
)
from loglake.lake.compaction import outputs_present, settle_outputs
from loglake.lake.formats import OutputFormat
from loglake.lake.keys import CLEAN_PREFIX, RawKey, clean_key, partition_day, quarantine_key
from loglake.lake.manifests import Manifest, read_manifest, write_manifest
from loglake.lake.quarantine import QUARANTINE_COLUMNS, REASON_DETAIL, Reason
from loglake.lake.raw_zone import raw_reader, read_raw
from loglake.lake.schema_registry import SchemaRegistry, TableSchema, as_varchar_sql, widen
from loglake.lake.store import Store
from loglake.lake.unreadable import is_content_error
from loglake.sql_quoting import quote_identifier, sql_string
from loglake.transform import hour_write, likely_format, markers, redaction, session, timestamps
from loglake.transform.naming import assign_names, refused_fields, within_cap
from loglake.transform.parsers import PARSERS, FieldPlan, ParsePlan, Parser
from loglake.transform.parsers.base import LINE
from loglake.transform.redaction import RedactRule
from loglake.transform.settings import EtlSettings

ETL_VERSION = f"etl/{__version__}"
_MAX_TIMESTAMP_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

BATCH_NUMBER = "__ll_n"
BATCH_RAW_OBJECT = "__ll_raw_object"
"""Columns of `classified` when it holds several raw objects (transform/etl_batch.py): each row's object's
number in the batch, and its raw key."""

MISMATCH = "__format_mismatch"
"""The parser value of an event whose log group forces a format the event does not match."""
UNSURE = "__unsure"
"""The parser value of an event that a CASE stopped early (_routing's `upto`) did not decide; its table is NULL."""


@dataclass(frozen=True)
class EtlResult:
    manifest: Manifest
    skipped: bool
    """True when an identical run had already committed this object (a duplicate notification)."""
    schema_versions: dict[str, int] = field(default_factory=dict)
    """Registry version of each table this run wrote to, as it left it (what the Glue sync compares)."""
    stage_ms: dict[str, float] = field(default_factory=dict)
    """Milliseconds spent reading (download, parse, classify), writing the outputs, and committing."""


def process_raw_object(
    store: Store,
    raw_key: str,
    settings: EtlSettings,
    *,
    force: bool = False,
    threads: int | None = None,
    raw_path: Path | None = None,
) -> EtlResult:
    """ETL one raw object. `threads` caps DuckDB's threads when several objects run side by side;
    `raw_path` is the object's local copy when the caller has one (etl_batch: not downloaded twice)."""
    key = RawKey.parse(raw_key)
    object_id = key.object_id
    previous = read_manifest(store, object_id)
    raw_version = store.version(raw_key)
    if previous is not None and already_committed(store, previous, raw_version, force=force):
        return EtlResult(previous, skipped=True)

    registry = SchemaRegistry(store)
    started = time.perf_counter()
    reading = contextlib.nullcontext(raw_path) if raw_path is not None else store.local_file(raw_key)
    with reading as raw_path, tempfile.TemporaryDirectory(prefix="loglake-etl-") as tmp:
        prepared = session.acquire(threads)  # a connection reused across objects: set up once per thread
        con = prepared.con
        try:
            if settings.redact:
                redaction.prepare(con, settings.redact)
            used_headers = stream_headers.remembered(store, raw_key)  # a header from an earlier object
            stream_headers.stage(con, used_headers)
            raw_rows, events, staged = _load(con, raw_path, raw_key, settings)
            found_headers = stream_headers.found_in_object(con)
            figures = _figures(con)
            raw_bytes = raw_path.stat().st_size
            read_done = time.perf_counter()
            groups = con.execute(
                "SELECT __ll_table, format, count(*), count(message_b64) FROM classified "
                "WHERE format IS NOT NULL GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            quarantined = sum(figures["quarantine_reasons"].values())  # every row without a format has a reason
            clean_rows = sum(count for _table, _format, count, _b64 in groups)
            plans = plan_formats(con, {g[1] for g in groups}, settings.max_depth, staged)
            outputs = []
            versions: dict[str, int] = {}
            local: dict[str, Path] = {}
            for table in sorted({g[0] for g in groups}):
                table_plans = {fmt: plans[fmt] for t, fmt, _count, _b64 in groups if t == table}
                has_b64 = any(b64 for t, _fmt, _count, b64 in groups if t == table)
                schema = _register(registry, settings, table, table_plans, has_b64, raw_key)
                written = _write_clean(
                    con, Path(tmp), store, settings, schema, table_plans, has_b64, raw_key, object_id, local
                )
                versions[table] = _note_earliest_dt(registry, store, schema, written).version
                outputs += written
            if settings.skip_index:  # once the files are in place: search skips files by it
                # Every table's files in one build, read from tmp, not the store: a build per table made an object
                # of 20 lines in 11 tables cost 1.04-1.19 s of CPU against 0.70-0.75 (benchmarks/mixed_objects.py).
                skip_index.write_for_all(store, outputs, paths=local, con=con)
            if quarantined:  # a COPY of no rows writes no file, and its planning and scan cost a small object ~4%
                outputs += _write_quarantine(con, Path(tmp), store, raw_key, object_id, settings.redact)
            time_sources = _count_time_sources(con, Path(tmp) / "clean", settings.format)
            output_bytes = sum(f.stat().st_size for d in ("clean", "quarantine") for f in _files(Path(tmp) / d))
            write_done = time.perf_counter()
        except BaseException:
            session.release(prepared, failed=True)  # the next object gets a fresh connection
            raise
        session.release(prepared, failed=False)

    check_counts(raw_key, events, clean_rows, quarantined, sum(time_sources.values()))
    tables: dict[str, int] = {}
    for table, _format, count, _b64 in groups:
        tables[table] = tables.get(table, 0) + count
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
        tables=tables,
        time_sources=time_sources,
        raw_bytes=raw_bytes,
        output_bytes=output_bytes,
        committed_ms=int(time.time() * 1000),
        **figures,
    )
    commit(store, manifest, previous, object_id, used_headers, found_headers, settings, force=force, threads=threads)
    stage_ms = {
        "read": (read_done - started) * 1000,
        "write": (write_done - read_done) * 1000,
        "commit": (time.perf_counter() - write_done) * 1000,
    }
    return EtlResult(manifest, skipped=False, schema_versions=versions, stage_ms=stage_ms)


def already_committed(store: Store, previous: Manifest, raw_version: str | None, *, force: bool) -> bool:
    """An identical run (this ETL version, this version of the raw object) committed already and its outputs are
    still there (compacted ones count as present): a duplicate notification, skipped unless forced."""
    return (
        not force
        and previous.etl_version == ETL_VERSION
        and previous.raw_version == raw_version
        and outputs_present(store, previous.outputs)
    )


def check_counts(raw_key: str, events: int, clean_rows: int, quarantined: int, written: int) -> None:
    """Conservation before any commit: every distinct event is clean or quarantined, and every clean row is in
    the files written (`written`: their rows, counted back from them)."""
    if clean_rows + quarantined != events:
        raise InvariantError(
            f"{raw_key}: {events} events but {clean_rows} clean + {quarantined} quarantined; nothing committed"
        )
    if written != clean_rows:
        raise InvariantError(
            f"{raw_key}: {clean_rows} clean rows but {written} in the files written; nothing committed"
        )


def commit(
    store: Store,
    manifest: Manifest,
    previous: Manifest | None,
    object_id: str,
    used_headers: stream_headers.Headers,
    found_headers: stream_headers.Headers,
    settings: EtlSettings,
    *,
    force: bool,
    threads: int | None,
) -> None:
    """Commit one object's outputs (shared by one-object runs and etl_batch's passes): Iceberg commits, the
    hive hours' settlement against compaction, the manifest, then a re-run's stale outputs and the objects
    of its stream read before their header was known."""
    raw_key, outputs = manifest.raw_object, manifest.outputs
    # Iceberg tables: one commit each (its old rows out, its new files in); their old files go by expiry.
    owned = iceberg.commit_outputs(store, raw_key, manifest.raw_version, ETL_VERSION, outputs, previous, force=force)
    hive_before = [k for k in (previous.outputs if previous else []) if k not in owned]
    hive_now = [k for k in outputs if k not in owned]
    settle_outputs(store, raw_key, hive_before, hive_now, rerun=previous is not None)
    write_manifest(store, object_id, manifest)
    if previous is not None:
        for stale in set(hive_before) - set(hive_now):
            store.delete(stale)

    def rerun(key: str) -> EtlResult:
        return process_raw_object(store, key, settings, force=True, threads=threads)

    # Objects read before their stream's header was known are read again.
    stream_headers.after_commit(store, raw_key, used_headers, found_headers, rerun)


def _figures(con: Any) -> dict[str, Any]:
    """Quarantined rows per reason and the newest event times (overall, per clean table), for the manifest."""
    in_range = f"timestamp BETWEEN 0 AND {_MAX_TIMESTAMP_MS}"
    reasons, newest, overall = con.execute(  # one statement: each costs a small object ~1 ms
        f"""SELECT
            (SELECT list([reason, n::VARCHAR] ORDER BY reason) FROM (
                SELECT coalesce(__ll_reason, 'unknown') AS reason, count(*) AS n FROM classified
                WHERE format IS NULL GROUP BY ALL)),
            (SELECT list([__ll_table, ms::VARCHAR] ORDER BY __ll_table) FROM (
                SELECT __ll_table, max(timestamp) AS ms FROM classified
                WHERE format IS NOT NULL AND {in_range} GROUP BY ALL)),
            (SELECT max(timestamp) FROM classified WHERE {in_range})"""
    ).fetchall()[0]
    return {
        "quarantine_reasons": {str(reason): int(count) for reason, count in reasons or []},
        "newest_event_ms": None if overall is None else int(overall),
        "table_newest_ms": {str(table): int(ms) for table, ms in newest or [] if ms is not None},
    }


def _files(folder: Path) -> list[Path]:
    return [f for f in folder.rglob("*") if f.is_file()] if folder.exists() else []


LINE_COLUMN = "__ll_line_text"
"""Column of the classification statement: base.LINE of the message, computed once per event before the CASE.
The detections of LINE_READERS read it instead of their own copies of LINE (25, each a CASE and a
regexp_replace bound, optimized and compiled per statement: 11-15 ms of every object's planning,
benchmarks/README.md, h-order7). The same value, so the same claims."""
LINE_READERS = frozenset(
    {
        "container_docker", "lambda_text", "vpc_flow_log", "alb", "nlb", "elb_classic", "alb_connection",
        "s3_access_log", "cloudfront", "cloudfront_realtime", "apigateway_access_log", "access_log", "container_cri",
    }
)  # fmt: skip
"""The parsers whose detections read LINE_COLUMN: the ones measured with it (h-order7). The others keep their own
copy of LINE (the same value)."""


def _routing(
    settings: EtlSettings,
    excluded: frozenset[str] = frozenset(),
    likely: str | None = None,
    marked: bool = False,
    line_column: bool = False,
    sure_of: frozenset[str] | None = None,
    upto: str | None = None,
) -> tuple[str, str]:
    """SQL for the parser of each event (a route may force one) and for its clean table; `excluded` parsers
    cannot claim any line of the object, so detection leaves them out; the `likely` parser's claim is read
    from its groups, extracted before (likely_format.py); `marked`: parsers with markers are tested only
    where column markers.MARKED is true; `line_column`: LINE_READERS read base.LINE of the message from column
    LINE_COLUMN. A parser that can tell cheaply that no parser between is the line's (`_shortcuts`) is also
    tested ahead of them, and in its place for the rest; only those of `sure_of` when it is given (_sure_of).
    `upto` (a parser with a shortcut, without routes): the CASE stops after that shortcut, and a line no test
    up to there takes is UNSURE (classify_lines then classifies the object with the whole CASE)."""

    def detect_sql(name: str) -> str:
        if name == likely:
            return likely_format.claim(name)
        detect = by_name[name].detect("message")
        if line_column and name in LINE_READERS:
            detect = detect.replace(LINE.format(m="message"), LINE_COLUMN)
        return markers.gated(by_name[name], detect) if marked else detect

    by_name = {p.name: p for p in PARSERS}
    order = [p.name for p in PARSERS if p.name not in excluded]
    whens = {name: [f"WHEN {detect_sql(name)} THEN {sql_string(name)}"] for name in order}
    sure_whens = {}
    for name, first in _shortcuts(order, likely).items():
        if sure_of is not None and name not in sure_of:
            continue
        kept = likely_format.sure(name) if name == likely else None  # read from the likely parser's column
        sure = kept if kept is not None else by_name[name].sure("message")  # type: ignore[attr-defined]
        sure_whens[name] = f"WHEN {markers.gated(by_name[name], sure) if marked else sure} THEN {sql_string(name)}"
        whens[first].insert(0, sure_whens[name])
    listed = [w for name in order for w in whens[name]]
    if upto is not None:
        if settings.routes or upto not in sure_whens:
            raise ValueError(f"classification cannot stop after {upto!r}: no such shortcut, or routes")
        listed = [*listed[: listed.index(sure_whens[upto]) + 1], f"ELSE {sql_string(UNSURE)}"]
    detect = "CASE " + " ".join(listed) + " END"
    forced = [r for r in settings.routes if r.format is not None]
    parser = detect
    if forced:
        cases = " ".join(
            f"WHEN log_group GLOB {sql_string(r.log_group)} THEN "
            f"CASE WHEN {detect_sql(str(r.format))} THEN {sql_string(str(r.format))} "
            f"ELSE {sql_string(MISMATCH)} END"
            for r in forced
        )
        parser = f"CASE {cases} ELSE {detect} END"
    default = " ".join(
        f"WHEN {sql_string(p.name)} THEN {sql_string(p.table if p.table != DEFAULT_TABLE else settings.table)}"
        for p in PARSERS
    )
    table = f"CASE __ll_parser {default} END"
    routed = [r for r in settings.routes if r.table is not None]
    if routed:
        cases = " ".join(
            f"WHEN log_group GLOB {sql_string(r.log_group)} THEN {sql_string(str(r.table))}" for r in routed
        )
        table = f"CASE {cases} ELSE {table} END"
    return parser, table


def _shortcuts(order: list[str], likely: str | None = None) -> dict[str, str]:
    """Parsers tested early where they are sure (WafParser.sure; the `likely` parser's likely_format.sure, read
    from its column): name -> the parser before which `sure` is tested. Only where every parser between that
    one and this one in `order` (the CASE's) is in its `ahead_of`, which `sure` rules out: the line then gets
    the parser the whole order gives it."""
    found = {}
    for n, name in enumerate(order):
        parser = next(p for p in PARSERS if p.name == name)
        has_sure = hasattr(parser, "sure") or (name == likely and likely_format.sure(name) is not None)
        ahead = getattr(parser, "ahead_of", ()) if has_sure else ()
        between = [m for m in order[:n] if m in ahead]
        if between and order[order.index(between[0]) : n] == between:
            found[name] = between[0]
    return found


def _load(con: Any, raw_path: Path, raw_key: str, settings: EtlSettings) -> tuple[int, int, str | None]:
    """Read the raw object into `classified`: one row per distinct event, with its parser or its reason;
    (raw rows, distinct events, the parser whose groups `classified` holds). `con` comes from
    transform/session.py: the time zone and the macros are already set."""

    def read(size: int) -> str:
        return f"CREATE OR REPLACE TEMP TABLE raw_lines AS SELECT * FROM {raw_reader([raw_path], max_line_bytes=size)}"

    try:
        read_raw(con, read)
    except duckdb.Error as exc:
        if not is_content_error(exc):
            raise  # out of memory, disk full, interrupted: retried, never set aside as unreadable
        raise RawObjectError(f"{raw_key} is not a raw batch (gzip NDJSON of raw records): {exc}") from exc
    classified = classify_lines(con, raw_key, settings)
    return (*classified.counts[0], classified.staged)


@dataclass(frozen=True)
class Classified:
    counts: dict[int, tuple[int, int]]
    """(raw rows, distinct events) by object number (`batch`: column __ll_n; else one object, 0)."""
    staged: str | None
    """The parser whose regex groups `classified` holds for its rows (likely_format.py): plan_formats' `staged`."""


def classify_lines(con: Any, raw_key: str, settings: EtlSettings, *, batch: bool = False) -> Classified:
    """Classify `raw_lines` into `classified` (parsers' set-up, guard pass or likely format, detection,
    de-duplication)."""

    def classify(events: str, upto: str | None = None) -> str:
        return _classify_sql(settings, excluded, likely, settled, sure_of, upto).replace(_EVENTS, events)

    for parser in PARSERS:
        for statement in parser.setup():
            con.execute(statement)
    excluded, likely, ends = _survey(con)
    settled = _settled(con)
    sure_of = None if ends is None else _sure_of(con, ends, excluded, likely, settled)
    upto = _stop_after(settings, excluded, likely, sure_of)
    # In file order: DuckDB keeps insertion order (no sort).
    if upto is None or _undecided(con, classify("SELECT * FROM raw_lines", upto)):
        con.execute(classify("SELECT * FROM raw_lines"))
    con.execute("DROP TABLE raw_lines")
    number, by, group = (BATCH_NUMBER, f"{BATCH_NUMBER}, ", " GROUP BY ALL") if batch else ("0", "", "")
    counts = con.execute(  # one statement: each costs ~1 ms however small the object
        f"SELECT {number}, count(*), count(*) FILTER (WHERE log_group IS NULL OR event_id IS NULL "
        f"OR timestamp IS NULL OR message IS NULL), count(DISTINCT ({by}log_group, event_id)) FROM classified{group}"
    ).fetchall()
    missing = sum(int(row[2]) for row in counts)
    if missing:
        raise RawObjectError(
            f"{raw_key}: {missing} records lack log_group, event_id, timestamp or message; "
            "not a raw batch, refusing to process it"
        )
    raw_rows = {int(n): int(rows) for n, rows, _missing, _distinct in counts}
    events = {int(n): int(distinct) for n, _rows, _missing, distinct in counts}
    if events != raw_rows:
        # The first copy in file order wins. Rare (overlapping collector windows), so paid only when needed.
        staged = f", {likely_format.column(likely)}" if likely else ""
        staged += "".join(f", {column}" for column in claimed_columns(settings, excluded))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE raw_events AS SELECT * EXCLUDE (format, __ll_reason, __ll_table{staged}) "
            "FROM classified "
            f"QUALIFY row_number() OVER (PARTITION BY {by}log_group, event_id ORDER BY rowid) = 1 "
            "ORDER BY rowid"  # the window's output is in its partitions' order, not the file's
        )
        con.execute(classify("SELECT * FROM raw_events"))
        con.execute("DROP TABLE raw_events")
    return Classified({n: (raw_rows[n], events[n]) for n in raw_rows}, likely)


def _stop_after(
    settings: EtlSettings, excluded: frozenset[str], likely: str | None, sure_of: frozenset[str] | None
) -> str | None:
    """The shortcut after which a large object's CASE may stop (`_routing`'s `upto`): the one parser with a
    shortcut whose `sure` held for the object's first or last line (_sure_of), where no route changes the CASE.

    Why: binding and optimizing the whole CASE costs 30-45 ms of every object (benchmarks/README.md, 2026-12-01,
    "Measured, not kept"), and in an object of one format with a shortcut every line is decided at that shortcut,
    so the detections after it are planned for nothing. The CASE's first WHENs, up to that shortcut, give each line
    they decide the parser the whole CASE gives it (the first WHEN that holds, the same WHENs in the same order);
    a line they do not decide makes classify_lines classify the object again with the whole CASE."""
    if sure_of is None or settings.routes:
        return None
    order = [p.name for p in PARSERS if p.name not in excluded]
    stops = [name for name in _shortcuts(order, likely) if name in sure_of]
    return stops[0] if len(stops) == 1 else None


def _undecided(con: Any, statement: str) -> bool:
    """Run a classification that may stop early (`upto`); whether a line was left UNSURE (its table NULL: no
    route maps a table, _stop_after)."""
    con.execute(statement)
    (left,) = con.execute("SELECT count(*) FROM classified WHERE __ll_table IS NULL").fetchall()[0]
    return bool(left)


def plan_formats(con: Any, formats: set[str], max_depth: int, staged: str | None) -> dict[str, ParsePlan]:
    """The plans of the parsers of `formats` over `classified`; the `staged` parser's reads the groups that
    classification kept (Classified.staged)."""
    plans = {p.name: p.plan(con, max_depth) for p in PARSERS if p.name in formats}
    return likely_format.reuse(plans, staged)


_EVENTS = "__ll_events__"
"""Where _classify_sql's statement reads the events from."""
_GUARD_PASS_MAX_ROWS = 5_000
"""Objects up to this many lines test the parsers' guards before classifying (_guarded_out)."""


def _survey(con: Any) -> tuple[frozenset[str], str | None, list[str | None] | None]:
    """What classification can skip: in a small object the parsers no line can claim (_guarded_out); in a
    large one (where regex compilation is noise and a guard pass a second scan), the likely parser, whose
    groups classification keeps (likely_format.py), and the parsers with claimed columns (claimed_columns)
    whose guard no line passes: those columns would cost every row of the object (13 ms of CPU per 50,000 JSON
    or access log lines for OTLP's, all NULL). One statement counts the lines, reads the first and last (returned
    for a large object, for _sure_of), and tests those guards; the count also sets the object's threads
    (session.narrow)."""
    guards = {
        p.name: str(g) for p in PARSERS if getattr(p, "claimed_columns", None) and (g := getattr(p, "guard", None))
    }
    tests = "".join(f", bool_or({guard.replace('{m}', 'message')})" for guard in guards.values())
    rows, threads, first, last, *passed = con.execute(
        f"SELECT count(*), current_setting('threads'), arg_min(message, rowid), arg_max(message, rowid){tests} "
        "FROM raw_lines"
    ).fetchall()[0]
    session.narrow(con, rows, threads)
    if rows > _GUARD_PASS_MAX_ROWS:
        unclaimed = frozenset(name for name, ok in zip(guards, passed, strict=True) if not ok)  # NULL: no line
        return unclaimed, likely_format.guess([first, last]), [first, last]
    return _guarded_out(con), None, None


def _sure_of(
    con: Any,
    ends: list[str | None],
    excluded: frozenset[str],
    likely: str | None,
    settled: tuple[tuple[str, str], ...] = (),
) -> frozenset[str] | None:
    """The parsers whose shortcut a large object's classification keeps (`_routing`'s `sure_of`): the likely
    parser's, and each other one whose `sure` holds for the object's first or last line; None (every shortcut)
    for ends too long to inline (_SURE_ENDS_MAX_CHARS).

    Why: every shortcut's `sure` is a test that each line no earlier shortcut took pays, 1-4 ms per 50,000
    lines each, and most objects hold one format, whose first and last lines say which shortcut can pay
    (benchmarks/README.md, "Shortcuts kept where the object's ends are sure"). A shortcut only ever saves time:
    the CASE gives each line the same parser with or without it, so leaving one out never changes a row.
    The tests are a statement prepared once per connection and query: binding one (compiling the `sure`s'
    regexes) costs about 7 ms, executing it with the ends inlined about 1.5."""
    kept = frozenset({likely} if likely else ())
    order = [p.name for p in PARSERS if p.name not in excluded]
    tested = [name for name in _shortcuts(order, likely) if name not in kept]
    texts = [end for end in ends if end is not None]
    if not tested or not texts:
        return kept
    if sum(len(text) for text in texts) > _SURE_ENDS_MAX_CHARS:
        return None
    by_name = {p.name: p for p in PARSERS}  # a parser other than the likely one has a shortcut only with `sure`
    sure = {name: by_name[name].sure("message") for name in tested}  # type: ignore[attr-defined]
    tests = ", ".join(f"coalesce(bool_or({sure[name]}), false)" for name in tested)
    query = _with_settled(f"SELECT {tests} FROM (SELECT unnest($1::VARCHAR[]) AS message)", settled)
    prepared = f"__ll_sure_{hashlib.sha256(query.encode()).hexdigest()[:16]}"
    call = f"EXECUTE {prepared}([{', '.join(sql_string(text) for text in texts)}])"
    try:
        held = con.execute(call).fetchone()
    except duckdb.BinderException:  # not prepared on this connection yet
        con.execute(f"PREPARE {prepared} AS {query}")
        held = con.execute(call).fetchone()
    return kept | {name for name, ok in zip(tested, held, strict=True) if ok}


_SURE_ENDS_MAX_CHARS = 1 << 20
"""_sure_of inlines the first and last lines in its statement up to this many characters together."""


def _guarded_out(con: Any) -> frozenset[str]:
    """Parsers whose guard (their cheap pre-test) no line of `raw_lines` passes: they cannot claim a line, so
    detection leaves them out. DuckDB compiles every regex of a statement each time it runs it, which is
    most of the cost of classifying a small object; a guard that is false for every line spares its regexes."""
    guards = {p.name: str(g) for p in PARSERS if (g := getattr(p, "guard", None))}
    if not guards:
        return frozenset()
    distinct = sorted(set(guards.values()))  # parsers of one shape share a guard: test it once
    tests = ", ".join(f"bool_or({guard.replace('{m}', 'message')})" for guard in distinct)
    passed = dict(zip(distinct, con.execute(f"SELECT {tests} FROM raw_lines").fetchall()[0], strict=True))
    return frozenset(name for name, guard in guards.items() if not passed[guard])  # NULL: no line passed


def _settled(con: Any) -> tuple[tuple[str, str], ...]:
    """(subquery, its value as a SQL literal) for each parser's `settled` subqueries, read once after the
    parsers' set-up: an uncorrelated subquery over a set-up table is one value per object, and in the
    classification statement it is bound and planned as a join on every run (VPC's and CloudFront's
    `custom`: with its value a constant, the optimizer drops the branch it rules out; 5-9 ms of planning
    per object, benchmarks/README.md, h-order7). Only booleans and NULL are substituted."""
    queries = sorted({q for p in PARSERS for q in getattr(p, "settled", ())})
    if not queries:
        return ()
    values = con.execute(f"SELECT {', '.join(queries)}").fetchall()[0]
    literals = {True: "true", False: "false", None: "CAST(NULL AS BOOLEAN)"}
    return tuple((q, literals[v]) for q, v in zip(queries, values, strict=True) if isinstance(v, bool) or v is None)


@functools.lru_cache(maxsize=64)
def _classify_sql(
    settings: EtlSettings,
    excluded: frozenset[str],
    likely: str | None = None,
    settled: tuple[tuple[str, str], ...] = (),
    sure_of: frozenset[str] | None = None,
    upto: str | None = None,
) -> str:
    """The statement that classifies the events of `_EVENTS` (built once per settings, parser set, likely
    parser and settled values; that parser's groups are extracted first, its claim read from them, and kept:
    likely_format.py; the JSON shapes' markers are found in one pass first: markers.py; LINE_READERS read
    column LINE_COLUMN). Each `settled` subquery is its value (`_settled`): the same values, planned once.
    `upto`: the CASE up to that parser's shortcut (_routing), a line it does not decide UNSURE."""
    tested = _tested(settings, excluded)
    marked = markers.marked_sql(tested)
    own_columns = claimed_columns(settings, excluded)
    parser_sql, table_sql = _routing(
        settings, excluded, likely, marked=marked is not None, line_column=True, sure_of=sure_of, upto=upto
    )
    computed, dropped, kept = "", "", ""  # columns detection reads: computed before it, dropped after it
    if marked is not None:
        computed += f", {marked} AS {markers.MARKED}"
        dropped += f", {markers.MARKED}"
    if likely is not None:
        column = likely_format.column(likely)
        computed += f", {likely_format.extraction(likely)} AS {column}"
        dropped += f", {column}"
        claimed = f"__ll_reason IS NULL AND __ll_parser = {sql_string(likely)}"
        kept = f", {likely_format.kept(likely, claimed)} AS {column}"
    defined = f"SELECT *, {LINE.format(m='message')} AS {LINE_COLUMN} FROM ({_EVENTS})"
    events = f"SELECT *{computed} FROM ({defined})" if computed else defined
    dropped += f", {LINE_COLUMN}"
    reject = [f"WHEN __ll_parser = {sql_string(MISMATCH)} THEN {sql_string(Reason.FORMAT_MISMATCH)}"]
    for parser in tested:
        rule = parser.reject("message")
        if rule is not None:
            predicate, reason = rule
            reject.append(f"WHEN __ll_parser = {sql_string(parser.name)} AND {predicate} THEN {sql_string(reason)}")
    bad_time = f"timestamp NOT BETWEEN 0 AND {_MAX_TIMESTAMP_MS}"
    parsed = f"SELECT *, {parser_sql} AS __ll_parser FROM ({events})"
    if own_columns:  # each parser's claimed columns for its rows, before the reject rules that may read them
        computed = ", ".join(f"{expression} AS {column}" for column, expression in own_columns.items())
        parsed = f"SELECT *, {computed} FROM ({parsed})"
    statement = f"""
        CREATE OR REPLACE TEMP TABLE classified AS
        SELECT * EXCLUDE (__ll_parser{dropped}), CASE WHEN __ll_reason IS NULL THEN __ll_parser END AS format,
               {table_sql} AS __ll_table{kept}
        FROM (
            SELECT *, CASE WHEN {bad_time} THEN {sql_string(Reason.INVALID_TIMESTAMP)} {" ".join(reject)} END
                AS __ll_reason
            FROM ({parsed})
        )
    """
    return _with_settled(statement, settled)


def _with_settled(sql: str, settled: tuple[tuple[str, str], ...]) -> str:
    """`sql` with each `settled` subquery replaced by its value (_settled)."""
    for subquery, value in settled:
        sql = sql.replace(subquery, value)
    return sql


def claimed_columns(settings: EtlSettings, excluded: frozenset[str]) -> dict[str, str]:
    """column -> SQL of the `claimed_columns` (name -> SQL over `{m}`) of the parsers classification tests
    (`excluded` ones only where a route forces them). Each is computed in classification over the message of the
    rows its parser claims (NULL on every other row), after detection and before the reject rules, which may read
    it, and kept in `classified`: the parser's plan and the write read it there instead of computing it again
    (OTLP's json_transform of the document: its not-split test, its plan's attribute keys and its columns read
    one parse of the message, not three). No other parser has any."""
    return {
        column: expression.replace("{m}", f"CASE WHEN __ll_parser = {sql_string(p.name)} THEN message END")
        for p in _tested(settings, excluded)
        for column, expression in getattr(p, "claimed_columns", {}).items()
    }


def _tested(settings: EtlSettings, excluded: frozenset[str]) -> list[Parser]:
    """The parsers classification tests, in PARSERS order: all but `excluded`, save those a route forces."""
    forced = {str(r.format) for r in settings.routes if r.format is not None}
    return [p for p in PARSERS if p.name not in excluded or p.name in forced]


def _register(
    registry: SchemaRegistry,
    settings: EtlSettings,
    table: str,
    plans: dict[str, ParsePlan],
    has_b64: bool,
    cause: str,
) -> TableSchema:
    """Name new fields and record types in the registry before any data is written. A table an earlier
    loglake wrote with another `timestamp` type is refused, forced or not: a run rewrites one object's files,
    and only a rewrite of every file of the table may retype it (lake/compaction.py rewrite_stale)."""
    fields = list(_table_fields(plans).values())
    columns = dict(envelope(table), **(OPTIONAL_ENVELOPE if has_b64 else {}))

    def change(schema: TableSchema) -> bool:
        check_timestamp(schema)  # never retyped here, forced or not: `loglake compact --rewrite-stale` does
        taken = RESERVED_NAMES | {c.name for c in schema.columns}
        refused, capped = refused_fields(
            schema,
            plans,
            settings.max_columns,
            cause,
            lambda found: redaction.withheld_keys(settings.redact, table, found),
        )
        named = ((f.source, f.path) for f in fields if f.source not in refused)
        names = assign_names(named, schema.pointer_names(), taken, settings.separator)
        incoming = [(name, type_, f"envelope:{name}") for name, type_ in columns.items()]
        incoming += [
            (names[f.source], redaction.stored_type(settings.redact, table, names[f.source], f.type), f.source)
            for f in fields
            if f.source in names
        ]
        return schema.merge(incoming, settings.output_format, cause) or capped

    return registry.update(table, change)


def _note_earliest_dt(registry: SchemaRegistry, store: Store, schema: TableSchema, written: list[str]) -> TableSchema:
    """Move the table's earliest_dt back to the oldest day just written (before the manifest commits), so
    Athena's partition projection reaches it. A registry from before earliest_dt was kept starts from the
    table's first key: keys list in order, dt first (a table in S3 Tables is newer than that registry, and
    its storage cannot be listed)."""
    keys = list(written)
    if schema.earliest_dt is None and not iceberg.in_s3tables(store, schema.table):
        keys.append(next(iter(store.list(f"{CLEAN_PREFIX}{schema.table}/")), ""))
    days = [day for key in keys if (day := partition_day(key))]
    if not days or (schema.earliest_dt is not None and schema.earliest_dt <= min(days)):
        return schema
    earliest = min(days)
    return registry.update(schema.table, lambda s: s.note_earliest_dt(earliest))


def _table_fields(plans: dict[str, ParsePlan]) -> dict[str, FieldPlan]:
    """A table's payload fields by source; a source two parsers plan (the same key in JSON and CLF API
    Gateway logs) is one column, of the wider type."""
    merged: dict[str, FieldPlan] = {}
    for plan in plans.values():
        for f in plan.fields:
            seen = merged.get(f.source)
            merged[f.source] = f if seen is None else replace(seen, type=widen(seen.type, f.type))
    return merged


def _clean_query(
    table: str,
    plans: dict[str, ParsePlan],
    names: dict[str, str],
    has_b64: bool,
    raw_key: str,
    rules: tuple[RedactRule, ...] = (),
    *,
    batch: bool = False,
    every_column: bool = False,
) -> str:
    """One SELECT per parser over its own rows (UNION ALL), so a parser's cost is paid only by its events.
    Redaction rules apply to the text columns they cover in the final SELECT, before anything is written.
    `batch`: `classified` holds several raw objects (transform/etl_batch.py): each row's raw_object is its
    own, and `__ll_n` (its object's number, a partition of the write) is selected too.

    A column every parser plans as `lacking` (NULL on every row) is left out unless `every_column`: readers
    take each table's columns from the registry and give a file's absent ones NULL (lake/file_types.py,
    Athena's Parquet and JSON readers by name), and writing them cost VPC's default-format object 46 columns of
    NULLs, about 90 ms of its 440 (benchmarks/README.md). An Iceberg table's schema grows from its files'
    columns (lake/iceberg.py), so its files keep every column."""
    filled = {f.source for plan in plans.values() for f in plan.fields if every_column or not f.lacking}
    fields = {source: field for source, field in _table_fields(plans).items() if source in filled}
    branches = []
    for name, plan in plans.items():
        own = {f.source: f for f in plan.fields}
        values = "".join(
            f", {_as(own[source], column.type) if source in own else 'NULL::' + column.type} "
            f"AS {quote_identifier(names[source])}"
            for source, column in fields.items()
        )
        branches.append(
            f"SELECT *, {timestamps.parse_time_expression(plan.time, 'timestamp', plan.time_format)} AS __ll_parsed, "
            f"{plan.level} AS __ll_level{values} "
            f"FROM ({staged_rows(name, table, plan)})"
        )
    payload = ""
    for source, column in fields.items():
        name = quote_identifier(names[source])
        payload += f", {redaction.redact_column(rules, table, names[source], name, column.type)} AS {name}"
    message = redaction.wrap(rules, table, "message", "message")
    # The exact bytes of an undecodable message would leak what redaction removed: the raw zone keeps them.
    b64 = (", NULL::VARCHAR AS message_b64" if message != "message" else ", message_b64") if has_b64 else ""
    raw_object, object_number = (BATCH_RAW_OBJECT, f", {BATCH_NUMBER}") if batch else (sql_string(raw_key), "")
    return f"""
        SELECT {stored_timestamp_sql(table, "__ll_time")} AS "timestamp", __ll_time_source AS time_source,
               __ll_level AS level, {message} AS message, log_group, log_stream, event_id,
               epoch_ms(ingestion_time) AS ingestion_time, source, format, {raw_object} AS raw_object
               {b64} {payload},
               strftime(__ll_time, '%Y-%m-%d') AS dt, strftime(__ll_time, '%H') AS hour{object_number}
        FROM (
            SELECT *, {timestamps.event_time_expression("__ll_parsed", "timestamp")} AS __ll_time,
                   {timestamps.time_source_expression("__ll_parsed", "source")} AS __ll_time_source
            FROM ({" UNION ALL BY NAME ".join(branches)})
        )
    """


def staged_rows(name: str, table: str, plan: ParsePlan) -> str:
    """SQL: the rows of `classified` that parser `name` writes to `table`, with its staging and derived columns
    (each derived column in a SELECT of its own, so the ones after it read it without computing it again)."""
    staging = "".join(f", {expression} AS {column}" for column, expression in plan.staging.items())
    rows = f"SELECT *{staging} FROM classified WHERE format = {sql_string(name)} AND __ll_table = {sql_string(table)}"
    for column, expression in plan.derived.items():
        rows = f"SELECT *, {expression} AS {column} FROM ({rows})"
    return rows


def _as(field: FieldPlan, type_: str) -> str:
    """A parser's value in the batch's (widened) type; a nested one in a VARCHAR column as JSON text, as JSON
    records write theirs (WAF's `labels` beside a JSON record's)."""
    if field.type == type_:
        return field.expression
    if type_ == "VARCHAR":
        return as_varchar_sql(field.expression, field.type)
    return f"CAST({field.expression} AS {type_})"


def _write_clean(
    con: Any,
    tmp: Path,
    store: Store,
    settings: EtlSettings,
    schema: TableSchema,
    plans: dict[str, ParsePlan],
    has_b64: bool,
    raw_key: str,
    object_id: str,
    local: dict[str, Path] | None = None,
) -> list[str]:
    """Write one table's clean objects (engine → temp folder → store); return their keys. `local` gets the
    temp file of each key (the skip index reads those rather than the store)."""
    plans = within_cap(con, schema.table, plans, schema.pointer_names())  # fields past max_columns → extra
    to_iceberg = iceberg.uses_iceberg(store, schema.table, settings.table_format)
    clean_query = _clean_query(
        schema.table, plans, schema.pointer_names(), has_b64, raw_key, settings.redact, every_column=to_iceberg
    )
    if to_iceberg:
        return iceberg.write_files(con, clean_query, tmp, store, schema.table, object_id)
    folder = tmp / "clean" / schema.table
    folder.parent.mkdir(exist_ok=True)
    stream = raw_key.rsplit("/", 1)[0]  # the raw key less its range: one stream's objects
    hour_write.write(con, clean_query, folder, settings.format, schema.table, stream)
    return _store_outputs(
        folder,
        store,
        lambda part, name: clean_key(schema.table, part, name, settings.format.suffix),
        object_id,
        local,
    )


def _count_time_sources(con: Any, folder: Path, fmt: OutputFormat) -> dict[str, int]:
    """Clean rows per time_source, read back from the files just written: one column of them costs less
    than evaluating every parser's time expression a second time."""
    if not folder.exists():
        return {}
    source = fmt.reader(str(folder / "**" / f"*{fmt.suffix}"), {"time_source": "VARCHAR"}, hive=False)
    rows = con.execute(f"SELECT time_source, count(*) FROM {source} GROUP BY ALL ORDER BY ALL").fetchall()
    return {str(name): int(count) for name, count in rows}


def _write_quarantine(
    con: Any, tmp: Path, store: Store, raw_key: str, object_id: str, rules: tuple[RedactRule, ...] = ()
) -> list[str]:
    """Quarantined records, with the message redacted as the rules covering `quarantine` and the table
    each line was bound for ask."""
    folder = tmp / "quarantine"
    con.execute(
        f"COPY ({_quarantine_query(raw_key, rules)}) TO {sql_string(str(folder))} "
        "(FORMAT json, COMPRESSION gzip, PARTITION_BY (dt))"
    )
    return _store_outputs(folder, store, quarantine_key, object_id)


def _quarantine_query(raw_key: str, rules: tuple[RedactRule, ...], *, batch: bool = False) -> str:
    """The quarantine rows of `classified`; `batch` as in _clean_query."""
    details = " ".join(f"WHEN {sql_string(r)} THEN {sql_string(d)}" for r, d in REASON_DETAIL.items())
    kept = [c for c in QUARANTINE_COLUMNS if c not in ("reason", "detail", "stage", "stage_version", "raw_object")]
    raw_object, object_number = (BATCH_RAW_OBJECT, f", {BATCH_NUMBER}") if batch else (sql_string(raw_key), "")
    message, b64 = redaction.quarantine_message(rules, "message", "message_b64", "__ll_table")
    if message != "message":
        kept = [
            f"{message} AS message" if c == "message" else f"{b64} AS message_b64" if c == "message_b64" else c
            for c in kept
        ]
    return f"""
        SELECT {", ".join(kept)}, __ll_reason AS reason, CASE __ll_reason {details} END AS detail,
               'etl' AS stage, {sql_string(ETL_VERSION)} AS stage_version, {raw_object} AS raw_object,
               strftime(epoch_ms(CASE WHEN timestamp BETWEEN 0 AND {_MAX_TIMESTAMP_MS} THEN timestamp ELSE 0 END),
                        '%Y-%m-%d') AS dt{object_number}
        FROM classified WHERE __ll_reason IS NOT NULL
    """


def _store_outputs(
    folder: Path,
    store: Store,
    key_for: Callable[[str, str], str],
    object_id: str,
    local: dict[str, Path] | None = None,
) -> list[str]:
    """Move the engine's partition folders into the store under keys derived from the raw object (and note
    each key's temp file in `local`)."""
    outputs: list[str] = []
    if not folder.exists():
        return outputs
    for partition in sorted({p.parent for p in folder.rglob("*") if p.is_file()}):
        part = partition.relative_to(folder).as_posix()
        for n, file in enumerate(sorted(f for f in partition.iterdir() if f.is_file())):
            target = key_for(part, object_id if n == 0 else f"{object_id}-{n}")
            store.put_file(target, file)
            outputs.append(target)
            if local is not None:
                local[target] = file
    return outputs
