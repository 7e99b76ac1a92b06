"""The time expressions made cheaper (issue 13, item 4) give the values they gave before, on every edge.

The macros as they were are kept in timestamps_macros_4fe3b2a.sql (rendered from timestamps.MACROS at that
commit); each macro, old and new, reads the same crafted strings against the same record timestamps in two
connections, and every value must be equal. The shapes that make them cheaper are pinned on the SQL."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from loglake.transform import timestamps

_BEFORE = Path(__file__).with_name("timestamps_macros_4fe3b2a.sql").read_text()

_ISO = [
    *("2026-11-26T10:00:00Z", "2026-11-26T10:00:00z", "2026-11-26T10:00:00", "2026-11-26 10:00:00"),
    *("2026-11-26  10:00:00", "2026-11-26   10:00:00", "2026/11/26 10:00:00", "2026/11/26T10:00:00.5Z"),
    *("2026-11/26 10:00:00", "2026/11-26 10:00:00", "2026-11-26T10:00:00+01", "2026-11-26T10:00:00+0130"),
    *(
        "2026-11-26T10:00:00+01:30",
        "2026-11-26T10:00:00-05:00",
        "2026-11-26 10:00:00 +0200",
        "2026-11-26 10:00:00 -05:00",
    ),
    *("2026-11-26 10:00:00 +02", "2026-11-26 10:00:00 UTC", "2026-11-26 10:00:00 GMT", "2026-11-26 10:00:00 CEST"),
    *("2026-11-26T10:00:00+99:99", "2026-11-26T10:00:00-23:59", "2026-11-26T10:00:00+14:00", "2026-11-26T10:00:00.Z"),
    # Fractions of 0 to 9 digits, after `.` and `,`.
    *(f"2026-11-26T10:00:00{sep}{'123456789'[:n]}Z" for sep in ".," for n in range(10)),
    *(f"2026-11-26 10:00:00{sep}{'987654321'[:n]} +0100" for sep in ".," for n in range(1, 10)),
    # Days and years out of range, leap days, the ends of the calendar.
    *("2026-02-29T00:00:00Z", "2024-02-29T00:00:00Z", "2100-02-29 00:00:00", "2000-02-29 12:00:00,5"),
    *("2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-11-00T00:00:00Z"),
    *("2026-11-26T24:00:00Z", "2026-11-26T23:60:00Z", "2026-11-26T23:59:60Z", "2026-11-26T99:00:00Z"),
    *("0000-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "1000-03-01 12:00:00", "1582-10-10T00:00:00Z"),
    *("1969-12-31T23:59:59.999999Z", "1970-01-01T00:00:00-00:01", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00"),
    *("2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00+01:00"),
]
_EPOCH = [
    *("1795687200", "1795687200.", "1795687200.2", "1795687200.25", "1795687200.123456", "1795687200.1234567"),
    *("1795687200.999999999", "0000000000", "0000000000.0000001", "9999999999", "9999999999.9999999"),
    *("1795687200123", "0000000000000", "9999999999999", "1795687200123456", "0000000000000000", "9999999999999999"),
    *("179568720", "17956872001", "-1795687200", "+1795687200", "1795687200.5e3", " 1795687200", "1795687200 "),
]
_CLF = [
    *("26/Nov/2026:12:00:00 +0200", "26/Nov/2026:12:00:00 -0000", "01/Jan/0001:00:00:00 +0000"),
    *(
        "01/Jan/0000:00:00:00 -0100",
        "31/Dec/9999:23:59:59 -1400",
        "29/Feb/2024:00:00:00 +9959",
        "29/Feb/2026:00:00:00 +0000",
    ),
    *(
        "31/Apr/2026:00:00:00 +0000",
        "26/Foo/2026:12:00:00 +0200",
        "26/nov/2026:12:00:00 +0200",
        "26/Nov/2026:24:00:00 +0000",
    ),
    *("26/Nov/2026:12:00:00 +02:00", "26/Nov/2026:12:00:00", "6/Nov/2026:12:00:00 +0200"),
]
_SYSLOG = [
    *(
        "Nov 26 10:00:00",
        "Nov  6 10:00:00",
        "Nov 6 10:00:00",
        "Nov   6 10:00:00",
        "Nov 06 10:00:00",
        "Nov  26 10:00:00",
    ),
    *("Jan  1 00:00:00", "Jan  1 00:00:01", "Jan  1 23:59:59", "Jan  2 00:00:00", "Jan  2 00:00:01", "Dec 31 23:59:59"),
    *(
        "Dec 30 00:00:00",
        "Dec 31 00:00:00",
        "Feb 28 23:59:59",
        "Feb 29 00:00:00",
        "Feb 29 12:00:00",
        "Feb  29 12:00:00",
    ),
    *(
        "Feb   29 12:00:00",
        "Mar  1 00:00:00",
        "Feb 30 12:00:00",
        "Apr 31 12:00:00",
        "Jan  0 12:00:00",
        "Jan 32 12:00:00",
    ),
    *("Jan  1 24:00:00", "Jan  1 23:60:00", "Jan  1 23:59:60", "Foo 11 22:14:15", "JAN  1 00:00:00", "jan  1 00:00:00"),
    *("Mar  7 12:00:01", "Jun 30 23:59:59", "Jul  1 00:00:00", "Nov 27 12:00:00", "Nov 28 12:00:00", "Nov 28 12:00:01"),
]
_CTIME = [
    *("Thu Nov 26 10:00:00 2026", "Thu Nov 26 10:00:00.1 2026", "Thu Nov 26 10:00:00.123456 2026"),
    *("Mon Feb  2 01:02:03 2026", "Mon Feb  2 01:02:03.5 2026", "Mon Feb 30 01:02:03 2026", "Fri Nov 26 10:00:00 2026"),
    *(
        "Thu Feb 29 10:00:00 2024",
        "Thu Feb 29 10:00:00.25 2026",
        "Thu Nov 26 25:00:00.1 2026",
        "Thu Nov  26 10:00:00 2026",
    ),
]
_TOMCAT = [
    *("26-Nov-2026 10:00:00", "26-Nov-2026 10:00:00.1", "26-Nov-2026 10:00:00.123456", "29-Feb-2024 10:00:00.5"),
    *("30-Feb-2026 10:00:00", "30-Feb-2026 10:00:00.5", "26-Nov-2026 24:00:00.5", "26-Foo-2026 10:00:00"),
]
_OTHER = [
    *("", " ", "not a time", "12:00", "I1126 10:00:00.123456", "Thu Nov 26 10:00:00 CET 2026", "2026-11-26"),
    *("2026-11-26T10:00:00Z\n", "2026-11-26T10:00:00Z\r", "\n2026-11-26T10:00:00Z", "Nov 26 10:00:00\r\n"),
    *("Nov 26 10:00:00é", "２０２６-11-26T10:00:00Z", "Nov 26 10:00:00 2026", "Nov\t26 10:00:00", "'Nov 26 10:00:00'"),
]
TEXTS: list[str | None] = [*_ISO, *_EPOCH, *_CLF, *_SYSLOG, *_CTIME, *_TOMCAT, *_OTHER, None]

_DAY_MS = 86_400_000
REFS: list[int | None] = [
    1_795_780_800_000,  # 2026-11-27T12:00Z
    1_795_780_800_000 - _DAY_MS,  # 2026-11-26T12:00Z: Nov 27 12:00:00 is a day ahead, exactly
    1_767_225_600_000,  # 2026-01-01T00:00Z: a December line read in January
    1_767_225_600_000 - _DAY_MS,  # 2025-12-31T00:00Z: Jan 1 00:00:00 is a day ahead, exactly
    1_767_225_600_000 - 1,  # 2025-12-31T23:59:59.999Z
    1_740_787_200_000,  # 2025-03-01: Feb 29 is 2024's
    1_709_251_200_000,  # 2024-03-01: a leap year
    1_709_164_800_000,  # 2024-02-29T00:00Z
    1_705_276_800_000,  # 2024-01-15: this year's Feb 29 is over a day ahead, and 2023 has none
    1_772_323_200_000,  # 2026-03-01: neither 2026 nor 2025 has a Feb 29
    951_782_400_000,  # 2000-02-29T00:00Z: a leap century
    4_107_542_400_000,  # 2100-03-01: not a leap century
    0,  # 1970-01-01: the year before is 1969
    -1,  # 1969-12-31T23:59:59.999Z
    -62_135_596_800_000,  # 0001-01-01: the year before is year 0
    253_402_300_799_999,  # 9999-12-31T23:59:59.999Z, the lake's last
    None,
]

_MACROS = [
    "ll_parse_time(t, r)",
    *(f"ll_parse_time_{name}(t, r)" for name in list(timestamps.TIME_FORMATS)[1:]),
    "ll_yearless(replace(t, '  ', ' '), r)",
    "ll_yearless(t, r)",
    "ll_iso(t)",
    "ll_year_before(try_strptime(t || ' 2026', '%b %d %H:%M:%S %Y'), r)",
]


def _values(macros: str) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(macros)
    return con.execute(
        f"SELECT i, j, {', '.join(_MACROS)} FROM (SELECT unnest($texts::VARCHAR[]) AS t, "
        "generate_subscripts($texts::VARCHAR[], 1) AS i), (SELECT unnest($refs::BIGINT[]) AS r, "
        "generate_subscripts($refs::BIGINT[], 1) AS j) ORDER BY i, j",
        {"texts": TEXTS, "refs": REFS},
    ).fetchall()


def test_every_time_expression_gives_the_values_it_gave_before() -> None:
    """ll_parse_time, each fast path, ll_yearless, ll_iso, ll_year_before: old and new, every string against
    every record timestamp (Feb 29, the Dec/Jan rollover and its one-day slack to the millisecond, two and
    three spaces before a day, fractions of 0-9 digits, offsets, days, hours and years out of range)."""
    before, after = _values(_BEFORE), _values(timestamps.MACROS)
    assert len(after) == len(TEXTS) * len(REFS) == 194 * 17
    differ = [(TEXTS[row[0] - 1], REFS[row[1] - 1]) for row, old in zip(after, before, strict=True) if row != old]
    assert differ == []
    # Not a comparison of NULLs: how many (string, record time) pairs each macro reads.
    read = [sum(row[2 + k] is not None for row in after) for k in range(len(_MACROS))]
    assert read == [2079, *([2079] * 7), 443, 438, 1292, 442]


def test_the_syslog_year_rule_on_the_fast_path() -> None:
    """ll_parse_time_syslog's own values across the year's turn (its cascade branch is compared above)."""
    con = duckdb.connect()
    con.execute(timestamps.MACROS)
    cases = [
        ("Dec 31 23:59:59", 1_767_225_600_000, datetime(2025, 12, 31, 23, 59, 59)),
        ("Dec 31 23:59:59", 1_767_225_600_000 - 1, datetime(2025, 12, 31, 23, 59, 59)),
        ("Jan  1 00:00:01", 1_767_225_600_000, datetime(2026, 1, 1, 0, 0, 1)),
        ("Jan  2 00:00:00", 1_767_225_600_000, datetime(2026, 1, 2, 0, 0, 0)),  # a day ahead exactly: this year
        ("Jan  2 00:00:01", 1_767_225_600_000, datetime(2025, 1, 2, 0, 0, 1)),
        ("Feb 29 12:00:00", 1_740_787_200_000, datetime(2024, 2, 29, 12, 0, 0)),
        ("Feb 29 12:00:00", 1_709_164_800_000, datetime(2024, 2, 29, 12, 0, 0)),  # read on the day itself
        ("Mar  1 12:00:00", 1_709_164_800_000, datetime(2023, 3, 1, 12, 0, 0)),
        ("Feb 29 12:00:00", 1_772_323_200_000, None),
        ("Feb 30 12:00:00", 1_772_323_200_000, None),
        ("2026-11-26T10:00:00Z", 1_772_323_200_000, datetime(2026, 11, 26, 10, 0, 0)),  # not syslog: the cascade
    ]
    got = con.execute(
        "SELECT ll_parse_time_syslog(t, r) FROM (SELECT unnest($t::VARCHAR[]) AS t, unnest($r::BIGINT[]) AS r, "
        "generate_subscripts($t::VARCHAR[], 1) AS i) ORDER BY i",
        {"t": [c[0] for c in cases], "r": [c[1] for c in cases]},
    ).fetchall()
    assert got == [(c[2],) for c in cases]


def _projections(plan: dict[str, object]) -> list[str]:
    found = []
    extra = plan.get("extra_info")
    if plan.get("name") == "PROJECTION" and isinstance(extra, dict):
        found.append(str(extra.get("Projections", "")))
    for child in plan.get("children", []):  # type: ignore[attr-defined]
        found += _projections(child)
    return found


def test_the_syslog_fast_path_reads_each_time_once() -> None:
    """Under the fast path's CASE, ll_year_before's four mentions of the strptime each ran it again (36 ms per
    50,000 lines; its parts cost 11). Its first mention is now on every row's path, which DuckDB's optimizer
    computes once in a projection below, and every branch reads that column (20 ms)."""
    con = duckdb.connect()
    con.execute(timestamps.MACROS)
    con.execute("CREATE TABLE lines AS SELECT 'Nov 26 10:00:00' AS t, 1795780800000 AS r")
    plan = json.loads(
        con.execute("EXPLAIN (FORMAT JSON) SELECT ll_parse_time_syslog(t, r) FROM lines").fetchall()[0][1]
    )
    top, *below = _projections(plan[0])
    assert [p for p in below if "try_strptime(" in p and "'%b %d %H:%M:%S %Y'" in p] != []
    assert "try_strptime(" in top  # the cascade's own syslog branch, for a string that is not a syslog time


def test_times_in_utc_without_icu() -> None:
    """`AT TIME ZONE 'UTC'` converts through ICU (4 ms per 50,000 times); a TIMESTAMPTZ is a count of UTC
    microseconds, which make_timestamp reads as the same wall time (compared above on years 0-9999)."""
    assert "AT TIME ZONE" not in timestamps.MACROS
    assert "ll_utc(t) AS (make_timestamp(epoch_us(t)))" in timestamps.MACROS


def _rfc3339_times() -> list[str]:
    """RFC 3339 times of every shape timestamps.RFC3339 takes, valid and not: fractions of 1-9 digits, `Z`,
    offsets with and without `:`, leap days, 23:59:60, 24:00, years 0000/0001/9999, days and months out of range."""
    dates = [
        *("2026-11-26", "2024-02-29", "2026-02-29", "2100-02-29", "2000-02-29", "2026-02-30", "2026-04-31"),
        *("2026-13-01", "2026-00-10", "2026-11-00", "2026-11-32", "0000-01-01", "0001-01-01", "9999-12-31"),
        *("1969-12-31", "1970-01-01", "1582-10-10", "2026-12-31", "2027-01-01"),
    ]
    clocks = ["00:00:00", "23:59:59", "23:59:60", "24:00:00", "23:60:00", "99:00:00", "10:00:00"]
    fractions = ["", *(f".{'123456789'[:n]}" for n in range(1, 10)), ".000000", ".999999999", ".000000001"]
    zones = [
        *("Z", "+00:00", "-00:00", "+01:00", "-05:00", "+05:30", "+14:00", "-14:00", "+23:59", "-23:59", "+24:00"),
        *("+99:99", "+0000", "+0130", "-0800", "+9999"),
    ]
    times = [f"{d}T{c}{f}{z}" for d in dates for c in clocks for f in fractions[:3] for z in zones[:4]]
    times += [f"{d}T10:00:00{f}{z}" for d in dates[:6] for f in fractions for z in zones]
    return times


def _old_and_new(query: str, args: dict[str, object], old: str, new: str) -> tuple[list[Any], list[Any]]:
    """`query` (a `{}` for the expressions) run with the 4fe3b2a macros and `old`, then with today's and `new`,
    each on a connection of its own in UTC: the rows of each."""
    before, after = duckdb.connect(), duckdb.connect()
    for con, macros in ((before, _BEFORE), (after, timestamps.MACROS)):
        con.execute("SET TimeZone = 'UTC'")
        con.execute(macros)
    return before.execute(query.format(old), args).fetchall(), after.execute(query.format(new), args).fetchall()


def _matched_and_cascade(texts: list[str | None], shape: str, time_format: str) -> tuple[list[Any], list[Any]]:
    """The old ll_parse_time's rows and the MATCHED_FORMATS path `time_format`'s, (position, value) in order, of
    `texts` (each '', NULL or a full match of `shape`) against the record time 2026-11-27T12:00Z."""
    assert all(t is None or t == "" or re.fullmatch(shape, t) for t in texts)
    query = (
        "SELECT i, {} FROM (SELECT unnest($texts::VARCHAR[]) AS t, generate_subscripts($texts::VARCHAR[], 1) AS i, "
        "1795780800000 AS r) ORDER BY i"
    )
    return _old_and_new(query, {"texts": texts}, "ll_parse_time(t, r)", f"ll_parse_time_{time_format}(t, r)")


def test_the_matched_rfc3339_path_gives_the_cascade_s_value() -> None:
    """ll_parse_time_matched_rfc3339 (a cast, no test) against the old ll_parse_time, on RFC 3339 times, '' and
    NULL, the strings a parser may give it (timestamps.MATCHED_FORMATS)."""
    texts: list[str | None] = [*_rfc3339_times(), "", None]
    old, new = _matched_and_cascade(texts, timestamps.RFC3339, "matched_rfc3339")
    assert len(new) == len(texts) == 2846
    assert [texts[row[0] - 1] for row, was in zip(new, old, strict=True) if row != was] == []
    assert sum(row[1] is not None for row in new) == 1064  # not a comparison of NULLs: how many it reads
    assert new[0][1] == datetime(2026, 11, 26)
    assert "regexp_full_match" not in timestamps.parse_time_expression("t", "r", "matched_rfc3339")


def test_the_matched_iso_seconds_path_gives_the_cascade_s_value() -> None:
    """ll_parse_time_matched_iso_seconds (a cast, no test) against the old ll_parse_time, on every date of
    _rfc3339_times at every clock (days, months, hours and minutes out of range, 23:59:60, 24:00, years 0000 and
    9999), '' and NULL: the strings nginx_error gives it (its time with `/` made `-`)."""
    dates = sorted({t[:10] for t in _rfc3339_times()})
    clocks = ["00:00:00", "23:59:59", "23:59:60", "24:00:00", "23:60:00", "99:00:00", "10:00:00", "00:00:99"]
    texts: list[str | None] = [*(f"{d} {c}" for d in dates for c in clocks), "", None]
    old, new = _matched_and_cascade(texts, timestamps.ISO_SECONDS, "matched_iso_seconds")
    assert len(new) == len(texts) == 19 * 8 + 2
    assert [texts[row[0] - 1] for row, was in zip(new, old, strict=True) if row != was] == []
    assert sum(row[1] is not None for row in new) == 11 * 4  # 11 real dates at 00:00, 10:00, 23:59:59 and 24:00
    assert new[0][1] == "0001-01-01 (BC) 00:00:00"  # 0000-01-01: the cast reads year 0 (as the cascade does)
    assert new[12 * 8][1] == datetime(2026, 11, 26)  # 2026-11-26 00:00:00
    assert "regexp_full_match" not in timestamps.parse_time_expression("t", "r", "matched_iso_seconds")


def test_the_matched_iso_fraction_path_gives_the_cascade_s_value() -> None:
    """ll_parse_time_matched_iso_fraction (no full match) against the old ll_parse_time, on times of
    timestamps.ISO_FRACTION's every shape: `T` and a space, fractions of 0-12 digits, no zone, `Z`, `+hh:mm` and
    `-hh:mm` (out of range too), dates and clocks out of range, '' and NULL: the strings MySQL's error and general
    logs and Lambda's text lines give it."""
    dates = ["2026-11-26", "2024-02-29", "2026-02-29", "2026-13-01", "0000-01-01", "9999-12-31", "1969-12-31"]
    clocks = ["00:00:00", "23:59:59", "23:59:60", "24:00:00"]
    fractions = ["", *(f".{'123456789012'[:n]}" for n in range(1, 13))]
    zones = ["", "Z", "+05:30", "-08:00", "+99:99", "-00:00"]
    texts: list[str | None] = [
        f"{d}{sep}{c}{f}{z}" for d in dates for sep in "T " for c in clocks for f in fractions for z in zones
    ]
    texts += ["", None]
    old, new = _matched_and_cascade(texts, timestamps.ISO_FRACTION, "matched_iso_fraction")
    assert len(new) == len(texts) == 7 * 2 * 4 * 13 * 6 + 2
    assert [texts[row[0] - 1] for row, was in zip(new, old, strict=True) if row != was] == []
    # Not a comparison of NULLs: 5 real dates, both separators, every zone, at 00:00 and 23:59:59 with fractions of
    # 0-9 digits and at 24:00 without one; never a fraction of 10 digits or more (the cascade reads none).
    assert sum(row[1] is not None for row in new) == 5 * 2 * 6 * (2 * 10 + 1)
    assert sum(row[1] is not None for row, t in zip(new, texts, strict=True) if t and re.search(r"\d{10}", t)) == 0
    assert new[0][1] == datetime(2026, 11, 26)
    assert "regexp" not in timestamps.parse_time_expression("t", "r", "matched_iso_fraction")


