"""The console's answers (console/api.py) on a lake with known counts, without HTTP."""

from __future__ import annotations

from pathlib import Path

from conftest import cancelled_midway
from console.console_lake import build_lake
from loglake.console.api import Console, parse_range
from loglake.lake.open import Lake


def test_histogram_of_one_hour_has_a_bar_per_event_minute_by_level(console: Console) -> None:
    found = console.histogram(parse_range("2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z"))
    assert found["bucket_seconds"] == 60
    assert found["total"] == 5
    assert [(bar["start"], bar["counts"]) for bar in found["bars"]] == [
        ("2026-11-29T10:00:00Z", {"INFO": 1}),
        ("2026-11-29T10:01:00Z", {"INFO": 1}),
        ("2026-11-29T10:02:00Z", {"ERROR": 1}),
        ("2026-11-29T10:03:00Z", {"INFO": 1}),
        ("2026-11-29T10:04:00Z", {"ERROR": 1}),
    ]
    assert found["levels"] == ["ERROR", "INFO"]


def test_histogram_of_the_whole_lake_spans_first_to_last_event_and_filters_by_text(console: Console) -> None:
    whole = console.histogram(None)
    assert (whole["since"], whole["until"]) == ("2026-11-28T09:00:00Z", "2026-11-29T12:00:00Z")  # partition hours
    assert whole["bucket_seconds"] == 1800
    assert whole["total"] == 10
    assert sum(bar["counts"].get("WARN", 0) for bar in whole["bars"]) == 1
    filtered = console.histogram(None, "talking to db")
    assert filtered["total"] == 2
    assert (filtered["since"], filtered["bucket_seconds"]) == ("2026-11-29T10:02:00Z", 5)  # its own extent
    assert [(bar["start"], bar["counts"]) for bar in filtered["bars"]] == [
        ("2026-11-29T10:02:00Z", {"ERROR": 1}),
        ("2026-11-29T10:04:00Z", {"ERROR": 1}),
    ]


def test_search_returns_match_spans_and_an_event_expands_to_its_neighbours(console: Console) -> None:
    found = console.search("timeout", None)
    assert found["matches"] == 1
    row = found["rows"][0]
    assert row["message"] == "2026-11-29T10:02:00Z ERROR timeout talking to db"
    assert row["spans"] == [(27, 34)]
    assert console.search("/timeout/i", None)["matches"] == 2
    event = console.event(
        row["table"], row["log_group"], row["log_stream"], row["timestamp"].isoformat(), row["message"]
    )
    assert event["fields"]["level"] == "ERROR"
    assert event["fields"]["log_group"] == "/app/api"
    assert [n["message"][11:16] for n in event["before"]] == ["10:00", "10:01"]  # the day before is outside ±1 day
    assert [n["message"][11:16] for n in event["after"]] == ["10:03", "10:04", "11:00", "11:15", "11:30"]


def test_a_saved_query_runs_with_its_typed_parameters_pages_and_downloads(console: Console) -> None:
    answer = console.run_query(None, "errors_per_service_per_hour", {"since": "2026-11-29"})
    assert answer["columns"] == ["service", "hour", "errors"]
    assert [(row[0], row[1].isoformat(), row[2]) for row in answer["rows"]] == [("/app/api", "2026-11-29T10:00:00", 2)]
    listed = console.run_query('SELECT message FROM logs ORDER BY "timestamp"', period=parse_range("2026-11-29", None))
    assert listed["total"] == 8
    page = console.page(listed["id"], 6, limit=5)
    assert page["rows"] == [
        ["2026-11-29T11:15:00Z WARN disk almost full"],
        ["2026-11-29T11:30:00Z INFO request ok id=5"],
    ]
    csv = console.download(listed["id"], "csv").decode()
    assert csv.splitlines()[0] == "message" and len(csv.splitlines()) == 9
    assert console.download(listed["id"], "parquet")[:4] == b"PAR1"


def test_explain_counts_the_partitions_of_the_range(console: Console) -> None:
    plan = console.explain(
        "SELECT message FROM logs", period=parse_range("2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z")
    )
    assert [(p["table"], p["partitions"]) for p in plan["plans"]] == [("logs", [("2026-11-29", 10)])]
    assert plan["plans"][0]["table_files"] == 3
    assert len(plan["plans"][0]["files"]) == 1
    assert plan["bytes"] == plan["plans"][0]["bytes"] > 0


