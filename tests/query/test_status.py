"""`loglake status` on lakes built here: exact figures with pending objects and a quarantine burst, the
three output formats (Prometheus parsed line by line), S3, and Athena (moto's canned results)."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import orjson

from conftest import T0, CliRun, write_messages
from loglake.lake.keys import RawKey
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.athena_engine import AthenaEngine
from loglake.query.engine import DuckDBEngine
from loglake.query.status import LakeStatus, lake_status, render_prometheus, render_text
from loglake.transform.settings import EtlSettings

NOW = datetime.fromtimestamp(T0 / 1000, UTC) + timedelta(hours=2)
SINCE = NOW - timedelta(hours=24)
EVENTS = Path(__file__).parents[1] / "events"
WEIRD = 'team "a"\\b'
"""A log group name (from `ingest --log-group`) that Prometheus labels must escape."""


def build_lake(lake: Lake) -> str:
    """Five processed raw objects and one pending; returns the pending object's key."""
    store = lake.store
    write_messages(store, "/app/api", ['{"a":1}', '{"a":2}', '{"a":3}', "{bad", "{worse"], stream="s1")
    write_messages(store, "/app/api", ["{burst"] * 5, stream="s2", id_prefix="b", timestamp=T0 + 1_800_000)
    write_messages(store, "/app/api", ["bad time"], stream="s3", id_prefix="z", timestamp=-10)
    write_messages(store, WEIRD, ["GET /", "GET /x"], stream="s1", timestamp=T0 + 600_000)
    write_messages(store, WEIRD, ["old line"], stream="s0", id_prefix="o", timestamp=T0 - 2 * 86_400_000)
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    write_messages(store, WEIRD, ["late"], stream="s3", id_prefix="l", timestamp=T0 + 3_000_000)
    (pending,) = pending_raw_objects(lake)
    return pending


def status_of(lake: Lake) -> LakeStatus:
    with DuckDBEngine(lake.store) as engine:
        return lake_status(lake, engine, SINCE, NOW, NOW)


def test_status_figures_with_pending_objects_and_a_quarantine_burst(lake: Lake) -> None:
    pending = build_lake(lake)
    status = status_of(lake)
    rows = [(s.source, s.log_group, s.raw_objects, s.pending, s.newest_event_ms, s.lag_seconds) for s in status.sources]
    assert rows == [
        ("subscription", "/app/api", 3, 0, T0 + 1_800_004, 5399.996),
        ("subscription", WEIRD, 3, 1, T0 + 600_001, 6599.999),
    ]
    assert status.pending == [pending] and RawKey.parse(pending).stream == "s3"
    assert status.unreadable == []
    q = status.quarantine
    # In the range: 3 + 2 clean, 2 + 5 quarantined (invalid_json); the 1970 and two-days-old events are not.
    assert (q.clean_events, q.quarantined_events, q.by_reason) == (5, 7, {"invalid_json": 7})
    assert q.rate == 7 / 12
    etl = status.runs["etl"]
    assert (etl.ok, etl.where, etl.error) == (True, "cli", "")
    assert etl.figures == {
        "raw_objects": 5,
        "already_done": 0,
        "events": 14,
        "clean_rows": 6,
        "quarantined_rows": 8,
        "failures": 0,
        "busy": 0,
    }
    text = render_text(status)
    assert "  invalid_json         7\n" in text
    assert (
        "quarantine, events from 2025-11-27T02:00:00.000Z to 2025-11-28T02:00:00.000Z: 7 of 12 events (58.33%)" in text
    )
    assert "newest 2025-11-28T00:30:00.004Z, lag 1h29m; 3 raw objects, 0 pending" in text


