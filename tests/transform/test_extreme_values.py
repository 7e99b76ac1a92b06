"""One crafted line never fails its whole raw object: a number a line controls that is past what DuckDB's time
conversions take (an OTLP time in ns past 9999, a VPC flow log start of 14 digits) lands with the time the
format's fallback gives, or NULL in a derived column, and every good line of the object lands with it."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from conftest import T0, Deliver, Query
from loglake.lake.open import Lake
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform import etl
from loglake.transform.parsers import PARSERS
from loglake.transform.timestamps import LATEST_EPOCH_NS, LATEST_EPOCH_S


def _record_time(index: int) -> datetime:
    """The record time of delivered event `index` (conftest.T0 + index ms), which the event takes when it has
    no readable time of its own."""
    return datetime.fromtimestamp(T0 / 1000, UTC).replace(tzinfo=None) + timedelta(milliseconds=index)


def _landed(lake: Lake, results: list[Any], events: int) -> None:
    """The ETL ran the one object, and every event landed once (clean + quarantined == events)."""
    [result] = results
    assert result.manifest.clean_rows + result.manifest.quarantined_rows == events
    assert result.manifest.quarantined_rows == 0
    with DuckDBEngine(lake.store) as engine:
        assert check_conservation(engine, engine.store).ok


def test_the_latest_times_are_the_lakes() -> None:
    assert LATEST_EPOCH_S * 1000 + 999 == etl._MAX_TIMESTAMP_MS
    assert LATEST_EPOCH_NS == 253_402_300_799_999_999_999


def _otlp(record: str) -> str:
    return (
        '{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[{' + record + ',"body":{"stringValue":'
        '"x"}}]}]}]}'
    )


GOOD_OTLP = [
    _otlp('"timeUnixNano":"1700000000000000000","observedTimeUnixNano":"1700000000500000000"'),
    _otlp(f'"timeUnixNano":"{LATEST_EPOCH_NS}"'),  # the last nanosecond the lake holds is still read
]


@pytest.mark.parametrize(
    ("crafted", "timestamp", "time_source", "observed"),
    [
        (_otlp('"timeUnixNano":"9223372036854775807999"'), _record_time(1), "source", None),
        (_otlp('"timeUnixNano":"9223372036854775808000"'), _record_time(1), "source", None),
        (_otlp('"timeUnixNano":"1000000000000000000000000000000"'), _record_time(1), "source", None),
        (_otlp('"timeUnixNano":1000000000000000000000000000000'), _record_time(1), "source", None),
        (_otlp(f'"timeUnixNano":"{LATEST_EPOCH_NS + 1}"'), _record_time(1), "source", None),
        # The data model: a record without a (usable) time takes its observed time.
        (
            _otlp('"timeUnixNano":"9223372036854775808000","observedTimeUnixNano":"1700000000000000000"'),
            datetime(2023, 11, 14, 22, 13, 20),
            "parsed",
            datetime(2023, 11, 14, 22, 13, 20),
        ),
        # A good time keeps it; an observed time past 9999 is NULL.
        (
            _otlp('"timeUnixNano":"1700000000000000000","observedTimeUnixNano":"9223372036854775807999"'),
            datetime(2023, 11, 14, 22, 13, 20),
            "parsed",
            None,
        ),
    ],
    ids=["int64-max-us", "past-int64-us", "1e30-string", "1e30-number", "9999-plus-1ns", "observed", "bad-observed"],
)
def test_an_otlp_time_past_9999_falls_back_and_the_object_lands(
    lake: Lake,
    deliver: Deliver,
    query: Query,
    crafted: str,
    timestamp: datetime,
    time_source: str,
    observed: datetime | None,
) -> None:
    _landed(lake, deliver([GOOD_OTLP[0], crafted, GOOD_OTLP[1]]), 3)
    rows = query("SELECT event_id, timestamp, time_source, observed_timestamp, body FROM otel_logs ORDER BY event_id")
    assert rows == [
        ("e0", datetime(2023, 11, 14, 22, 13, 20), "parsed", datetime(2023, 11, 14, 22, 13, 20, 500000), "x"),
        ("e1", timestamp, time_source, observed, "x"),
        ("e2", datetime(9999, 12, 31, 23, 59, 59, 999999), "parsed", None, "x"),
    ]


VPC_GOOD = (
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
)


def _vpc(start: str) -> str:
    return VPC_GOOD.replace("1418530010", start)


@pytest.mark.parametrize(
    ("start", "value", "day"),
    [
        ("14185300530010", 14185300530010, None),  # 14 digits: no time, no date
        (str(LATEST_EPOCH_S + 1), LATEST_EPOCH_S + 1, None),
        ("9223372036854775807", 9223372036854775807, None),
        ("9223372036854775808", None, None),  # past BIGINT: NULL, as any malformed number
        (str(LATEST_EPOCH_S), LATEST_EPOCH_S, "9999/12/31"),
    ],
    ids=["14-digits", "9999-plus-1s", "bigint-max", "past-bigint", "last-second"],
)
@pytest.mark.parametrize("good_lines", [0, 2, 2500])  # alone in its object, and among good lines
def test_a_vpc_start_out_of_range_has_no_date_and_the_object_lands(
    lake: Lake, deliver: Deliver, query: Query, start: str, value: int | None, day: str | None, good_lines: int
) -> None:
    lines = [VPC_GOOD] * good_lines
    lines.insert(good_lines // 2, _vpc(start))
    _landed(lake, deliver(lines), good_lines + 1)
    columns = 'start, "end", "date", day, timestamp, time_source'
    rows = query(f"SELECT {columns}, count(*) FROM vpc_flow_logs GROUP BY 1, 2, 3, 4, 5, 6")
    good = (1418530010, 1418530070, date(2014, 12, 14), "2014/12/14", datetime(2014, 12, 14, 4, 6, 50), "parsed")
    # A start past the format's 10 digits is not read as the event's time: the record's time, as for any line.
    crafted = (value, 1418530070, date(9999, 12, 31) if day else None, day, _record_time(good_lines // 2), "source")
    expected = [(*good, good_lines)] * (good_lines > 0) + [(*crafted, 1)]
    assert sorted(rows, key=lambda r: (r[0] is None, r[0] or 0)) == sorted(
        expected, key=lambda r: (r[0] is None, r[0] or 0)
    )


WAF = importlib.import_module("loglake.transform.parsers.waf").EXAMPLES[0].message
"""AWS WAF developer guide's example record (the parser's own example; tests/events/ATTRIBUTION.md)."""


@pytest.mark.parametrize("crafted", ["9223372036854775807", "-9223372036854775807", "253402300800000"])
def test_a_waf_timestamp_out_of_range_has_no_date_and_the_object_lands(
    lake: Lake, deliver: Deliver, query: Query, crafted: str
) -> None:
    _landed(lake, deliver([WAF, WAF.replace("1576280412771", crafted, 1), WAF]), 3)
    rows = query('SELECT event_id, timestamp, time_source, "date", action FROM waf_logs ORDER BY event_id')
    # WAF's `timestamp` is the event time in ms: a record's out of range is replaced by the record's time.
    assert rows == [
        ("e0", 1576280412771, "parsed", "2019/12/13", "BLOCK"),
        ("e1", T0 + 1, "source", None, "BLOCK"),
        ("e2", 1576280412771, "parsed", "2019/12/13", "BLOCK"),
    ]


EXTREME_NUMBERS = (
    "0", "-1", "253402300799", "253402300800", "14185300530010", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "99999999999999999999999", "1e400", "1.5e308", "0.0000000001",
)  # fmt: skip
"""Edges of epoch seconds, of INT64 and beyond: the numbers that failed whole objects above, and their kin."""
EXAMPLES = {p.name: [e.message for e in importlib.import_module(type(p).__module__).EXAMPLES] for p in PARSERS}


def _with_extreme_numbers(examples: list[str]) -> list[str]:
    """Each example once per (digit run, extreme number): the run replaced by the number."""
    return [
        text[: run.start()] + number + text[run.end() :]
        for text in examples
        for run in re.finditer(r"[0-9]+", text)
        for number in EXTREME_NUMBERS
    ]


@pytest.mark.parametrize("parser", sorted(name for name, examples in EXAMPLES.items() if examples))
def test_every_number_of_every_example_may_be_extreme(lake: Lake, deliver: Deliver, parser: str) -> None:
    """A sweep: in each of the parser's examples, every digit run in turn takes every extreme number, all in one
    raw object. The object lands (it failed for OTLP, VPC and WAF records before the range tests), and every
    event is clean or quarantined once."""
    lines = _with_extreme_numbers(EXAMPLES[parser])
    assert lines, parser
    [result] = deliver(lines)
    assert result.manifest.clean_rows + result.manifest.quarantined_rows == result.manifest.events == len(lines)
    with DuckDBEngine(lake.store) as engine:
        assert check_conservation(engine, engine.store).ok
