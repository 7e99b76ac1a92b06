from __future__ import annotations

from conftest import Ingest
from loglake.lake.open import Lake
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine


def _report(lake: Lake) -> list[tuple[str, int, int, int]]:
    with DuckDBEngine(lake.store) as engine:
        return [
            (o.status, o.raw_events, o.clean_events, o.quarantined_events)
            for o in check_conservation(engine, engine.store).objects
        ]


def test_holds_after_the_pipeline(lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(b'{"a":1}\n{"a":\nplain\n')
    assert _report(lake) == [("ok", 3, 2, 1)]


def test_a_lost_clean_file_is_a_mismatch(lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(b"2026-11-26T01:00:00Z a\n2026-11-26T02:00:00Z b\n")
    clean = sorted(lake.store.list("clean/"))
    assert len(clean) == 2  # one file per hour partition
    lake.store.delete(clean[0])
    assert _report(lake) == [("mismatch", 2, 1, 0)]


def test_a_copied_clean_file_is_a_duplicate(lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(b"one\ntwo\n")
    (clean,) = lake.store.list("clean/")
    lake.store.put(clean.replace(".parquet", "-copy.parquet"), lake.store.get(clean))
    assert _report(lake) == [("duplicates", 2, 4, 0)]


def test_raw_objects_without_etl_are_pending(lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(b"one\n")
    for key in list(lake.store.list("state/etl/")):
        lake.store.delete(key)
    for key in list(lake.store.list("clean/")):
        lake.store.delete(key)
    assert _report(lake) == [("pending", 1, 0, 0)]
