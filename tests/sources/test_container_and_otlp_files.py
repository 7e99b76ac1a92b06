"""Container logs whose runtime split a long line, and OTLP JSON documents of many records, ingested from
files: the parts of a container line become one raw event (one clean row), a document one raw event per
log record (one clean row each), and conservation holds (clean + quarantined = distinct raw events).

The CRI lines are those of OpenTelemetry collector-contrib's container operator tests (Apache-2.0,
tests/events/ATTRIBUTION.md); the rest are written for loglake in the runtimes' formats."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import orjson

from conftest import Ingest, write_messages
from loglake.lake.open import Lake
from loglake.lake.raw_zone import decode_batch, list_raw_objects
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.settings import EtlSettings

CRI = (
    b"2024-04-13T07:59:37.505201169Z stdout P standalone containerd line which i\n"
    b"2024-04-13T07:59:37.505201169Z stdout F s awesome!\n"
    b"2024-04-13T07:59:38.000000001Z stderr F a whole line\n"
    b"2024-04-13T07:59:39.000000001Z stdout P one \n"
    b"2024-04-13T07:59:39.000000002Z stdout P two \n"
    b"2024-04-13T07:59:39.000000003Z stdout F three\n"
)
DOCKER = (
    b'{"log":"first half, ","stream":"stdout","time":"2019-01-01T11:11:11.111111111Z"}\n'
    b'{"log":"second half\\n","stream":"stdout","time":"2019-01-01T11:11:11.111111112Z"}\n'
    b'{"log":"alone\\n","stream":"stderr","time":"2019-01-01T11:11:12.000000000Z"}\n'
)


def _raw_messages(lake: Lake) -> list[str]:
    return [str(r["message"]) for key in list_raw_objects(lake.store) for r in decode_batch(lake.store.get(key))]


def _verified(lake: Lake) -> dict[str, int]:
    with DuckDBEngine(lake.store) as engine:
        report = check_conservation(engine, lake.store)
    assert report.ok
    return report.totals()


def test_cri_partial_lines_are_one_event(lake: Lake, ingest_lines: Ingest, query: Any) -> None:
    ingest_lines(CRI, log_group="/eks/app")
    assert len(_raw_messages(lake)) == 3
    assert query("SELECT time, stream, logtag, log FROM container_logs ORDER BY time") == [
        ("2024-04-13T07:59:37.505201169Z", "stdout", "F", "standalone containerd line which is awesome!"),
        ("2024-04-13T07:59:38.000000001Z", "stderr", "F", "a whole line"),
        ("2024-04-13T07:59:39.000000001Z", "stdout", "F", "one two three"),
    ]
    assert query("SELECT count(*), count(DISTINCT format) FROM container_logs") == [(3, 1)]
    totals = _verified(lake)
    assert (totals["clean_events"], totals["quarantined_events"]) == (3, 0)


def test_docker_split_records_are_one_event(lake: Lake, ingest_lines: Ingest, query: Any) -> None:
    ingest_lines(DOCKER, log_group="/docker/app")
    assert len(_raw_messages(lake)) == 2
    assert query("SELECT stream, log, format FROM container_logs ORDER BY time") == [
        ("stdout", "first half, second half", "container_docker"),
        ("stderr", "alone", "container_docker"),
    ]
    assert _verified(lake)["clean_events"] == 2


def test_a_live_file_holds_a_partial_line_until_its_end_arrives(lake: Lake, tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    path.write_bytes(CRI[: CRI.index(b"2024-04-13T07:59:39.000000002Z")])
    source = FileSource(lake.store, FileSourceOptions(log_group="/eks/app", hold_partial_line=True))
    first = source.ingest(str(path))
    assert first.events == 2  # the `P one` line waits
    path.write_bytes(CRI)
    second = source.ingest(str(path))
    assert second.events == 1
    assert _raw_messages(lake)[-1].splitlines() == CRI.decode().splitlines()[3:]


def _attribute(key: str, kind: str, value: Any) -> dict[str, Any]:
    return {"key": key, "value": {kind: value}}


def _record(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "timeUnixNano": str(1_700_000_000_000_000_000 + n * 1_000_000),
        "severityNumber": 9 + 4 * (n % 2),
        "severityText": "INFO" if n % 2 == 0 else "WARN",
        "body": {"stringValue": f"record {n}"},
        "attributes": [_attribute("http.status_code", "intValue", str(200 + n))],
        **extra,
    }


OTLP_MANY = {
    "resourceLogs": [
        {
            "resource": {"attributes": [_attribute("service.name", "stringValue", "cart")]},
            "scopeLogs": [
                {"scope": {"name": "a"}, "logRecords": [_record(0), _record(1)]},
                {"scope": {"name": "b"}, "logRecords": [_record(2, traceId="5b8efff798038103d269b633813fc60c")]},
            ],
        }
    ]
}
OTLP_ONE = {"resourceLogs": [{"resource": {}, "scopeLogs": [{"scope": {}, "logRecords": [_record(3)]}]}]}


def test_otlp_documents_become_one_event_per_log_record(lake: Lake, ingest_lines: Ingest, query: Any) -> None:
    one = orjson.dumps(OTLP_ONE)
    ingest_lines(orjson.dumps(OTLP_MANY) + b"\n" + one + b"\n", log_group="/otel")
    messages = _raw_messages(lake)
    assert len(messages) == 4
    assert messages[3] == one.decode()  # a one-record document is kept verbatim
    assert orjson.loads(messages[2])["resourceLogs"][0]["scopeLogs"][0]["scope"] == {"name": "b"}
    got = query(
        "SELECT body, severity_text, severity_number, level, service_name, http_status_code, scope_name, trace_id, "
        "timestamp FROM otel_logs ORDER BY body"
    )
    base = query("SELECT TIMESTAMP '2023-11-14 22:13:20'")[0][0]
    assert [row[:8] for row in got] == [
        ("record 0", "INFO", 9, "INFO", "cart", 200, "a", None),
        ("record 1", "WARN", 13, "WARN", "cart", 201, "a", None),
        ("record 2", "INFO", 9, "INFO", "cart", 202, "b", "5b8efff798038103d269b633813fc60c"),
        ("record 3", "WARN", 13, "WARN", None, 203, None, None),
    ]
    assert [(row[8] - base).total_seconds() for row in got] == [0.0, 0.001, 0.002, 0.003]
    assert query("SELECT typeof(http_status_code) FROM otel_logs LIMIT 1") == [("BIGINT",)]
    totals = _verified(lake)
    assert (totals["clean_events"], totals["quarantined_events"]) == (4, 0)


def test_an_otlp_document_that_reaches_the_etl_whole_is_quarantined(lake: Lake, query: Any) -> None:
    write_messages(lake.store, "/otel/cw", [orjson.dumps(OTLP_MANY).decode(), orjson.dumps(OTLP_ONE).decode()])
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    assert query("SELECT event_id, reason FROM quarantine") == [("e0", "otlp_not_split")]
    assert query("SELECT event_id, body FROM otel_logs") == [("e1", "record 3")]
    assert _verified(lake)["quarantined_events"] == 1


def test_a_line_of_the_other_stream_is_not_joined_to_a_partial(lake: Lake, ingest_lines: Ingest, query: Any) -> None:
    """Vector's CRI test lines (MPL-2.0): two stdout parts, then a stderr line. The stderr line is an event
    of its own; the stdout parts are joined (the line never got its `F` part: logtag stays P)."""
    ingest_lines(
        b"2016-10-06T00:17:09.669794202Z stdout P First line of log entry 2\n"
        b"2016-10-06T00:17:09.669794202Z stdout P Second line of the log entry 2\n"
        b"2016-10-06T00:17:10.113242941Z stderr F Last line of the log entry 2\n",
        log_group="/eks/vector",
    )
    assert query("SELECT stream, logtag, log FROM container_logs ORDER BY stream DESC") == [
        ("stdout", "P", "First line of log entry 2Second line of the log entry 2"),
        ("stderr", "F", "Last line of the log entry 2"),
    ]
    assert _verified(lake)["clean_events"] == 2


def test_a_run_that_ends_between_a_p_line_and_its_f_line_writes_the_line_once(
    lake: Lake, tmp_path: Path, query: Any
) -> None:
    """Not a live-file ingest (hold_partial_line False): the `P` part is held all the same, so the next run
    joins it to its `F` part (one event), rather than writing each part as an event of its own."""
    path = tmp_path / "0.log"
    cut = CRI.index(b"2024-04-13T07:59:39.000000002Z")
    path.write_bytes(CRI[:cut])
    source = FileSource(lake.store, FileSourceOptions(log_group="/eks/app"))
    first = source.ingest(str(path))
    assert (first.events, first.bytes) == (2, CRI.index(b"2024-04-13T07:59:39.000000001Z"))
    assert first.note.startswith("the last container line's final part has not arrived")
    path.write_bytes(CRI)
    assert source.ingest(str(path)).events == 1
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    assert query("SELECT logtag, log FROM container_logs ORDER BY time") == [
        ("F", "standalone containerd line which is awesome!"),
        ("F", "a whole line"),
        ("F", "one two three"),
    ]
    assert _verified(lake)["clean_events"] == 3


def test_a_partial_container_line_whose_writer_died_is_written_once_stale_or_flushed(
    lake: Lake, tmp_path: Path
) -> None:
    cut = DOCKER.index(b'{"log":"second')
    stale = tmp_path / "stale.log"
    stale.write_bytes(DOCKER[:cut])
    os.utime(stale, (time.time() - 301, time.time() - 301))  # unchanged for over stale_partial_s (300 s)
    source = FileSource(lake.store, FileSourceOptions(log_group="/docker/a"))
    assert (source.ingest(str(stale)).events, source.ingest(str(stale)).events) == (1, 0)
    fresh = tmp_path / "fresh.log"
    fresh.write_bytes(DOCKER[:cut])
    assert FileSource(lake.store, FileSourceOptions(log_group="/docker/b")).ingest(str(fresh)).events == 0
    flushed = FileSource(lake.store, FileSourceOptions(log_group="/docker/b", flush_partial=True))
    assert flushed.ingest(str(fresh)).events == 1
    assert _raw_messages(lake) == [DOCKER[: cut - 1].decode()] * 2


def test_a_one_record_document_with_its_record_after_an_empty_scope_is_read(
    lake: Lake, ingest_lines: Ingest, query: Any
) -> None:
    """The reviewer's document: its one record is at resourceLogs[0].scopeLogs[1], not where the ETL reads."""
    document = (
        b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[]},{"scope":{"name":"s"},"logRecords":[{"timeUnixNano":'
        b'"1700000000000000000","body":{"stringValue":"lost body"}}]}]}]}'
    )
    ingest_lines(document + b"\n", log_group="/otel")
    assert _raw_messages(lake) == [
        '{"resourceLogs":[{"scopeLogs":[{"scope":{"name":"s"},"logRecords":[{"timeUnixNano":"1700000000000000000",'
        '"body":{"stringValue":"lost body"}}]}]}]}'
    ]
    assert query("SELECT body, scope_name, strftime(timestamp, '%Y-%m-%d %H:%M:%S') FROM otel_logs") == [
        ("lost body", "s", "2023-11-14 22:13:20")
    ]
    assert query("SELECT count(*) FROM quarantine") == [(0,)]


def test_a_one_record_document_from_elsewhere_not_in_the_read_shape_is_quarantined(lake: Lake, query: Any) -> None:
    elsewhere = '{"resourceLogs":[{"scopeLogs":[{"logRecords":[]},{"logRecords":[{"body":{"stringValue":"x"}}]}]}]}'
    not_an_object = '{"resourceLogs":[{"scopeLogs":[{"logRecords":["x"]}]}]}'
    write_messages(lake.store, "/otel/cw", [elsewhere, not_an_object, orjson.dumps(OTLP_ONE).decode()])
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    assert query("SELECT event_id, reason FROM quarantine ORDER BY event_id") == [
        ("e0", "otlp_not_split"),
        ("e1", "otlp_not_split"),
    ]
    assert query("SELECT event_id, body FROM otel_logs") == [("e2", "record 3")]
    totals = _verified(lake)
    assert (totals["clean_events"], totals["quarantined_events"]) == (1, 2)


FLUENT_BIT = (  # a Fluent Bit kubernetes-filter record: starts as Docker's does, carries more
    b'{"log":"GET /health 200","stream":"stdout","time":"2019-01-01T11:11:13.000000000Z",'
    b'"kubernetes":{"pod_name":"web-1","namespace_name":"shop"}}\n'
    b'{"log":"GET /cart 200","stream":"stdout","time":"2019-01-01T11:11:14.000000000Z",'
    b'"kubernetes":{"pod_name":"web-2","namespace_name":"shop"}}\n'
)


def test_a_shippers_record_with_more_keys_than_dockers_stays_generic_json(
    lake: Lake, ingest_lines: Ingest, query: Any
) -> None:
    """Its `log` lacks a line break, yet it is no Docker part: two records, two events, every key kept."""
    ingest_lines(FLUENT_BIT + DOCKER, log_group="/k8s/fluent-bit")
    assert len(_raw_messages(lake)) == 4
    assert query("SELECT log, format FROM container_logs ORDER BY time") == [
        ("first half, second half", "container_docker"),
        ("alone", "container_docker"),
    ]
    assert query(
        "SELECT format, log, stream, kubernetes_pod_name, kubernetes_namespace_name FROM logs ORDER BY time"
    ) == [
        ("json", "GET /health 200", "stdout", "web-1", "shop"),
        ("json", "GET /cart 200", "stdout", "web-2", "shop"),
    ]
    totals = _verified(lake)
    assert (totals["clean_events"], totals["quarantined_events"]) == (4, 0)