def test_the_matched_zone_named_path_gives_the_cascade_s_value() -> None:
    """ll_parse_time_matched_zone_named (no full match) against the old ll_parse_time, on times of
    timestamps.ZONE_NAMED's every shape: zones the cascade reads (UTC, GMT) and not (CEST, EST, UT, ABCDE, UTCX),
    fractions of 0-12 digits, dates and clocks out of range, '' and NULL: the strings rds_postgresql gives it."""
    dates = ["2026-11-26", "2024-02-29", "2026-02-29", "2026-13-01", "0000-01-01", "9999-12-31", "1969-12-31"]
    clocks = ["00:00:00", "23:59:59", "23:59:60", "24:00:00", "99:00:00"]
    fractions = ["", *(f".{'123456789012'[:n]}" for n in range(1, 13))]
    zones = ["UTC", "GMT", "CEST", "EST", "UT", "ABCDE", "UTCX"]
    texts: list[str | None] = [f"{d} {c}{f} {z}" for d in dates for c in clocks for f in fractions for z in zones]
    texts += ["", None]
    old, new = _matched_and_cascade(texts, timestamps.ZONE_NAMED, "matched_zone_named")
    assert len(new) == len(texts) == 7 * 5 * 13 * 7 + 2
    assert [texts[row[0] - 1] for row, was in zip(new, old, strict=True) if row != was] == []
    # Not a comparison of NULLs: 5 real dates, UTC and GMT, at 00:00 and 23:59:59 with fractions of 0-9 digits and
    # at 24:00 without one.
    assert sum(row[1] is not None for row in new) == 5 * 2 * (2 * 10 + 1)
    assert new[0][1] == datetime(2026, 11, 26)
    assert "regexp_full_match" not in timestamps.parse_time_expression("t", "r", "matched_zone_named")


