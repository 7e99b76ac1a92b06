"""Typed output pinned: every column of every row, for a fixed set of messages, exactly as the parsers
wrote them before the throughput work of issue 13 (the SQL was rewritten for speed: the values must not move).

The messages (typed_golden.json.gz, next to this file) are the parsers' EXAMPLES, the conformance
vectors' inputs, the AWS-format samples in tests/events, and 40 synthetic lines per format of
benchmarks/parser_throughput.py, in groups: each group is one raw object (a VPC header is per object).
`LOGLAKE_WRITE_GOLDEN=1 pytest tests/transform/parsers/test_typed_golden.py` rewrites the file from the
current code, for a change that means to move values (say why in the commit).
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import write_messages
from loglake.lake.open import open_lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform import etl, likely_format
from loglake.transform.parsers import PARSERS
from loglake.transform.settings import EtlSettings

GOLDEN = Path(__file__).parent / "typed_golden.json.gz"
BY_NAME = {p.name: p for p in PARSERS}
PINNED = frozenset(
    {
        *("access_log", "alb", "apache_error", "apigateway_access_log", "apigateway_json", "cloudfront"),
        *("cloudtrail", "json", "lambda_platform", "lambda_platform_json", "lambda_text", "logfmt"),
        *("nginx_error", "s3_access_log", "stack_trace", "syslog_rfc3164", "syslog_rfc5424"),
        *("syslog_rsyslog_file", "vpc_flow_log"),
    }
)
"""The formats whose SQL the throughput work rewrote; rows of formats added since are not pinned here."""


def typed_rows(tmp: Path, groups: list[list[str]]) -> dict[str, dict[str, Any]]:
    """Each group as one raw object through the real ETL; every clean row by `<group>.<event>` id, its
    values as JSON would write them (times and dates as text) and its table."""
    lake = open_lake(str(tmp / "lake"))
    for n, messages in enumerate(groups):
        write_messages(lake.store, f"/golden/{n}", messages, id_prefix=f"{n}.")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    rows: dict[str, dict[str, Any]] = {}
    with DuckDBEngine(lake.store) as engine:
        for table in engine.tables:  # the clean tables, not the zone views
            result = engine.query(f'SELECT * FROM "{table}"')
            for row in result.rows:
                record = dict(zip(result.columns, row, strict=True))
                record["__table"] = table
                del record["raw_object"], record["ingestion_time"]  # the run's own: its key, its clock
                assert str(record["event_id"]) not in rows
                rows[str(record["event_id"])] = json.loads(json.dumps(record, default=str))
    return rows


def _likely(con: Any, kept: list[str]) -> str | None:
    """The regex format with the most lines in `raw_lines` that is not in `kept` yet (then noted there)."""
    parser_sql, _table = etl._routing(EtlSettings())
    counted = con.execute(f"SELECT p, count(*) FROM (SELECT {parser_sql} AS p FROM raw_lines) GROUP BY p").fetchall()
    eligible = sorted((-n, p) for p, n in counted if likely_format.eligible(BY_NAME[p]) and p not in kept)
    if not eligible:
        return None
    kept.append(eligible[0][1])
    return kept[-1]


@pytest.mark.parametrize("likely_path", [False, True], ids=["as-is", "groups-kept"])
def test_typed_values_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, likely_path: bool) -> None:
    """`groups-kept`: every object takes the large-object path, whose classification keeps the regex groups
    of a likely format for the write (transform/likely_format.py); as the likely format, each classification
    takes a regex format with lines there that no earlier one took (most lines first), so that most formats'
    groups are kept once. (tests/transform/test_likely_format.py keeps each regex format's groups in turn.)"""
    kept: list[str] = []
    if likely_path:
        monkeypatch.setattr(etl, "_GUARD_PASS_MAX_ROWS", -1)
        monkeypatch.setattr(etl, "_survey", lambda con: (frozenset(), _likely(con, kept), None))  # None: every shortcut
    golden = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    got = typed_rows(tmp_path, golden["groups"])
    got = {event: row for event, row in got.items() if row["format"] in PINNED}
    if likely_path:
        # One per classification pass with a format left to keep (BSD syslog, a prefix parser since 2026-11-30
        # 15:00, keeps no groups: its pass now keeps logfmt's, the next RFC 5424's).
        assert kept == ["logfmt", "syslog_rfc5424"]
    if os.environ.get("LOGLAKE_WRITE_GOLDEN") and not likely_path:
        golden["rows"] = got
        GOLDEN.write_bytes(gzip.compress(json.dumps(golden, sort_keys=True, indent=0).encode(), mtime=0))
        pytest.skip("golden rewritten")
    want = golden["rows"]
    assert sorted(got) == sorted(want)
    # Column by column, so a failure names the event and the column that moved.
    moved = [
        (event, column, want[event].get(column), got[event].get(column))
        for event in sorted(want)
        for column in sorted(set(want[event]) | set(got[event]))
        if want[event].get(column) != got[event].get(column)
    ]
    # (event, column, pinned, now). A change meant to move values rewrites the file (module docstring).
    assert moved == [], "typed values moved; if meant, LOGLAKE_WRITE_GOLDEN=1 rewrites typed_golden.json.gz"
    assert len(want) == 711
