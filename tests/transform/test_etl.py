"""The ETL end to end on real files: values, types, idempotence, crash recovery and bad input."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import Ingest, Query, write_messages
from loglake.errors import RawObjectError, StoreError
from loglake.lake.keys import RawKey
from loglake.lake.open import Lake
from loglake.lake.raw_zone import encode_batch
from loglake.lake.schema_registry import SchemaRegistry
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings


def conservation(lake: Lake) -> dict[str, Any]:
    with DuckDBEngine(lake.store) as engine:
        return check_conservation(engine, engine.store).as_dict()


def test_nested_json_flattens_to_typed_columns(ingest_lines: Ingest, query: Query, lake: Lake) -> None:
    doc = {
        "timestamp": "2026-11-26T10:00:00Z",
        "level": "warn",
        "request": {"route": "/cart", "latency_ms": 12.5, "status": 200, "client": {"geo": {"country": "FR"}}},
        "userId": 7,
        "user_id": "u-7",
        "user": {"id": 99},
        "http.method": "GET",
        "Response Time": 3,
        "tags": ["a", "b"],
        "ok": True,
    }
    ingest_lines(json.dumps(doc).encode() + b"\n")
    row = query(
        "SELECT timestamp, level, level_2, request_route, request_latency_ms, request_status, "
        "request_client_geo_country, user_id, user_id_2, user_id_3, http_method, response_time, tags, ok, format "
        "FROM logs"
    )
    assert row == [
        (
            datetime(2026, 11, 26, 10, 0),
            "WARN",
            "warn",
            "/cart",
            12.5,
            200,
            "FR",
            99,  # /user/id sorts first: user_id
            7,  # then /userId ('I' < '_'): user_id_2
            "u-7",  # then /user_id: user_id_3
            "GET",
            3,
            '["a","b"]',
            True,
            "json",
        )
    ]
    schema = SchemaRegistry(lake.store).get("logs")
    assert schema is not None
    types = {c.name: (c.type, c.source) for c in schema.columns}
    assert types["request_client_geo_country"] == ("VARCHAR", "/request/client/geo/country")
    assert types["request_status"] == ("BIGINT", "/request/status")
    assert types["request_latency_ms"] == ("DOUBLE", "/request/latency_ms")
    assert types["ok"] == ("BOOLEAN", "/ok")
    assert types["level_2"] == ("VARCHAR", "/level")


def test_objects_below_the_depth_limit_stay_json_text(ingest_lines: Ingest, query: Query) -> None:
    doc = {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}
    ingest_lines(json.dumps(doc).encode() + b"\n", settings=EtlSettings(max_depth=3))
    assert query("SELECT a_b_c FROM logs") == [('{"d":{"e":{"f":1}}}',)]


def test_event_times_in_many_formats_become_utc(ingest_lines: Ingest, query: Query) -> None:
    lines = [
        b'{"timestamp":"2026-11-26T11:00:00+01:00","n":1}',
        b'{"ts":1795687200000,"n":2}',
        b'{"time":1795687200,"n":3}',
        b"2026-11-26T05:00:00-05:00 INFO n=4",
        b'1.2.3.4 - - [26/Nov/2026:12:00:00 +0200] "GET / HTTP/1.1" 200 5',
        b"Nov 26 10:00:00 host sshd[1]: n=6",
    ]
    ingest_lines(b"\n".join(lines) + b"\n")
    rows = query(
        " UNION ALL ".join(f"SELECT format, timestamp, dt, hour FROM {t}" for t in ("logs", "apache_logs", "syslog"))
    )
    assert sorted(rows) == [
        (format_, datetime(2026, 11, 26, 10, 0), datetime(2026, 11, 26).date(), 10)
        for format_ in ("access_log", "json", "json", "json", "syslog_rfc3164", "text")
    ]


def test_a_stack_trace_is_one_event(ingest_lines: Ingest, query: Query) -> None:
    text = (
        b"2026-11-26 10:00:00,001 ERROR [main] c.s.Svc - failed\n"
        b"java.lang.IllegalStateException: boom\n"
        b"\tat c.s.Svc.run(Svc.java:10)\n"
        b"Caused by: java.io.IOException: closed\n"
        b"\t... 4 more\n"
        b"2026-11-26 10:00:01,000 INFO [main] c.s.Svc - recovered\n"
    )
    ingest_lines(text)
    rows = query("SELECT level, timestamp, message FROM logs ORDER BY timestamp")
    assert [r[0] for r in rows] == ["ERROR", "INFO"]
    assert rows[0][1] == datetime(2026, 11, 26, 10, 0, 0, 1000)
    assert rows[0][2].count("\n") == 4 and rows[0][2].endswith("\t... 4 more")


def test_rerunning_ingest_and_etl_changes_nothing(lake: Lake, tmp_path: Path, query: Query) -> None:
    from loglake.sources.local_files import FileSource, FileSourceOptions

    path = tmp_path / "app.log"
    path.write_bytes(b'{"a":1}\n{"a":2}\nplain\n{"broken":\n')
    source = FileSource(lake.store, FileSourceOptions(log_group="g"))

    def snapshot() -> tuple[dict[str, bytes], list[tuple[Any, ...]]]:
        files = {k: lake.store.get(k) for k in lake.store.list("") if not k.startswith("state/")}
        return files, query("SELECT event_id, message, a, raw_object FROM logs ORDER BY event_id")

    source.ingest(str(path))
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    first = snapshot()
    source.ingest(str(path))
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    results = run_etl(lake, list(lake.store.list("raw/")), EtlSettings(), workers=1, force=True)
    assert [r.skipped for r in results] == [False]
    again = snapshot()
    assert again[0].keys() == first[0].keys()
    assert {k: v for k, v in again[0].items() if not k.startswith("schema/")} == {
        k: v for k, v in first[0].items() if not k.startswith("schema/")
    }
    assert again[1] == first[1] and len(first[1]) == 3
    assert conservation(lake)["ok"]


def test_a_crash_between_clean_and_quarantine_writes_is_recovered(
    lake: Lake, ingest_lines: Ingest, monkeypatch: pytest.MonkeyPatch, query: Query
) -> None:
    put_file = type(lake.store).put_file

    def crash_on_quarantine(self: Any, key: str, path: Path) -> None:
        if key.startswith("quarantine/"):
            raise StoreError("simulated crash")
        put_file(self, key, path)

    monkeypatch.setattr(type(lake.store), "put_file", crash_on_quarantine)
    with pytest.raises(StoreError, match="simulated crash"):
        ingest_lines(b'{"a":1}\n{"cut\n{"a":2}\n')
    assert query("SELECT count(*) FROM logs") == [(2,)]
    assert query("SELECT count(*) FROM quarantine") == [(0,)]
    report = conservation(lake)
    assert not report["ok"] and report["objects"][0]["status"] == "pending"

    monkeypatch.setattr(type(lake.store), "put_file", put_file)
    results = run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    assert [(r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [(2, 1)]
    assert query("SELECT count(*), count(DISTINCT event_id) FROM logs") == [(2, 2)]
    assert query("SELECT reason, message FROM quarantine") == [("invalid_json", '{"cut')]
    assert conservation(lake) == {
        "ok": True,
        "raw_events": 3,
        "clean_events": 2,
        "quarantined_events": 1,
        "objects": [
            {
                "raw_object": results[0].manifest.raw_object,
                "raw_events": 3,
                "clean_events": 2,
                "quarantined_events": 1,
                "status": "ok",
            }
        ],
    }


def test_bad_input_never_crashes_and_never_vanishes(ingest_lines: Ingest, query: Query, lake: Lake) -> None:
    big = b'{"blob":"' + b"x" * 1_048_576 + b'"}'
    deep = b'{"a":' * 1000 + b"1" + b"}" * 1000
    lines = [
        b"caf\xe9 latin-1 \xff bytes",  # invalid UTF-8
        b"nul \x00 inside",  # NUL byte
        big,  # a 1 MB line
        deep,  # 1,000 levels of nesting
        b'{"truncated": {"mid": "obj',  # truncated mid-object
        b"",  # an empty line inside the file is kept with the event before it
    ]
    results = ingest_lines(b"\n".join(lines) + b"\n")
    ingest_lines(b"", name="empty.log")  # an empty file: nothing to do, no error
    assert [(r.manifest.events, r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [(5, 4, 1)]
    clean = query("SELECT format, message, message_b64, length(blob), a_a_a_a_a FROM logs ORDER BY event_id")
    assert clean[0] == ("text", "caf\ufffd latin-1 \ufffd bytes", "Y2Fm6SBsYXRpbi0xIP8gYnl0ZXM=", None, None)
    assert clean[1] == ("text", "nul \x00 inside", None, None, None)
    assert clean[2][0] == "json" and clean[2][3] == 1_048_576
    assert clean[3][0] == "json" and clean[3][4] == '{"a":' * 995 + "1" + "}" * 995
    assert query("SELECT reason, stage, message FROM quarantine") == [
        ("invalid_json", "etl", '{"truncated": {"mid": "obj\n')
    ]
    assert conservation(lake)["ok"]


def _raw_object(lake: Lake, records: list[dict[str, Any]], stream: str = "s") -> str:
    key = RawKey("file", "g", stream, "000000000000000-000000000000100")
    lake.store.put(key.key, encode_batch(records))  # type: ignore[arg-type]
    return key.key


def _record(event_id: str, message: str, timestamp: int = 1_795_687_200_000) -> dict[str, Any]:
    return {
        "log_group": "g",
        "log_stream": "s",
        "event_id": event_id,
        "timestamp": timestamp,
        "ingestion_time": None,
        "message": message,
        "source": "file",
    }


def test_repeated_events_in_an_object_count_once(lake: Lake, query: Query) -> None:
    key = _raw_object(lake, [_record("e1", "first"), _record("e2", "x"), _record("e1", "retry copy")])
    result = process_raw_object(lake.store, key, EtlSettings())
    assert (result.manifest.raw_rows, result.manifest.events, result.manifest.duplicates) == (3, 2, 1)
    assert query("SELECT event_id, message FROM logs ORDER BY 1") == [("e1", "first"), ("e2", "x")]
    assert conservation(lake)["ok"]


@pytest.mark.parametrize("retries", [0, 10])
def test_the_clean_file_keeps_the_raw_objects_order(lake: Lake, retries: int) -> None:
    """Classification reads the lines in file order without sorting them (DuckDB keeps insertion order), and
    de-duplication's window result is sorted back into it: the clean file keeps the raw object's order (the
    first copy of each event, where it first appears), so a re-run writes the same file."""
    records = [_record(f"e{i}", f"line {i}") for i in range(2_000)]
    records += [_record(f"e{i}", f"retry {i}") for i in range(0, 2_000, 200)][:retries]
    key = _raw_object(lake, records)
    result = process_raw_object(lake.store, key, EtlSettings())
    assert (result.manifest.events, result.manifest.duplicates) == (2_000, retries)
    (clean,) = [k for k in result.manifest.outputs if k.startswith("clean/")]
    with lake.store.local_file(clean) as path:
        rows = duckdb.execute("SELECT event_id, message FROM read_parquet(?)", [str(path)]).fetchall()
    assert rows == [(f"e{i}", f"line {i}") for i in range(2_000)]


def test_out_of_range_record_timestamps_are_quarantined(lake: Lake, query: Query) -> None:
    key = _raw_object(lake, [_record("e1", "ok"), _record("e2", "far future", 10**17)])
    process_raw_object(lake.store, key, EtlSettings())
    assert query("SELECT event_id, reason FROM quarantine") == [("e2", "invalid_timestamp")]
    assert query("SELECT event_id FROM logs") == [("e1",)]


def test_integers_beyond_bigint_widen_the_column(lake: Lake, query: Query) -> None:
    key = _raw_object(lake, [_record("e1", '{"id": 5}'), _record("e2", '{"id": 18446744073709551615}')])
    process_raw_object(lake.store, key, EtlSettings())
    assert query("SELECT id FROM logs ORDER BY event_id") == [("5",), ("18446744073709551615",)]


def test_type_conflicts_across_batches_widen_and_old_files_still_read(lake: Lake, query: Query) -> None:
    first = _raw_object(lake, [_record("e1", '{"status": 200, "late": null}')], stream="a")
    second = _raw_object(lake, [_record("e2", '{"status": "ok", "added": 1.5, "late": true}')], stream="b")
    process_raw_object(lake.store, first, EtlSettings())
    process_raw_object(lake.store, second, EtlSettings())
    assert query("SELECT event_id, status, added, late FROM logs ORDER BY 1") == [
        ("e1", "200", None, None),
        ("e2", "ok", 1.5, True),
    ]
    schema = SchemaRegistry(lake.store).get("logs")
    assert schema is not None
    status = schema.column("status")
    assert status is not None and status.type == "VARCHAR"
    assert [h["change"] for h in status.history] == ["added", "widened BIGINT + VARCHAR -> VARCHAR"]


def test_objects_that_are_not_raw_batches_are_refused(lake: Lake) -> None:
    key = RawKey("file", "g", "s", "1-2").key
    lake.store.put(key, b"not gzip at all")
    with pytest.raises(RawObjectError, match="not a raw batch"):
        process_raw_object(lake.store, key, EtlSettings())
    lake.store.put(key, encode_batch([{"log_group": "g", "message": "no id"}]))  # type: ignore[list-item]
    with pytest.raises(RawObjectError, match="lack log_group, event_id"):
        process_raw_object(lake.store, key, EtlSettings())
    with pytest.raises(RawObjectError, match="not in the raw layout"):
        process_raw_object(lake.store, "clean/logs/x.parquet", EtlSettings())
    assert list(lake.store.list("clean/")) == [] and list(lake.store.list("state/etl/")) == []


def test_json_lines_output_queries_like_parquet(ingest_lines: Ingest, query: Query, lake: Lake) -> None:
    ingest_lines(
        b'{"timestamp":"2026-11-26T10:00:00Z","n":1,"o":{"k":"v"}}\nplain ERROR x\n',
        settings=EtlSettings(output_format="jsonl"),
    )
    assert all(k.endswith(".json.gz") for k in lake.store.list("clean/"))
    assert query("SELECT n, o_k, level, timestamp FROM logs ORDER BY event_id") == [
        (1, "v", None, datetime(2026, 11, 26, 10, 0)),
        (None, None, "ERROR", query("SELECT timestamp FROM logs WHERE n IS NULL")[0][0]),
    ]
    # Re-driving in Parquet replaces the JSON-lines outputs instead of adding to them.
    run_etl(lake, list(lake.store.list("raw/")), EtlSettings(), workers=1, force=True)
    assert all(k.endswith(".parquet") for k in lake.store.list("clean/"))
    assert query("SELECT count(*) FROM logs") == [(2,)]
    assert conservation(lake)["ok"]


def test_values_come_from_records_not_from_key_segments(lake: Lake, query: Query) -> None:
    """Raw keys look like Hive partitions; the engine must not read log_group/source/stream from them."""
    long_group = "/g/" + "x" * 400  # its key segment is cut and hashed, so the path cannot give it back
    key = RawKey("file", long_group, "s", "000000000000000-000000000000100")
    record = _record("e1", '{"stream": "from the message", "source": "json field"}')
    record["log_group"] = long_group
    lake.store.put(key.key, encode_batch([record]))  # type: ignore[list-item]
    process_raw_object(lake.store, key.key, EtlSettings())
    assert query("SELECT log_group, source, stream, source_2 FROM logs") == [
        (long_group, "file", "from the message", "json field")
    ]
    assert query("SELECT log_group FROM raw_events") == [(long_group,)]


def test_a_nested_value_in_a_column_widened_within_the_batch_is_json_text(deliver: Any, lake: Lake) -> None:
    """WAF's STRUCT("name" VARCHAR)[] `labels` and a JSON record's in one raw object: the batch writes the
    column as VARCHAR, and the WAF value is the JSON text the JSON record's is (not DuckDB's `[{'name': value}]`)."""
    from loglake.transform.parsers.waf import EXAMPLES as WAF
    from loglake.transform.settings import Route

    settings = EtlSettings(routes=(Route("/test/app", table="mixed"),))
    deliver([e.message for e in WAF] + [json.dumps({"labels": [{"name": "value"}]})], settings=settings)
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT format, labels FROM mixed ORDER BY format").rows
    assert rows == [("json", '[{"name":"value"}]'), ("waf", '[{"name":"value"}]')]


def _quarantine_copies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The quarantine COPY statements the ETL's sessions run from now on."""
    from loglake.transform import session

    copies: list[str] = []
    acquire = session.acquire

    class Watched:
        def __init__(self, con: Any) -> None:
            self._con = con

        def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
            if sql.lstrip().startswith("COPY") and "/quarantine'" in sql:
                copies.append(sql)
            return self._con.execute(sql, *args, **kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._con, name)

    def watched(threads: int | None) -> Any:
        taken = acquire(threads)
        if not isinstance(taken.con, Watched):
            taken.con = Watched(taken.con)
        return taken

    monkeypatch.setattr(session, "acquire", watched)
    return copies


@pytest.mark.parametrize("objects", [1, 3], ids=["one object", "a batch"])
def test_quarantine_copy_runs_only_when_rows_are_quarantined(
    lake: Lake, query: Query, monkeypatch: pytest.MonkeyPatch, objects: int
) -> None:
    """A COPY of no rows writes no file, so it is skipped (its planning and scan cost a small object ~4%); an
    object, or a batch, with one quarantined row still writes it, once."""
    copies = _quarantine_copies(monkeypatch)
    for n in range(objects):
        write_messages(lake.store, f"/app/{n}", ['{"a": 1}', "plain text"], id_prefix=f"{n}.")
    results = run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    assert [(r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [(2, 0)] * objects
    assert copies == []
    assert not any(key.startswith("quarantine/") for r in results for key in r.manifest.outputs)
    for n in range(objects):
        write_messages(lake.store, f"/bad/{n}", ['{"cut', "plain text"] if n == 0 else ["ok"], id_prefix=f"b{n}.")
    results = run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    assert sorted((r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results) == sorted(
        [(1, 1)] + [(1, 0)] * (objects - 1)
    )
    assert len(copies) == 1
    assert query("SELECT reason, message, log_group FROM quarantine") == [("invalid_json", '{"cut', "/bad/0")]