def test_the_matched_syslog_path_gives_the_cascade_s_value() -> None:
    """ll_parse_time_matched_syslog (its strptime, no full match) against the old ll_parse_time and fast path, on
    every single-spaced syslog time of the crafted ones (yearless: Feb 29, the year's turn, days and hours out of
    range, `Foo` for a month), '' and NULL, each against every record time."""
    singles = sorted({re.sub(" +", " ", t) for t in _SYSLOG if re.fullmatch(timestamps.TIME_FORMATS["syslog"][0], t)})
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Foo")
    singles += [
        f"{m} {d} {c}" for m in months for d in ("1", "01", "28", "29", "30", "31") for c in ("00:00:00", "23:59:59")
    ]
    texts: list[str | None] = [*singles, "", None]
    assert all(t is None or t == "" or re.fullmatch(timestamps.TIME_FORMATS["syslog"][0], t) for t in texts)
    assert not any(t and "  " in t for t in texts)
    query = (
        "SELECT i, j, {} FROM (SELECT unnest($texts::VARCHAR[]) AS t, generate_subscripts($texts::VARCHAR[], 1) AS i), "
        "(SELECT unnest($refs::BIGINT[]) AS r, generate_subscripts($refs::BIGINT[], 1) AS j) ORDER BY i, j"
    )
    old, rows = _old_and_new(
        query,
        {"texts": texts, "refs": REFS},
        "ll_parse_time(t, r), ll_parse_time_syslog(t, r)",
        "ll_parse_time_matched_syslog(t, r), ll_parse_time_matched_syslog(t, r)",
    )
    assert len(rows) == len(texts) * len(REFS) == 187 * 17
    assert [(texts[r[0] - 1], REFS[r[1] - 1]) for r, was in zip(rows, old, strict=True) if r != was] == []
    assert sum(r[2] is not None for r in rows) == 2416  # not a comparison of NULLs: how many it reads
    assert "regexp_full_match" not in timestamps.MACROS.split("ll_parse_time_matched_syslog_read(s, t, ref_ms)")[1]


