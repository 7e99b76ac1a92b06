"""--since/--until: parsing, the rewritten SQL, and exact answers from a lake with events at known times."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from conftest import pin_clock, write_messages
from loglake.cli.app import app
from loglake.errors import ConfigError
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.dialect import athena_to_duckdb
from loglake.query.engine import DuckDBEngine
from loglake.query.saved_queries import SAVED_QUERIES, saved_query
from loglake.query.time_range import (
    TimeRange,
    TimeRangeError,
    apply_time_range,
    parse_moment,
    table_time_literal,
)
from loglake.transform.settings import EtlSettings

runner = CliRunner()
NOW = datetime(2026, 11, 29, 20, 40, 0, tzinfo=UTC)


def test_relative_and_iso_moments() -> None:
    assert parse_moment("15m", now=NOW) == datetime(2026, 11, 29, 20, 25, tzinfo=UTC)
    assert parse_moment("1h", now=NOW) == datetime(2026, 11, 29, 19, 40, tzinfo=UTC)
    assert parse_moment("2d", now=NOW) == datetime(2026, 11, 27, 20, 40, tzinfo=UTC)
    assert parse_moment("1w", now=NOW) == datetime(2026, 11, 22, 20, 40, tzinfo=UTC)
    assert parse_moment("30s", now=NOW) == datetime(2026, 11, 29, 20, 39, 30, tzinfo=UTC)
    assert parse_moment("2026-11-28") == datetime(2026, 11, 28, tzinfo=UTC)
    assert parse_moment("2026-11-28T10:00:00Z") == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert parse_moment("2026-11-28T10:00:00+02:00") == datetime(2026, 11, 28, 8, tzinfo=UTC)
    assert parse_moment("2026-11-28 10:00") == datetime(2026, 11, 28, 10, tzinfo=UTC)


@pytest.mark.parametrize("value", ["1x", "", "yesterday", "-1h", "1.5h", "2026-13-01"])
def test_a_value_that_is_not_a_time_is_refused_with_an_example(value: str) -> None:
    with pytest.raises(TimeRangeError) as caught:
        TimeRange.parse(value, None, now=NOW)
    assert str(caught.value) == (
        f"--since {value!r} is not a time: give a duration before now or an ISO 8601 time (UTC unless it says), "
        "e.g. --since 1h (or 15m, 2d, 2026-11-29, 2026-11-29T10:00:00Z)"
    )
    assert isinstance(caught.value, ConfigError)


def test_an_empty_range_is_refused() -> None:
    with pytest.raises(TimeRangeError, match=r"--since 2026-11-29T19:40:00Z is not before --until 2026-11-29T18:40"):
        TimeRange.parse("1h", "2h", now=NOW)
    assert TimeRange.parse(None, None) is None


def test_partition_conditions_cover_exactly_the_hours_of_the_range() -> None:
    period = TimeRange.parse("2026-11-28T22:30:00Z", "2026-11-29T01:00:00Z")
    assert period is not None
    assert period.table_sql("logs") == (
        "dt >= DATE '2026-11-28' AND (dt > DATE '2026-11-28' OR \"hour\" >= 22) AND dt <= DATE '2026-11-29' "
        "AND (dt < DATE '2026-11-29' OR \"hour\" <= 0) AND \"timestamp\" >= TIMESTAMP '2026-11-28 22:30:00.000' "
        "AND \"timestamp\" < TIMESTAMP '2026-11-29 01:00:00.000'"
    )
    assert period.table_sql("raw_events") == '"timestamp" >= 1795905000000 AND "timestamp" < 1795914000000'
    assert period.table_sql("quarantine") == (
        "dt >= DATE '2026-11-28' AND dt <= DATE '2026-11-29' AND \"timestamp\" >= 1795905000000 "
        'AND "timestamp" < 1795914000000'
    )
    hours = [(d, h) for d in ("2026-11-28", "2026-11-29") for h in range(24) if period.hours_overlap(d, h)]
    assert hours == [("2026-11-28", 22), ("2026-11-28", 23), ("2026-11-29", 0)]
    # waf_logs keeps AWS's epoch-ms `timestamp` (lake/clean_zone.py): the same partitions, millisecond bounds.
    assert period.table_sql("waf_logs") == (
        "dt >= DATE '2026-11-28' AND (dt > DATE '2026-11-28' OR \"hour\" >= 22) AND dt <= DATE '2026-11-29' "
        'AND (dt < DATE \'2026-11-29\' OR "hour" <= 0) AND "timestamp" >= 1795905000000 '
        'AND "timestamp" < 1795914000000'
    )
    moment = datetime(2026, 11, 28, 22, 30, 0, 1500, tzinfo=UTC)  # 1.5 ms past: the next whole ms is the bound
    assert (table_time_literal("waf_logs", moment), table_time_literal("logs", moment)) == (
        "1795905000002",
        "TIMESTAMP '2026-11-28 22:30:00.001500'",
    )


def test_every_lake_table_of_a_query_is_limited_and_ctes_are_not() -> None:
    period = TimeRange.parse("2026-11-29T10:00:00Z", None)
    sql = (
        "WITH recent AS (SELECT * FROM logs) SELECT count(*) FROM recent r "
        "JOIN apache_logs a ON r.event_id = a.event_id WHERE r.event_id IN (SELECT event_id FROM quarantine)"
    )
    text = apply_time_range(sql, period, ["logs", "apache_logs"])
    for table in ("logs", "apache_logs", "quarantine"):
        assert text.count(f"(SELECT * FROM {table} WHERE dt >= CAST('2026-11-29' AS DATE)") == 1, table
    assert ") AS logs" in text and ") AS a" in text and ") AS quarantine" in text
    assert "FROM recent AS r" in text
    with pytest.raises(TimeRangeError, match="reads no lake table with a timestamp"):
        apply_time_range("SELECT 1", period, ["logs"])
    with pytest.raises(TimeRangeError, match="reads no lake table"):
        apply_time_range("WITH logs AS (SELECT 1 AS x) SELECT * FROM logs", period, ["logs"])
    assert apply_time_range("SELECT * FROM Logs", period, ["logs"]).count("WHERE dt >= CAST('2026-11-29' AS DATE)") == 1


@pytest.mark.parametrize(
    ("sql", "filtered"),
    [
        # the inner logs is the real table (a CTE's body cannot read itself), the outer one the CTE
        ("WITH logs AS (SELECT * FROM logs WHERE level = 'ERROR') SELECT * FROM logs", 1),
        # a later CTE sees an earlier one, whatever its case; the first CTE reads the table
        ("WITH a AS (SELECT * FROM logs), LOGS AS (SELECT * FROM a) SELECT * FROM Logs", 1),
        ("WITH Logs AS (SELECT * FROM Logs), b AS (SELECT * FROM logs) SELECT * FROM b", 1),
        # a CTE of a subquery is not in scope outside it
        ("SELECT * FROM (WITH logs AS (SELECT 1 AS x) SELECT * FROM logs) AS t, logs", 1),
        ("SELECT count(*) FROM logs l JOIN QUARANTINE q ON true JOIN Raw_Events r ON true", 3),
    ],
)
def test_table_and_cte_names_are_case_insensitive_and_scoped(sql: str, filtered: int) -> None:
    period = TimeRange.parse("2026-11-29T10:00:00Z", None)
    text = apply_time_range(sql, period, ["logs"])
    assert text.count('"timestamp" >= ') == filtered, text


@pytest.mark.parametrize("value", ["500ms", "3ss", "1hs", "2ds", "5ws"])
def test_a_plural_s_only_follows_a_unit_of_several_letters(value: str) -> None:
    with pytest.raises(TimeRangeError, match="is not a time"):
        parse_moment(value, now=NOW)


def test_plural_units_keep_their_meaning() -> None:
    assert parse_moment("5mins", now=NOW) == datetime(2026, 11, 29, 20, 35, tzinfo=UTC)
    assert parse_moment("2days", now=NOW) == datetime(2026, 11, 27, 20, 40, tzinfo=UTC)
    assert parse_moment("10secs", now=NOW) == datetime(2026, 11, 29, 20, 39, 50, tzinfo=UTC)
    assert parse_moment("1Wks", now=NOW) == datetime(2026, 11, 22, 20, 40, tzinfo=UTC)
    assert parse_moment("3hrs", now=NOW) == datetime(2026, 11, 29, 17, 40, tzinfo=UTC)


MINUTES_AGO = [200, 150, 100, 50, 20, 5]
"""One raw object per event time (a different stream each), ERROR events, counted back from the pinned now."""
EDGES = [
    datetime(2026, 11, 29, 20, 40, tzinfo=UTC),  # mid-hour: the window stays in this hour
    datetime(2026, 11, 29, 23, 9, tzinfo=UTC),  # CI's 23:09: ten minutes back cross into the previous hour
    datetime(2026, 11, 29, 23, 30, tzinfo=UTC),  # half past: two of the hour's events, not one or three
    datetime(2026, 12, 1, 0, 3, tzinfo=UTC),  # just after midnight on a month's first day: back into November
]


@pytest.fixture
def now() -> datetime:
    """The moment the lake's events count back from and every relative --since/--until counts back from."""
    return EDGES[0]


