"""lambda_text reads its time through the `matched_iso_fraction` path: the values ll_parse_time gave, on crafted
lines of both of Lambda's shapes and their near misses."""

from __future__ import annotations

from datetime import datetime

from conftest import matched_time_rows
from loglake.transform import timestamps
from loglake.transform.parsers.lambda_text import _TIME, LambdaTextParser

R = "1c8df7d3-xmpl-46da-9778-518e6eca8125"
_LINES = [
    f"[INFO]\t2020-01-31T22:12:58.534Z\t{R}\t## EVENT\n",
    f"2019-06-07T19:11:20.562Z\t{R}\tERROR\tInvoke Error\n",
    f"[ERROR]  2020-01-31T22:12:58Z   {R}  spaces for the tabs",
    f"2020-01-31T22:12:58.123456789Z\t{R}\tINFO\tnine digits",
    f"2020-01-31T22:12:58.1234567890Z\t{R}\tINFO\tten digits",
    f"[WARN]\t2020-01-31T22:12:58.1234567890123Z\t{R}\tthirteen digits",
    f"2026-02-29T00:00:00Z\t{R}\tINFO\tFeb 29 2026",
    f"2026-11-26T24:00:00Z\t{R}\tINFO\t24:00",
    f"2026-11-26T23:59:60Z\t{R}\tINFO\t23:59:60",
    f"2026-11-26T10:00:00.Z\t{R}\tINFO\ta dot without digits",
    f"2026-11-26T10:00:00+01:00\t{R}\tINFO\tan offset, not Z",
    f"2026-11-26 10:00:00Z\t{R}\tINFO\ta space for the T",
    "2026-11-26T10:00:00Z\tnot-a-request-id\tINFO\tx",
    f"2026-11-26T10:00:00Z\t{R}\tINFO",
    "plain words",
    "",
]


def test_the_time_takes_the_matched_iso_fraction_path_with_the_cascade_s_values() -> None:
    """Both of the pattern's time groups are _TIME, a part of timestamps.ISO_FRACTION (`T`, `Z`), and the time is
    the one the line has ('' for a line the pattern does not match): a full match of ISO_FRACTION or ''."""
    parser = LambdaTextParser()
    plan = parser.plan(None, 5)
    assert plan.time_format == "matched_iso_fraction"
    assert parser.pattern.count(_TIME) == 2 and _TIME == r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"
    rows = matched_time_rows(parser, _LINES, timestamps.ISO_FRACTION)
    assert len(rows) == len(_LINES) == 16
    assert [r[0] for r in rows if r[1]] == list(range(9))
    # Not a comparison of NULLs: fractions of 10 and 13 digits, Feb 29 2026 and 23:59:60 are no time the cascade
    # reads; the lines the pattern does not match have none ('').
    assert [r[0] for r in rows if r[3] is None] == [4, 5, 6, 8, *range(9, 16)]
    assert rows[0][3] == datetime(2020, 1, 31, 22, 12, 58, 534000) and rows[7][3] == datetime(2026, 11, 27)
    assert rows[3][3] == datetime(2020, 1, 31, 22, 12, 58, 123456)
