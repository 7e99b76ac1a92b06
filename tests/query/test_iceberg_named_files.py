"""Readers of an Iceberg table whose files Iceberg named itself: `clean/<table>/data/dt=D/hour=5/...`, the
unpadded hour Athena's OPTIMIZE and pyiceberg's rewrites write (loglake writes `hour=05`). Partition
pruning (dt/hour predicates, --since), search's time range, the console's histogram and compaction must
count those files' rows: before, a listing matched `hour=(\\d{2})` only and dropped them without a word.

The rewrite here is the one OPTIMIZE makes of an hour (its rows into a file of Iceberg's naming, one commit),
then VACUUM's deletion of the replaced file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import write_messages
from loglake.console.api import Console, parse_range
from loglake.lake import iceberg
from loglake.lake.compaction import compact, live_files
from loglake.lake.open import Lake, open_lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.query.search import Pattern, search
from loglake.query.time_range import TimeRange, apply_time_range
from loglake.transform.settings import EtlSettings

ICEBERG = EtlSettings(table_format="iceberg", output_format="parquet")
REWRITTEN = "dt=2026-11-27/hour=5/"


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def _rewritten_lake(path: Path) -> Lake:
    """4 events: 2 at 2026-11-27 05:10 (the hour rewritten), 1 at 11-27 12:10, 1 at 11-28 05:10."""
    lake = open_lake(str(path))
    write_messages(lake.store, "/a", ["hello one", "hello two"], id_prefix="a#", stream="s1",
                   timestamp=_ms("2026-11-27T05:10:00+00:00"))  # fmt: skip
    write_messages(lake.store, "/a", ["hello three"], id_prefix="b#", stream="s2",
                   timestamp=_ms("2026-11-27T12:10:00+00:00"))  # fmt: skip
    write_messages(lake.store, "/a", ["hello four"], id_prefix="c#", stream="s3",
                   timestamp=_ms("2026-11-28T05:10:00+00:00"))  # fmt: skip
    run_etl(lake, pending_raw_objects(lake), ICEBERG, workers=1)
    from pyiceberg.expressions import And, EqualTo

    table = iceberg.catalog(lake.store).load_table((iceberg.namespace(lake.store), "logs"))
    old = [k for k in lake.store.list("clean/logs/") if "/dt=2026-11-27/hour=05/" in k and k.endswith(".parquet")]
    assert len(old) == 1
    hour = And(EqualTo("dt", "2026-11-27"), EqualTo("hour", 5))
    table.overwrite(table.scan(row_filter=hour).to_arrow(), overwrite_filter=hour)
    lake.store.delete(old[0])  # VACUUM: the replaced file goes
    named = [k for k in live_files(lake.store, "logs") if REWRITTEN in k]
    assert len(named) == 1 and named[0].startswith(f"clean/logs/data/{REWRITTEN}")
    return lake


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    return _rewritten_lake(tmp_path_factory.mktemp("named") / "lake")


def _count(lake: Lake, sql: str) -> int:
    with DuckDBEngine(lake.store) as engine:
        return int(engine.query(sql).rows[0][0])


def test_dt_and_hour_predicates_count_the_iceberg_named_hour(lake: Lake) -> None:
    assert _count(lake, "SELECT count(*) FROM logs") == 4
    assert _count(lake, "SELECT count(*) FROM logs WHERE dt = DATE '2026-11-27'") == 3
    assert _count(lake, "SELECT count(*) FROM logs WHERE dt = DATE '2026-11-27' AND hour = 5") == 2
    assert _count(lake, "SELECT count(*) FROM logs WHERE hour = 5") == 3
    assert _count(lake, "SELECT count(*) FROM logs WHERE hour = 12") == 1


def test_since_until_count_the_iceberg_named_hour(lake: Lake) -> None:
    sql = "SELECT count(*) FROM logs"
    hour = TimeRange.parse("2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z")
    day = TimeRange.parse("2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z")
    assert _count(lake, apply_time_range(sql, hour, ["logs"])) == 2
    assert _count(lake, apply_time_range(sql, day, ["logs"])) == 3


def test_search_in_a_time_range_reads_the_iceberg_named_file(lake: Lake) -> None:
    day = search(lake.store, Pattern.parse("hello"), time_range=TimeRange.parse("2026-11-27", "2026-11-28"))
    assert day.matches == 3
    assert (day.plan.files_total, day.plan.files_in_range) == (3, 2)
    assert sorted(row["message"] for row in day.rows) == ["hello one", "hello three", "hello two"]
    hour = search(
        lake.store, Pattern.parse("hello"), time_range=TimeRange.parse("2026-11-27T05:00Z", "2026-11-27T06:00Z")
    )
    assert (hour.matches, hour.plan.files_in_range) == (2, 1)


def test_console_histogram_starts_at_the_iceberg_named_hour(lake: Lake) -> None:
    console = Console(lake)
    whole = console.histogram(None)
    assert (whole["since"], whole["until"], whole["total"]) == ("2026-11-27T05:00:00Z", "2026-11-28T06:00:00Z", 4)
    day = console.histogram(parse_range("2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z"))
    assert day["total"] == 3


def test_compaction_merges_the_iceberg_named_file_with_loglakes_file_of_its_hour(tmp_path: Path) -> None:
    lake = _rewritten_lake(tmp_path / "lake")
    write_messages(lake.store, "/a", ["hello five"], id_prefix="d#", stream="s4",
                   timestamp=_ms("2026-11-27T05:20:00+00:00"))  # fmt: skip
    run_etl(lake, pending_raw_objects(lake), ICEBERG, workers=1)
    hour_files = [k for k in live_files(lake.store, "logs") if "/dt=2026-11-27/hour=" in k and "hour=12" not in k]
    assert len(hour_files) == 2  # Iceberg's hour=5 and loglake's hour=05
    assert _count(lake, "SELECT count(*) FROM logs WHERE dt = DATE '2026-11-27' AND hour = 5") == 3

    report = compact(lake.store, ["logs"], older_than_s=3600, grace_s=3600, now=datetime(2027, 1, 1, tzinfo=UTC))
    assert [(p.partition, p.inputs, p.outputs, p.rows, p.status) for p in report.partitions] == [
        ("dt=2026-11-27/hour=05", 2, 1, 3, "compacted"),
        ("dt=2026-11-27/hour=12", 0, 0, 0, "nothing"),
        ("dt=2026-11-28/hour=05", 0, 0, 0, "nothing"),
    ]
    assert len(live_files(lake.store, "logs")) == 3
    assert _count(lake, "SELECT count(*) FROM logs WHERE dt = DATE '2026-11-27' AND hour = 5") == 3
    assert _count(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == 5