@pytest.fixture
def timed_lake(lake: Lake, now: datetime, monkeypatch: pytest.MonkeyPatch) -> tuple[str, datetime]:
    """The events of MINUTES_AGO before `now`, with the clock of --since pinned at `now`: a test of "the last
    hour" that read the real clock saw different hours at 23:09 than at 20:40 (and the CLI's now came later)."""
    pin_clock(monkeypatch, now, "loglake.query.time_range")
    for n, minutes in enumerate(MINUTES_AGO):
        ms = int((now - timedelta(minutes=minutes)).timestamp() * 1000)
        write_messages(
            lake.store, "/svc/a", [f"ERROR failure {minutes}m ago"], id_prefix=f"e{n}-", stream=f"s{n}", timestamp=ms
        )
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    return lake.store.uri.removeprefix("file://"), now


def test_the_clock_of_relative_times_is_pinned(timed_lake: tuple[str, datetime]) -> None:
    _lake, now = timed_lake
    period = TimeRange.parse("1h", None)
    assert period is not None and period.since == datetime(2026, 11, 29, 19, 40, tzinfo=UTC) == now - timedelta(hours=1)


def _csv(args: list[str]) -> list[str]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[1:]


@pytest.mark.parametrize("now", EDGES, ids=lambda moment: moment.strftime("%Y-%m-%dT%H:%M"))
def test_since_returns_exactly_the_events_of_the_last_hour(timed_lake: tuple[str, datetime]) -> None:
    lake, _now = timed_lake
    sql = "SELECT message FROM logs ORDER BY timestamp"
    assert _csv(["query", "--lake", lake, "-f", "csv", "--since", "1h", sql]) == [
        "ERROR failure 50m ago",
        "ERROR failure 20m ago",
        "ERROR failure 5m ago",
    ]
    assert _csv(["query", "--lake", lake, "-f", "csv", "--since", "3h", "--until", "1h", sql]) == [
        "ERROR failure 150m ago",
        "ERROR failure 100m ago",
    ]
    assert len(_csv(["query", "--lake", lake, "-f", "csv", sql])) == 6
    # several tables: each is limited (logs by its timestamp, raw_events by the raw record's)
    joined = "SELECT count(*) FROM logs l JOIN raw_events r ON l.event_id = r.event_id"
    assert _csv(["query", "--lake", lake, "-f", "csv", "--since", "30m", joined]) == ["2"]
    # names in any case are lake tables: each is limited (2 logs x 2 raw events, not 2 x 6)
    upper = "SELECT count(*) FROM Logs l JOIN RAW_EVENTS r ON true"
    assert _csv(["query", "--lake", lake, "-f", "csv", "--since", "30m", upper]) == ["4"]
    cte = "WITH logs AS (SELECT * FROM logs WHERE message LIKE 'ERROR%') SELECT count(*) FROM logs"
    assert _csv(["query", "--lake", lake, "-f", "csv", "--since", "1h", cte]) == ["3"]


