"""Search over tables whose `timestamp` types differ: waf_logs keeps AWS's epoch milliseconds (lake/clean_zone.py),
every result row still carries a datetime event time, and --since/--until bound each table by its own type."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_messages
from loglake.cli.app import app
from loglake.errors import StaleTableError
from loglake.lake import clean_zone
from loglake.lake.formats import FORMATS
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.search import Pattern, search
from loglake.query.time_range import TimeRange
from loglake.transform.settings import EtlSettings

WAF_RECORD = (Path(__file__).parents[1] / "events" / "aws_formats" / "waf_docs.log").read_text().splitlines()[0]
"""AWS WAF developer guide's first example record (tests/events/ATTRIBUTION.md)."""
runner = CliRunner()
BASE = 1_795_946_400_000  # 2026-11-29T10:00:00Z


@pytest.fixture(params=sorted(FORMATS))
def mixed(lake: Lake, request: pytest.FixtureRequest) -> Lake:
    """Three WAF events (10:00:30, 10:01:01.500, 10:02:05.999) and two app lines (10:01:00, 10:01:00.001) that
    all hold `STMTest`, in each output format (a JSON-lines file is read with the table's `timestamp` type)."""
    offsets = [30_000, 61_500, 125_999]
    records = [json.dumps({**json.loads(WAF_RECORD), "timestamp": BASE + ms}) for ms in offsets]
    write_messages(lake.store, "/waf", records, id_prefix="w")
    write_messages(lake.store, "/app", ["STMTest blocked a", "STMTest blocked b"], timestamp=BASE + 60_000)
    run_etl(lake, pending_raw_objects(lake), EtlSettings(output_format=request.param), workers=1)
    return lake


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=None)


def test_search_over_waf_logs_and_logs_sorts_one_kind_of_time(mixed: Lake) -> None:
    result = search(mixed.store, Pattern.parse("STMTest"))
    assert result.matches == 5
    assert [(row["table"], row["timestamp"]) for row in result.rows] == [
        ("waf_logs", _at("2026-11-29T10:02:05.999")),
        ("waf_logs", _at("2026-11-29T10:01:01.500")),
        ("logs", _at("2026-11-29T10:01:00.001")),
        ("logs", _at("2026-11-29T10:01:00")),
        ("waf_logs", _at("2026-11-29T10:00:30")),
    ]


def test_search_since_until_bounds_waf_logs_by_its_milliseconds(mixed: Lake) -> None:
    """The millisecond at --since is in, the one at --until out, in both tables."""
    window = TimeRange.parse("2026-11-29T10:01:00.001Z", "2026-11-29T10:02:05.999Z")
    result = search(mixed.store, Pattern.parse("STMTest"), time_range=window)
    assert result.matches == 2
    assert [(row["table"], row["timestamp"]) for row in result.rows] == [
        ("waf_logs", _at("2026-11-29T10:01:01.500")),
        ("logs", _at("2026-11-29T10:01:00.001")),
    ]
    only_waf = search(mixed.store, Pattern.parse("STMTest"), tables=["waf_logs"], time_range=window)
    assert [row["timestamp"] for row in only_waf.rows] == [_at("2026-11-29T10:01:01.500")]


def test_search_output_shows_every_table_s_time_alike(mixed: Lake) -> None:
    """The terminal and JSON output give a WAF event's time as a logs event's, not its milliseconds."""
    lake = mixed.store.uri.removeprefix("file://")
    shown = runner.invoke(app, ["search", "STMTest", "--lake", lake, "--limit", "2"])
    assert shown.exit_code == 0, shown.output
    assert [line[:23] for line in shown.stdout.splitlines()] == ["2026-11-29 10:02:05.999", "2026-11-29 10:01:01.500"]
    document = json.loads(runner.invoke(app, ["search", "STMTest", "--lake", lake, "--format", "json"]).stdout)
    assert [(row["table"], row["timestamp"]) for row in document["rows"][2:4]] == [
        ("logs", "2026-11-29T10:01:00.001000"),
        ("logs", "2026-11-29T10:01:00"),
    ]
    assert document["rows"][0]["timestamp"] == "2026-11-29T10:02:05.999000"


def test_search_refuses_a_waf_logs_an_earlier_loglake_wrote(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its `timestamp` is a TIMESTAMP, not AWS's ms: searched, its rows would get the wrong times; refused with
    the re-run, as a query of it is. A search of the other tables runs."""
    with monkeypatch.context() as before:
        before.setattr(clean_zone, "TIMESTAMP_TYPES", {})
        write_messages(lake.store, "/waf", [WAF_RECORD], id_prefix="w")
        write_messages(lake.store, "/app", ["STMTest blocked a"], timestamp=BASE)
        run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    with pytest.raises(StaleTableError) as refused:
        search(lake.store, Pattern.parse("STMTest"))
    assert str(refused.value) == (
        "clean table waf_logs was written by an earlier loglake: its `timestamp` is TIMESTAMP, and is now "
        "BIGINT (epoch milliseconds, as in AWS's table); rewrite its files with `loglake compact --table waf_logs "
        "--rewrite-stale` (every hour of the table, exactly)"
    )
    only_logs = search(lake.store, Pattern.parse("STMTest"), tables=["logs"])
    assert [(row["table"], row["timestamp"]) for row in only_logs.rows] == [("logs", _at("2026-11-29T10:00:00"))]