_HELP = re.compile(r"# HELP (loglake_[a-z_]+) (.+)")
_TYPE = re.compile(r"# TYPE (loglake_[a-z_]+) (gauge|counter)")
_SAMPLE = re.compile(r'(loglake_[a-z_]+)(?:\{((?:[a-z_]+="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (-?[0-9.e+-]+)')
_LABEL = re.compile(r'([a-z_]+)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_prometheus(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """The text exposition format, line by line: HELP and TYPE before each metric's samples, every sample of a
    declared metric, label values unescaped."""
    assert text.endswith("\n")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    helped: set[str] = set()
    typed: set[str] = set()
    for line in text.splitlines():
        if match := _HELP.fullmatch(line):
            assert match.group(1) not in helped
            helped.add(match.group(1))
        elif match := _TYPE.fullmatch(line):
            assert match.group(1) in helped and match.group(1) not in typed
            typed.add(match.group(1))
            samples[match.group(1)] = {}
        else:
            match = _SAMPLE.fullmatch(line)
            assert match is not None, line
            name, labels, value = match.groups()
            assert name in typed
            unescaped = tuple(
                (key, re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), raw))
                for key, raw in _LABEL.findall(labels or "")
            )
            assert unescaped not in samples[name]
            samples[name][unescaped] = float(value)
    return samples


def test_prometheus_output_parses_line_by_line(lake: Lake) -> None:
    build_lake(lake)
    metrics = parse_prometheus(render_prometheus(status_of(lake)))
    api = (("source", "subscription"), ("log_group", "/app/api"))
    weird = (("source", "subscription"), ("log_group", WEIRD))
    assert metrics["loglake_pending_raw_objects"] == {api: 0, weird: 1}
    assert metrics["loglake_raw_objects"] == {api: 3, weird: 3}
    assert metrics["loglake_lag_seconds"] == {api: 5399.996, weird: 6599.999}
    assert metrics["loglake_newest_event_timestamp_seconds"] == {
        api: (T0 + 1_800_004) / 1000,
        weird: (T0 + 600_001) / 1000,
    }
    assert metrics["loglake_quarantined_events"] == {(("reason", "invalid_json"),): 7}
    assert metrics["loglake_clean_events"] == {(): 5}
    assert metrics["loglake_quarantine_ratio"] == {(): 7 / 12}
    assert metrics["loglake_range_seconds"] == {(): 86400}
    assert metrics["loglake_unreadable_raw_objects"] == {(): 0}
    assert metrics["loglake_last_run_success"] == {(("kind", "etl"),): 1}
    assert set(metrics["loglake_last_run_duration_seconds"]) == {(("kind", "etl"),)}
    assert metrics["loglake_status_timestamp_seconds"] == {(): NOW.timestamp()}


def test_status_command_json_and_the_fix_for_pending_objects(lake: Lake, run_cli: CliRun) -> None:
    build_lake(lake)
    where = lake.store.uri
    code, out, err = run_cli("status", "--lake", where, "-f", "json", "--since", "2025-11-27T00:00:00Z")
    assert code == 0
    report = orjson.loads(out)
    assert (report["pending_raw_objects"], report["unreadable_raw_objects"]) == (1, 0)
    assert report["quarantine"]["by_reason"] == {"invalid_json": 7}
    assert report["quarantine"]["since"] == "2025-11-27T00:00:00.000Z"
    assert [(s["log_group"], s["newest_event"]) for s in report["sources"]] == [
        ("/app/api", "2025-11-28T00:30:00.004Z"),
        (WEIRD, "2025-11-28T00:10:00.001Z"),
    ]
    assert err == (
        "1 raw objects are pending (not processed by the ETL, so not queryable yet); "
        f"run `loglake etl --lake {where}`\n"
    )
    code, out, _err = run_cli("status", "--lake", where, "-f", "yaml")
    assert code == 2


def test_a_failed_etl_run_shows_in_status(lake: Lake, run_cli: CliRun) -> None:
    write_messages(lake.store, "/app/api", ["one"])
    (key,) = lake.store.list("raw/")
    lake.store.put(key, b"not gzip at all")
    code, _out, _err = run_cli("etl", "--lake", lake.store.uri)
    assert code == 1
    code, out, err = run_cli("status", "--lake", lake.store.uri, "-f", "json")
    report = orjson.loads(out)
    assert (code, report["runs"]["etl"]["ok"], report["unreadable_raw_objects"]) == (0, False, 1)
    assert report["runs"]["etl"]["error"].startswith(f"cannot process raw object {key}")
    assert "1 raw objects are set aside as unreadable" in err
    assert "the last etl run failed: cannot process raw object" in err


def test_status_on_an_s3_lake(s3_lake: Lake) -> None:
    write_messages(s3_lake.store, "/app/api", ['{"a":1}', "{bad"], stream="s1")
    run_etl(s3_lake, pending_raw_objects(s3_lake), EtlSettings(), workers=1)
    write_messages(s3_lake.store, "/app/api", ["x"], stream="s2", timestamp=T0 + 60_000)
    status = status_of(s3_lake)
    assert [(s.log_group, s.raw_objects, s.pending, s.newest_event_ms) for s in status.sources] == [
        ("/app/api", 2, 1, T0 + 1)
    ]
    q = status.quarantine
    assert (q.clean_events, q.quarantined_events, q.by_reason) == (1, 1, {"invalid_json": 1})


def test_status_on_s3_takes_raw_versions_from_the_listing_not_one_head_per_object(s3_lake: Lake) -> None:
    """Pending objects are told by the listing's ETags: no HEAD per raw object (review item 11)."""
    from loglake.lake.raw_zone import decode_batch, encode_batch
    from loglake.lake.s3_store import S3Store

    for n in range(5):
        write_messages(s3_lake.store, "/app/api", ['{"a":1}'], stream=f"s{n}")
    run_etl(s3_lake, pending_raw_objects(s3_lake), EtlSettings(), workers=1)
    (last,) = [k for k in s3_lake.store.list("raw/") if "/stream=s4/" in k]
    records = list(decode_batch(s3_lake.store.get(last)))
    records[0]["message"] = '{"a":2}'
    s3_lake.store.put(last, encode_batch(records))  # rewritten since its ETL: pending again
    store = s3_lake.store
    assert isinstance(store, S3Store)
    headed: list[str] = []
    head_object = store.client.head_object

    def counted_head(**kwargs: Any) -> Any:
        headed.append(kwargs["Key"])
        return head_object(**kwargs)

    store.client.head_object = counted_head
    store.reads.reset()
    status = status_of(s3_lake)
    assert [(s.log_group, s.raw_objects, s.pending) for s in status.sources] == [("/app/api", 5, 1)]
    assert status.pending == [last]
    assert [key for key in headed if "/raw/" in key] == []  # was one HEAD per raw object
    assert store.reads.heads == len(headed)  # the others (the query's catalog checks) are counted in reads


def _moto_results(endpoint: str, rows: list[list[str]]) -> None:
    header = ["zone", "reason", "n"]
    data = [{"Data": [{"VarCharValue": h} for h in header]}]
    data += [{"Data": [{"VarCharValue": v} for v in row]} for row in rows]
    info = [{"Name": h, "Label": h, "Type": t} for h, t in zip(header, ["varchar", "varchar", "bigint"], strict=True)]
    body = json.dumps({"results": [{"rows": data, "column_info": info}]}).encode()
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()


def test_status_with_athena_counts_quarantine_in_one_query(s3_lake: Lake, aws: str) -> None:
    write_messages(s3_lake.store, "/app/api", ['{"a":1}', "{bad"], stream="s1")
    run_etl(s3_lake, pending_raw_objects(s3_lake), EtlSettings(), workers=1)
    boto3.client("s3").create_bucket(Bucket="athena-results")
    _moto_results(aws, [["clean", "", "40"], ["quarantine", "invalid_json", "9"], ["quarantine", "too_large", "1"]])
    sent: list[str] = []
    engine = AthenaEngine(output_location="s3://athena-results/x/")

    def remember(params: dict[str, Any], **_: Any) -> None:
        sent.append(params["QueryString"])

    engine.client.meta.events.register("before-parameter-build.athena.StartQueryExecution", remember)
    status = lake_status(s3_lake, engine, SINCE, NOW, NOW)
    q = status.quarantine
    assert (q.clean_events, q.quarantined_events, q.by_reason) == (40, 10, {"invalid_json": 9, "too_large": 1})
    assert len(sent) == 1
    # Partitions pruned on Athena, then the exact times: the shared time-range conditions (query/time_range.py).
    assert "dt >= DATE '2025-11-27' AND (dt > DATE '2025-11-27' OR \"hour\" >= 2)" in sent[0]
    assert "\"timestamp\" >= TIMESTAMP '2025-11-27 02:00:00.000'" in sent[0]
    assert f'"timestamp" >= {T0 - 22 * 3_600_000} AND "timestamp" < {T0 + 2 * 3_600_000}' in sent[0]
    assert [(s.log_group, s.pending) for s in status.sources] == [("/app/api", 0)]


def test_a_since_that_is_not_a_time_is_a_usage_error(lake: Lake, run_cli: CliRun) -> None:
    write_messages(lake.store, "/app/api", ["one"])
    code, out, err = run_cli("status", "--lake", lake.store.uri, "--since", "yesterday")
    assert (code, out) == (2, "")
    assert "--since 'yesterday' is not a time" in err


def test_compaction_records_its_run_for_status(lake: Lake, run_cli: CliRun) -> None:
    for n in range(3):  # three small files in one closed hour
        write_messages(lake.store, "/app/api", [f"line {n}"], stream=f"s{n}", id_prefix=f"c{n}-")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    code, _out, _err = run_cli("compact", "--lake", lake.store.uri, "--grace", "0s")
    assert code == 0
    code, out, _err = run_cli("status", "--lake", lake.store.uri, "-f", "json")
    run = orjson.loads(out)["runs"]["compaction"]
    assert (code, run["ok"], run["where"]) == (0, True, "cli")
    assert {k: run["figures"][k] for k in ("partitions", "inputs", "outputs", "rows")} == {
        "partitions": 1,
        "inputs": 3,
        "outputs": 1,
        "rows": 3,
    }


def test_collect_records_its_run_for_status(aws: str, tmp_path: Any, run_cli: CliRun) -> None:
    import time

    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/svc/status")
    logs.create_log_stream(logGroupName="/svc/status", logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/svc/status",
        logStreamName="s",
        logEvents=[{"timestamp": now - 60_000 + i, "message": f"m{i}"} for i in range(4)],
    )
    where = str(tmp_path / "lake")
    assert run_cli("collect", "/svc/status", "--lake", where)[0] == 0
    code, out, err = run_cli("status", "--lake", where, "-f", "json")
    report = orjson.loads(out)
    collect = report["runs"]["collect"]
    assert (code, err, collect["ok"], collect["where"]) == (0, "", True, "cli")
    assert {k: collect["figures"][k] for k in ("log_groups", "events", "raw_objects_written", "throttles")} == {
        "log_groups": 1,
        "events": 4,
        "raw_objects_written": 1,
        "throttles": 0,
    }
    [source] = report["sources"]
    assert (source["source"], source["log_group"], source["pending"]) == ("cloudwatch", "/svc/status", 0)
    assert 55 <= source["lag_seconds"] < 600


def test_the_window_counts_waf_logs_by_its_milliseconds(lake: Lake) -> None:
    """waf_logs' `timestamp` is AWS's epoch ms (BIGINT): the status window counts its events by that instant,
    the millisecond at `since` in and the one at `until` out, as a TIMESTAMP table's."""
    from loglake.catalog.duckdb_views import clean_tables
    from loglake.query.status import quarantine_status

    doc = (EVENTS / "aws_formats" / "waf_docs.log").read_text().splitlines()[0]
    times = [T0 - 1, T0, T0 + 1, T0 + 3_600_000 - 1, T0 + 3_600_000]
    records = [json.dumps({**json.loads(doc), "timestamp": ms}) for ms in times]
    write_messages(lake.store, "/waf", records)
    write_messages(lake.store, "/app", ['{"a":1}', "{bad"], id_prefix="a", timestamp=T0 + 5)
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    since = datetime.fromtimestamp(T0 / 1000, UTC)
    with DuckDBEngine(lake.store) as engine:
        found = quarantine_status(engine, clean_tables(lake.store), since, since + timedelta(hours=1))
    assert (found.clean_events, found.quarantined_events, found.by_reason) == (4, 1, {"invalid_json": 1})