def test_the_rfc3339_path_gives_the_cascade_s_value() -> None:
    """ll_parse_time_rfc3339 (RFC 3339's full match, its cast; any other string the cascade) against the old
    ll_parse_time on every crafted string of every format (not RFC 3339: the cascade), the RFC 3339 times of
    _rfc3339_times, Docker's RFC3339Nano with CR/LF, blanks and non-ASCII around it, each against every record
    time; the new value on every row, not only where the strings match."""
    docker = "2026-11-26T00:00:00.123456789Z"
    around = [docker + "\n", " " + docker, docker + " ", docker.replace("T", " "), docker.replace("Z", "z")]
    around += [docker.replace("-", "/"), docker.replace(".", ","), docker + "é", "２" + docker[1:], docker[:-1]]
    texts: list[str | None] = [*TEXTS, *_rfc3339_times()[::7], docker, *around]
    query = (
        "SELECT i, j, {} FROM (SELECT unnest($texts::VARCHAR[]) AS t, generate_subscripts($texts::VARCHAR[], 1) AS i), "
        "(SELECT unnest($refs::BIGINT[]) AS r, generate_subscripts($refs::BIGINT[], 1) AS j) ORDER BY i, j"
    )
    args = {"texts": texts, "refs": REFS}
    old, new = _old_and_new(query, args, "ll_parse_time(t, r)", "ll_parse_time_rfc3339(t, r)")
    assert len(new) == len(texts) * len(REFS)
    assert [(texts[r[0] - 1], REFS[r[1] - 1]) for r, was in zip(new, old, strict=True) if r != was] == []
    assert sum(bool(t) and re.fullmatch(timestamps.RFC3339, t) is not None for t in texts) == 445
    assert sum(r[2] is not None for r in new) == 4629  # not a comparison of NULLs: how many it reads
    assert timestamps.parse_time_expression("t", "r", "rfc3339") == "ll_parse_time_rfc3339(t, r)"


