"""Times that are guessed say so (issue 10, item 4): every clean row's `time_source` tells whether its time
was read from the line (`parsed`), is the source's own event time (`source`: CloudWatch, a subscription),
or is only when a file source read it (`ingestion`: the file's mtime). The ETL's manifest counts them per
value, and the clean rows per table, for the summaries."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import T0, Deliver, write_messages
from loglake.lake.keys import RawKey, manifest_key
from loglake.lake.manifests import read_manifest
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.sources import cloudtrail_files, cloudwatch_export, cloudwatch_logs, local_files
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.etl import EtlResult
from loglake.transform.settings import EtlSettings
from loglake.transform.timestamps import TRUSTED_SOURCES

Query = Any
MTIME = 1_750_000_000  # 2025-06-15T15:06:40Z: the file's mtime, the only time a file source knows
READ_AT = datetime(2025, 6, 15, 15, 6, 40)
RECORD_TIME = datetime.fromtimestamp(T0 / 1000, UTC).replace(tzinfo=None)  # a delivered event's own time

# Lines from an Ubuntu host's /var/log (apt, dpkg, update-alternatives) and from common runtimes.
LINES = [
    "Start-Date: 2025-06-24  14:36:25",  # apt history.log: two spaces
    "update-alternatives 2025-06-24 14:36:53: run with --install /usr/bin/pager pager /bin/less 77",
    "2025-06-24 14:36:26 status installed man-db:amd64 2.12.0-4build2",  # dpkg.log
    "2025/06/24 14:36:27 http: TLS handshake error from 10.0.0.7:4242: EOF",  # Go
    "I0624 14:36:25.123456       1 main.go:42] starting",  # klog: no year, not read
    "Commandline: apt install less",  # no time at all
    "2025-06-24 14:36:28 CEST nightly backup done",  # an ambiguous zone name: not read as UTC
]
EXPECTED = [
    (datetime(2025, 6, 24, 14, 36, 25), "parsed"),
    (datetime(2025, 6, 24, 14, 36, 53), "parsed"),
    (datetime(2025, 6, 24, 14, 36, 26), "parsed"),
    (datetime(2025, 6, 24, 14, 36, 27), "parsed"),
    (READ_AT, "ingestion"),
    (READ_AT, "ingestion"),
    (READ_AT, "ingestion"),
]


def _ingest_file(lake: Lake, path: Path, data: bytes, settings: EtlSettings | None = None) -> list[EtlResult]:
    path.write_bytes(data)
    os.utime(path, (MTIME, MTIME))
    FileSource(lake.store, FileSourceOptions(log_group="/host/var-log")).ingest(str(path))
    return run_etl(lake, pending_raw_objects(lake), settings or EtlSettings(), workers=1)


def _by_line(query: Query, table: str = "logs") -> list[tuple[Any, ...]]:
    return query(f'SELECT "timestamp", time_source, dt FROM {table} ORDER BY event_id')


@pytest.mark.parametrize("output_format", ["parquet", "jsonl"])
def test_file_lines_without_a_readable_time_are_flagged_as_ingestion_time(
    lake: Lake, tmp_path: Path, query: Query, output_format: str
) -> None:
    results = _ingest_file(
        lake, tmp_path / "history.log", "\n".join(LINES).encode() + b"\n", EtlSettings(output_format=output_format)
    )
    assert _by_line(query) == [(ts, source, ts.date()) for ts, source in EXPECTED]
    [result] = results
    assert result.manifest.time_sources == {"parsed": 4, "ingestion": 3}
    assert result.manifest.tables == {"logs": 7}
    stored = read_manifest(lake.store, RawKey.parse(result.manifest.raw_object).object_id)
    assert stored is not None
    assert (stored.tables, stored.time_sources) == ({"logs": 7}, {"parsed": 4, "ingestion": 3})


def test_the_source_s_own_event_time_is_source_not_a_guess(deliver: Deliver, query: Query) -> None:
    results = deliver(["no time in this line", "2025-06-24 14:36:25 ERROR with one", "klog I0624 14:36:25.1 x"])
    assert query('SELECT "timestamp", time_source FROM logs ORDER BY event_id') == [
        (RECORD_TIME, "source"),
        (datetime(2025, 6, 24, 14, 36, 25), "parsed"),
        (RECORD_TIME + timedelta(milliseconds=2), "source"),
    ]
    assert [r.manifest.time_sources for r in results] == [{"parsed": 1, "source": 2}]


def test_apache_error_with_a_custom_error_log_format(lake: Lake, tmp_path: Path, query: Query) -> None:
    """ErrorLogFormat can write any time: an ISO time with a zone after a space is read and its zone
    applied; a day-first date that cannot be read with certainty keeps the file's time, flagged."""
    lines = [
        "[2025-06-24 14:36:25.123456 +0200] [core:error] [pid 4242:tid 140234] [client 10.0.0.7:51234] AH00128: x",
        "[2025-06-24T14:36:26Z] [ssl:warn] [pid 4242:tid 140234] AH01909: RSA certificate mismatch",
        "[24/06/2025 14:36:27] [core:notice] [pid 4242:tid 140234] AH00094: Command line: '/usr/sbin/apache2'",
    ]
    results = _ingest_file(lake, tmp_path / "error.log", "\n".join(lines).encode() + b"\n")
    assert query('SELECT "timestamp", time_source, format, pid, tid FROM apache_error_logs ORDER BY event_id') == [
        (datetime(2025, 6, 24, 12, 36, 25, 123456), "parsed", "apache_error", 4242, 140234),
        (datetime(2025, 6, 24, 14, 36, 26), "parsed", "apache_error", 4242, 140234),
        (READ_AT, "ingestion", "apache_error", 4242, 140234),
    ]
    assert [(r.manifest.tables, r.manifest.time_sources) for r in results] == [
        ({"apache_error_logs": 3}, {"parsed": 2, "ingestion": 1})
    ]