def test_tables_show_columns_sources_and_ddl(console: Console) -> None:
    (logs,) = console.tables()
    assert logs["name"] == "logs"
    columns = {c["name"]: (c["type"], c["source"]) for c in logs["columns"]}
    assert columns["level"] == ("VARCHAR", "envelope:level")
    assert logs["ddl"].startswith("CREATE EXTERNAL TABLE")


def test_health_reports_conservation_and_sources(console: Console) -> None:
    health = console.health()
    conservation = health["conservation"]
    assert (conservation["ok"], conservation["raw_events"], conservation["clean_events"]) == (True, 12, 10)
    assert conservation["quarantined_events"] == 2
    assert health["pending_raw_objects"] == 0
    assert [(s["log_group"], s["raw_objects"]) for s in health["sources"]] == [("/app/api", 1), ("/aws/vpc/main", 1)]
    assert health["runs"]["etl"]["ok"] is True


def test_a_running_query_is_cancelled_by_its_request_id(console: Console) -> None:
    from loglake.errors import QueryError

    slow = "SELECT count(*) FROM " + ", ".join(f"logs AS t{i}" for i in range(12))  # 10^12 rows
    outcome = cancelled_midway(lambda: console.run_query(slow, request_id="slow-one"), console.cancel, "slow-one")
    assert len(outcome) == 1 and isinstance(outcome[0], QueryError)
    assert str(outcome[0]) == "cancelled: the query was interrupted; run it again to get its answer"
    assert console.cancel("slow-one") is False  # nothing left to cancel


def test_on_an_s3_lake_the_pages_read_the_objects_in_place(s3_lake: Lake, tmp_path: Path) -> None:
    console = Console(build_lake(tmp_path, s3_lake), "duckdb")
    assert console.histogram(parse_range("2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z"))["total"] == 5
    assert console.search("/timeout/i", None)["matches"] == 2
    assert console.quarantine(None)["counts"] == [
        {"reason": "format_mismatch", "log_group": "/aws/vpc/main", "count": 2}
    ]
    assert console.health()["conservation"]["ok"] is True
    assert console.tables()[0]["ddl_note"] == ""  # an S3 lake's DDL names the lake itself


WAF_RECORD = (Path(__file__).parents[1] / "events" / "aws_formats" / "waf_docs.log").read_text().splitlines()[0]
"""AWS WAF developer guide's first example record (tests/events/ATTRIBUTION.md)."""


def test_waf_logs_milliseconds_are_event_times_in_the_histogram_and_the_event_view(lake: Lake) -> None:
    """waf_logs' `timestamp` is AWS's epoch milliseconds (BIGINT): bars, extents, ranges and an event's
    neighbours read it as the instant it is, beside a table whose `timestamp` is a TIMESTAMP."""
    import json

    from conftest import write_messages
    from loglake.pipeline import pending_raw_objects, run_etl
    from loglake.transform.settings import EtlSettings

    base = 1_795_946_400_000  # 2026-11-29T10:00:00Z
    offsets = [30_000, 61_500, 61_501, 125_999]  # 10:00:30, 10:01:01.500, 10:01:01.501, 10:02:05.999
    records = [json.dumps({**json.loads(WAF_RECORD), "timestamp": base + ms}) for ms in offsets]
    write_messages(lake.store, "/waf", records, id_prefix="w")
    write_messages(lake.store, "/app", ["2026-11-29T10:01:59Z ERROR waf blocked"], timestamp=base)
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    console = Console(lake, "duckdb")
    hour = console.histogram(parse_range("2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z"))
    assert (hour["bucket_seconds"], hour["total"]) == (60, 5)
    assert [(bar["start"], bar["counts"]) for bar in hour["bars"]] == [
        ("2026-11-29T10:00:00Z", {"NONE": 1}),
        ("2026-11-29T10:01:00Z", {"ERROR": 1, "NONE": 2}),
        ("2026-11-29T10:02:00Z", {"NONE": 1}),
    ]
    cut = console.histogram(parse_range("2026-11-29T10:01:01.501Z", "2026-11-29T10:02:05.999Z"))
    assert cut["total"] == 2  # the ms at `since` is in, the one at `until` out: 10:01:01.501 and the ERROR line
    found = console.histogram(None, "STMTest")  # the extent of matching events: from the milliseconds
    assert (found["since"], found["total"]) == ("2026-11-29T10:00:30Z", 4)
    event = console.event("waf_logs", "/waf", "s", "2026-11-29T10:01:01.500+00:00", records[1])
    assert event["fields"]["timestamp"] == base + 61_500
    assert [n["timestamp"] for n in event["before"]] == [base + 30_000]
    assert [n["timestamp"] for n in event["after"]] == [base + 61_501, base + 125_999]