@pytest.mark.parametrize(
    ("now", "files_read"),
    # The files of the hours that [now - 10m, ...) overlaps (one file per event), worked out by hand:
    [
        (EDGES[0], 2),  # 20:30-: hour 20 holds the 20m (20:20) and 5m (20:35) events
        (EDGES[1], 3),  # 22:59-: hours 22 and 23 hold the 50m (22:19), 20m (22:49) and 5m (23:04) events
        (EDGES[2], 2),  # 23:20-: hour 23 holds the 20m (23:10) and 5m (23:25) events; 50m (22:40) is pruned
        (EDGES[3], 3),  # 11-30 23:53-: hour 23 of Nov 30 holds 50m, 20m, 5m (23:13, 23:43, 23:58); Dec 1 none
        (datetime(2026, 12, 1, 0, 15, tzinfo=UTC), 1),  # 00:05-: hour 0 of Dec 1 holds the 5m event alone
    ],
    ids=["20:40", "23:09", "23:30", "month-edge-00:03", "00:15"],
)
def test_since_prunes_partitions(timed_lake: tuple[str, datetime], lake: Lake, files_read: int) -> None:
    _lake, now = timed_lake
    period = TimeRange.parse("10m", None)
    assert period is not None and period.since == now - timedelta(minutes=10)
    engine = DuckDBEngine(lake.store)
    try:
        engine.ensure_views({"logs"})
        text = athena_to_duckdb(apply_time_range("SELECT count(*) FROM logs", period, ["logs"]), engine.schema())
        profile = engine.con.execute("EXPLAIN ANALYZE " + text).fetchall()[0][1]
        assert engine.con.execute(text).fetchall() == [(1,)]
    finally:
        engine.close()
    assert [int(n) for n in re.findall(r"Total Files Read: (\d+)", profile)] == [files_read]