def test_the_epoch_ms_number_path_gives_the_cascade_s_value() -> None:
    """ll_parse_time_epoch_ms_number(n) (WAF's BIGINT milliseconds) against the old ll_parse_time of
    CAST(n AS VARCHAR): every number of 1 to 18 digits at its ends and in between, both signs, 0, BIGINT's ends,
    NULL, each against every record time."""
    numbers: list[int | None] = [0, None, 2**63 - 1, -(2**63)]
    for digits in range(1, 19):
        low, high = 10 ** (digits - 1), 10**digits - 1
        numbers += [low, low + 1, (low + high) // 2, high - 1, high, -low, -high]
    numbers += [1_795_687_200_123, 1_576_280_412_771, 253_402_300_799_999, 999_999_999_999, 10_000_000_000_000]
    query = (
        "SELECT i, j, {} FROM (SELECT unnest($n::BIGINT[]) AS n, generate_subscripts($n::BIGINT[], 1) AS i), "
        "(SELECT unnest($refs::BIGINT[]) AS r, generate_subscripts($refs::BIGINT[], 1) AS j) ORDER BY i, j"
    )
    old, new = _old_and_new(
        query,
        {"n": numbers, "refs": REFS},
        "ll_parse_time(CAST(n AS VARCHAR), r)",
        f"ll_parse_time_{timestamps.EPOCH_MS_NUMBER}(n, r)",
    )
    assert len(new) == len(numbers) * len(REFS) == 135 * 17
    assert [(numbers[r[0] - 1], REFS[r[1] - 1]) for r, was in zip(new, old, strict=True) if r != was] == []
    # read: positive numbers of 10 digits (seconds), 13 (milliseconds) and 16 (microseconds), 5 of each, and the
    # two more of 13 digits (the other three have 15, 12 and 14)
    assert sum(r[2] is not None for r in new) == (15 + 2) * len(REFS)
    expression = timestamps.parse_time_expression("n", "r", timestamps.EPOCH_MS_NUMBER)
    assert expression == "ll_parse_time_epoch_ms_number(n, r)"