def test_manifest_counts_rows_per_table(lake: Lake, query: Query) -> None:
    write_messages(
        lake.store,
        "/web/mixed",
        [
            '203.0.113.9 - - [24/Jun/2025:14:36:25 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.0"',
            '203.0.113.9 - - [24/Jun/2025:14:36:26 +0000] "GET /b HTTP/1.1" 404 - "-" "curl/8.0"',
            "just words",
            '{"truncated": ',
        ],
    )
    [result] = run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    assert result.manifest.tables == {"apache_logs": 2, "logs": 1}
    assert result.manifest.time_sources == {"parsed": 2, "source": 1}
    assert (result.manifest.clean_rows, result.manifest.quarantined_rows) == (3, 1)
    assert query("SELECT time_source, count(*) FROM apache_logs GROUP BY ALL") == [("parsed", 2)]
    assert query('SELECT "timestamp", time_source FROM logs') == [(RECORD_TIME + timedelta(milliseconds=2), "source")]


def test_a_manifest_written_before_the_counts_existed_still_loads(lake: Lake) -> None:
    old = {
        "raw_object": "raw/source=file/log_group=x/stream=s/1-2.json.gz",
        "etl_version": "etl/0.1.0",
        "raw_rows": 2,
        "events": 2,
        "duplicates": 0,
        "clean_rows": 2,
        "quarantined_rows": 0,
        "outputs": ["clean/logs/dt=2025-06-24/hour=14/x.parquet"],
        "raw_version": "abc",
    }
    lake.store.put(manifest_key("old-object"), orjson.dumps(old))
    manifest = read_manifest(lake.store, "old-object")
    assert manifest is not None
    assert (manifest.clean_rows, manifest.tables, manifest.time_sources) == (2, {}, {})


def test_trusted_sources_are_the_sources_that_stamp_events_with_their_own_time() -> None:
    """Every source but files (and stdin, a file source) writes the event's own time into `timestamp`."""
    assert set(TRUSTED_SOURCES) == {
        cloudwatch_logs.SOURCE,
        "subscription",  # cloudwatch_subscription.write_payload's default
        "firehose",  # handlers/firehose.py
        cloudwatch_export.SOURCE,
        cloudtrail_files.SOURCE,
    }
    assert local_files.SOURCE not in TRUSTED_SOURCES