def test_every_saved_query_accepts_a_time_range(timed_lake: tuple[str, datetime]) -> None:
    lake, _now = timed_lake
    period = TimeRange.parse("1h", None)
    for name in SAVED_QUERIES:
        assert "FROM (SELECT * FROM" in saved_query(name, {}, period), name
    result = runner.invoke(app, ["saved", "errors_per_service_per_hour", "--lake", lake, "-f", "json", "--since", "1h"])
    assert result.exit_code == 0, result.output
    assert sum(row["errors"] for row in json.loads(result.stdout)) == 3
    result = runner.invoke(
        app, ["query", "--saved", "errors_per_service_per_hour", "--lake", lake, "-f", "json", "--since", "4h"]
    )
    assert sum(row["errors"] for row in json.loads(result.stdout)) == 6


def test_verify_checks_the_raw_objects_with_events_in_the_range(timed_lake: tuple[str, datetime]) -> None:
    lake, _now = timed_lake
    result = runner.invoke(app, ["verify", "--lake", lake, "-f", "json", "--since", "1h"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["ok"], len(report["objects"]), report["raw_events"], report["clean_events"]) == (True, 3, 3, 3)
    result = runner.invoke(app, ["verify", "--lake", lake, "--since", "4h"])
    assert "OK 6 raw objects with events in [" in result.stdout


def test_invalid_time_is_a_usage_error_with_an_example(timed_lake: tuple[str, datetime]) -> None:
    lake, _now = timed_lake
    cases = [
        (["query", "SELECT 1 FROM logs"], "soon", "--since 'soon' is not a time: give a duration before now"),
        (["search", "x"], "soon", "e.g. --since 1h (or 15m, 2d, 2026-11-29, 2026-11-29T10:00:00Z)"),
        (["verify"], "1 hour", "--since '1 hour' is not a time"),
        (["saved", "ingestion_lag"], "2026-02-30", "--since '2026-02-30' is not a time"),
        (["query", "SELECT 1"], "1h", "this query reads no lake table with a timestamp"),
    ]
    for command, value, message in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "loglake", *command, "--lake", lake, "--since", value],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert proc.returncode == 2, (command, proc.stderr)
        assert message in proc.stderr, (command, proc.stderr)
        assert proc.stderr.count("\n") == 1 and proc.stdout == "", proc.stderr


def test_partition_overlap_reaches_the_last_hour_and_reads_since_in_utc() -> None:
    """dt=9999-12-31/hour=23 is a partition a line's time can make (years up to 9999 are read): listing it must
    not overflow (it did: start + 1 hour). An hour or day starting at `since`'s own hour or day overlaps, one
    ending exactly at `since` does not, and a `since` with another zone is placed by its UTC time."""
    period = TimeRange(since=datetime(9999, 12, 31, 23, 30, tzinfo=UTC))
    assert [h for h in (21, 22, 23) if period.hours_overlap("9999-12-31", h)] == [23]
    assert (period.days_overlap("9999-12-30"), period.days_overlap("9999-12-31")) == (False, True)
    on_the_hour = TimeRange(since=datetime(2026, 11, 28, 22, tzinfo=UTC))
    assert [h for h in (21, 22, 23) if on_the_hour.hours_overlap("2026-11-28", h)] == [22, 23]
    india = TimeRange(since=datetime(2026, 11, 29, 4, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))))  # 22:30Z
    assert [h for h in (21, 22, 23) if india.hours_overlap("2026-11-28", h)] == [22, 23]
    assert (india.days_overlap("2026-11-28"), india.days_overlap("2026-11-27")) == (True, False)
