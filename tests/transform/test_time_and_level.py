from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from conftest import macro_connection
from loglake.transform import levels, timestamps


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return macro_connection()


REF_MS = 1_795_780_800_000  # 2026-11-27T12:00Z, gives the year to syslog stamps


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-11-26T10:00:00Z", datetime(2026, 11, 26, 10, 0, 0)),
        ("2026-11-26T10:00:00.123456789Z", datetime(2026, 11, 26, 10, 0, 0, 123456)),
        ("2026-11-26T11:30:00+01:30", datetime(2026, 11, 26, 10, 0, 0)),
        ("2026-11-26T05:00:00.5-0500", datetime(2026, 11, 26, 10, 0, 0, 500000)),
        ("2026-11-26 10:00:00,250", datetime(2026, 11, 26, 10, 0, 0, 250000)),
        ("2026-11-26 10:00:00", datetime(2026, 11, 26, 10, 0, 0)),
        ("26/Nov/2026:12:00:00 +0200", datetime(2026, 11, 26, 10, 0, 0)),
        ("Nov 26 10:00:00", datetime(2026, 11, 26, 10, 0, 0)),
        ("Nov  6 10:00:00", datetime(2026, 11, 6, 10, 0, 0)),
        ("1795687200", datetime(2026, 11, 26, 10, 0, 0)),
        ("1795687200.25", datetime(2026, 11, 26, 10, 0, 0, 250000)),
        ("1795687200123", datetime(2026, 11, 26, 10, 0, 0, 123000)),
        ("1795687200123456", datetime(2026, 11, 26, 10, 0, 0, 123456)),
        ("not a time", None),
        ("2026-13-40T99:00:00Z", None),
        ("12:00", None),
        # Common log layouts beyond RFC 3339.
        ("2026-11-26  10:00:00", datetime(2026, 11, 26, 10, 0, 0)),  # apt's history.log: two spaces
        ("2026/11/26 10:00:00", datetime(2026, 11, 26, 10, 0, 0)),  # Go's log package
        ("2026/11/26 10:00:00.123456", datetime(2026, 11, 26, 10, 0, 0, 123456)),
        ("2026-11-26 12:00:00 +0200", datetime(2026, 11, 26, 10, 0, 0)),  # a zone after a space is applied
        ("2026-11-26 05:00:00 -05:00", datetime(2026, 11, 26, 10, 0, 0)),
        ("2026-11-26 10:00:00 UTC", datetime(2026, 11, 26, 10, 0, 0)),
        ("2026-11-26 10:00:00 GMT", datetime(2026, 11, 26, 10, 0, 0)),
        ("Thu Nov 26 10:00:00 2026", datetime(2026, 11, 26, 10, 0, 0)),  # ctime, httpd
        ("Thu Nov 26 10:00:00.123456 2026", datetime(2026, 11, 26, 10, 0, 0, 123456)),
        ("26-Nov-2026 10:00:00.123", datetime(2026, 11, 26, 10, 0, 0, 123000)),  # Tomcat
        # Never guessed: an ambiguous zone name, a yearless klog stamp.
        ("2026-11-26 10:00:00 CEST", None),
        ("2026-11-26 10:00:00 IST", None),
        ("I1126 10:00:00.123456", None),
        ("Thu Nov 26 10:00:00 CET 2026", None),
    ],
)
def test_times_normalise_to_utc(con: duckdb.DuckDBPyConnection, text: str, utc: datetime | None) -> None:
    assert con.execute("SELECT ll_parse_time(?, ?)", [text, REF_MS]).fetchall() == [(utc,)]


@pytest.mark.parametrize(
    ("text", "ref_ms", "utc"),
    [
        # The record's year, unless that puts the event over a day after the record: then the year before.
        ("Dec 31 23:59:59", 1_767_225_600_000, datetime(2025, 12, 31, 23, 59, 59)),  # read 2026-01-01T00:00Z
        ("Jan  1 00:00:01", 1_767_225_600_000, datetime(2026, 1, 1, 0, 0, 1)),
        ("Jan  1 23:59:59", 1_767_225_600_000, datetime(2026, 1, 1, 23, 59, 59)),  # within the day's slack
        ("Jan  2 00:00:01", 1_767_225_600_000, datetime(2025, 1, 2, 0, 0, 1)),
        ("Feb 29 12:00:00", 1_740_787_200_000, datetime(2024, 2, 29, 12, 0, 0)),  # read 2025-03-01: 2024's
        ("Feb 29 12:00:00", 1_709_251_200_000, datetime(2024, 2, 29, 12, 0, 0)),  # read 2024-03-01
        ("Feb 29 12:00:00", 1_772_323_200_000, None),  # read 2026-03-01: neither 2026 nor 2025 has one
    ],
)
def test_yearless_syslog_times_take_the_year_that_precedes_the_record(
    con: duckdb.DuckDBPyConnection, text: str, ref_ms: int, utc: datetime | None
) -> None:
    assert con.execute("SELECT ll_parse_time(?, ?)", [text, ref_ms]).fetchall() == [(utc,)]


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("2026-11-26 10:00:00,250 ERROR [main] x - y", "2026-11-26 10:00:00,250"),
        ("[2026-11-26T10:00:00+01:00] [warn] cache", "2026-11-26T10:00:00+01:00"),
        ('1.2.3.4 - - [26/Nov/2026:12:00:00 +0200] "GET / HTTP/1.1" 200 1', "26/Nov/2026:12:00:00 +0200"),
        ("<34>Nov 26 10:00:00 host su: x", "Nov 26 10:00:00"),
        ("no time here", None),
        # apt's history.log and term.log, dpkg.log, update-alternatives.log
        ("Start-Date: 2025-06-24  14:36:25", "2025-06-24  14:36:25"),
        ("End-Date: 2025-06-24  14:36:31", "2025-06-24  14:36:31"),
        ("Log started: 2025-06-24  14:36:25", None),  # two words before the time: not read
        ("2025-06-24 14:36:25 status installed man-db:amd64 2.12.0-4build2", "2025-06-24 14:36:25"),
        (
            "update-alternatives 2025-06-24 14:36:53: run with --install /usr/bin/x x /usr/bin/y 50",
            "2025-06-24 14:36:53",
        ),
        ("2025-06-24 14:36:25,123 - app.db - WARNING - slow query", "2025-06-24 14:36:25,123"),  # Python logging
        ("2025-06-24 14:36:25.123  INFO 4242 --- [main] o.s.b.App : Started", "2025-06-24 14:36:25.123"),  # Java
        ("2025/06/24 14:36:25 http: TLS handshake error", "2025/06/24 14:36:25"),  # Go's log package
        ("INFO 2025-06-24T14:36:25Z worker started", "2025-06-24T14:36:25Z"),  # a level first
        ("[warn] 2025-06-24 14:36:25 cache cold", "2025-06-24 14:36:25"),
        ("[Tue Jun 24 14:36:25.123456 2025] [php:error] x", "Tue Jun 24 14:36:25.123456 2025"),
        ("Tue Jun 24 14:36:25 2025 backup done", "Tue Jun 24 14:36:25 2025"),  # ctime, asctime
        ("24-Jun-2025 14:36:25.123 INFO [main] org.apache.catalina.startup.Catalina.start", "24-Jun-2025 14:36:25.123"),
        ("2025-06-24 14:36:25 +0200 git: fetched", "2025-06-24 14:36:25 +0200"),
        ("2025-06-24 14:36:25 CEST job ran", "2025-06-24 14:36:25 CEST"),  # kept whole, so not read as UTC
        ("2025-06-24 14:36:25 INFO job ran", "2025-06-24 14:36:25"),
        # No time to read: a time after an ordinary word is not the event's, klog has no year.
        ("Expires 2027-01-01 00:00:00, renew before", None),
        ("I0624 14:36:25.123456       1 main.go:42] starting", None),
        ("Tue Jun 24 14:36:25 CEST 2025 backup done", None),
    ],
)
def test_text_lines_give_their_time(con: duckdb.DuckDBPyConnection, line: str, found: str | None) -> None:
    sql = f"SELECT {timestamps.text_time_expression('m')} FROM (SELECT ? AS m)"
    assert con.execute(sql, [line]).fetchall() == [(found,)]


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("warning", "WARN"),
        ("Err", "ERROR"),
        ("CRITICAL", "FATAL"),
        ("notice", "INFO"),
        ("30", "INFO"),
        ("50", "ERROR"),
        ("verbose", "VERBOSE"),
        ("not a level", None),
        (None, None),
    ],
)
def test_level_aliases(con: duckdb.DuckDBPyConnection, value: str | None, level: str | None) -> None:
    assert con.execute("SELECT ll_level(?)", [value]).fetchall() == [(level,)]


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("2026-11-26 10:00:00 ERROR boom", "ERROR"),
        ("[2026-11-26] [warn] cache cold", "WARN"),
        ("ts=1 level=debug msg=x", "DEBUG"),
        ("INFO: starting", "INFO"),
        ("no error in this sentence", None),
        ("ERRORS happen", None),
    ],
)
def test_text_levels(con: duckdb.DuckDBPyConnection, line: str, level: str | None) -> None:
    sql = f"SELECT {levels.text_level_expression('m')} FROM (SELECT ? AS m)"
    assert con.execute(sql, [line]).fetchall() == [(level,)]


def _level_before(message: str) -> str:
    """text_level_expression as it was before text_level_word: one extraction per group."""
    head, p = f"left({message}, 256)", levels.TEXT_LEVEL_PATTERN
    return (
        f"ll_level(coalesce(nullif(regexp_extract({head}, '{p}', 1), ''), "
        f"nullif(regexp_extract({head}, '{p}', 2), ''), nullif(regexp_extract({head}, '{p}', 3), '')))"
    )


_LEVEL_EDGES = [
    "",
    "ERROR",
    " WARN ",
    "[Error] x",
    "[]",
    "level=",
    "LEVEL=Warning then ERROR",
    "x ERROR [debug] level=info",
    "[info] then ERROR",
    "level=trace [warn] FATAL:",
    "ERRORS [ERRORS] level=errors",
    "é ERROR é",
    "ünïcödé [crit]",
    "line\r\nERROR\r\n",
    "\tINFO\t",
    "a|NOTICE|b",
    "x" * 251 + " ERROR",
    "x" * 252 + " ERROR",
    "x" * 250 + " [warn]",
    "msg: PANIC, now",
    '"level": "ERROR"',
]


def test_text_level_word_gives_the_three_extractions_values(con: duckdb.DuckDBPyConnection) -> None:
    """One extraction of the three named groups (text_level_word) reads the same first match as the three
    extractions, one per group, it replaced (half the CPU on 50,000 stack traces, 116 -> 56 ms)."""
    before, after = _level_before("m"), levels.text_level_expression("m")
    assert "', 1)" not in after and after.count("regexp_extract(") == 1
    rows = con.execute(
        f"SELECT m, {before}, {after} FROM (SELECT unnest(?::VARCHAR[]) AS m)", [_LEVEL_EDGES]
    ).fetchall()
    assert len(rows) == len(_LEVEL_EDGES)
    assert [r for r in rows if r[1] != r[2] and not (r[1] is None and r[2] is None)] == []
    assert [r[2] for r in rows] == [
        *(None, "ERROR", "WARN", "ERROR", None, None, "WARN", "ERROR", "INFO", "TRACE", None),
        *("ERROR", "FATAL", "ERROR", "INFO", "INFO", None, "ERROR", None, "FATAL", None),
    ]  # 258 characters: the head ends in `ERR`, a level word too


# Each format's strings (from the cases above, and edges of each pattern), for the fast paths' tests.
_BY_FORMAT = {
    "iso": ["2026-11-26T10:00:00Z", "2026/11/26 10:00:00.123456", "2026-11-26 12:00:00 +0200", "2026-13-40T99:00:00Z"],
    "epoch_s": ["1795687200", "1795687200.25", "9999999999.9"],
    "epoch_ms": ["1795687200123", "0000000000000"],
    "epoch_us": ["1795687200123456"],
    "clf": ["26/Nov/2026:12:00:00 +0200", "10/Oct/2000:13:55:36 -0700", "31/Feb/2026:10:00:00 +0000"],
    "syslog": ["Nov 26 10:00:00", "Nov  6 10:00:00", "Feb 29 12:00:00", "Foo 99 99:99:99"],
    "ctime": ["Thu Nov 26 10:00:00 2026", "Thu Nov 26 10:00:00.123456 2026", "Mon Feb  2 01:02:03 2026"],
    "tomcat": ["26-Nov-2026 10:00:00.123", "26-Nov-2026 10:00:00"],
}
_NONE = ["not a time", "12:00", "2026-11-26 10:00:00 CEST", "I1126 10:00:00.123456", "Thu Nov 26 10:00:00 CET 2026", ""]


def test_each_time_string_matches_one_format_only(con: duckdb.DuckDBPyConnection) -> None:
    """A fast path tests its own format before the cascade: right only if no string matches two formats."""
    assert list(_BY_FORMAT) == list(timestamps.TIME_FORMATS)
    for name, texts in _BY_FORMAT.items():
        for text in texts:
            tests = ", ".join(
                f"regexp_full_match($t, '{pattern}')" for pattern, _convert in timestamps.TIME_FORMATS.values()
            )
            matched = con.execute(f"SELECT [{tests}]", {"t": text}).fetchall()[0][0]
            assert [n for n, hit in zip(timestamps.TIME_FORMATS, matched, strict=True) if hit] == [name], text


@pytest.mark.parametrize("time_format", list(timestamps.TIME_FORMATS))
def test_time_fast_paths_give_the_cascades_values(con: duckdb.DuckDBPyConnection, time_format: str) -> None:
    """The same value as ll_parse_time for every string: those of its format, of the others, none, NULL."""
    texts: list[str | None] = [t for listed in _BY_FORMAT.values() for t in listed] + _NONE + [None]
    fast = timestamps.parse_time_expression("t", "r", time_format)
    assert fast.startswith("ll_parse_time_" if time_format != "iso" else "ll_parse_time(")
    for ref_ms in (REF_MS, 1_767_225_600_000, 1_772_323_200_000):
        rows = con.execute(
            f"SELECT t, {fast}, ll_parse_time(t, r) FROM (SELECT unnest($texts::VARCHAR[]) AS t, $r::BIGINT AS r)",
            {"texts": texts, "r": ref_ms},
        ).fetchall()
        assert len(rows) == len(texts)
        assert [t for t, got, expected in rows if got != expected] == []
    assert con.execute(f"SELECT {fast} FROM (SELECT NULL::VARCHAR AS t, 0 AS r)").fetchall() == [(None,)]


def test_parsers_that_know_their_time_format_use_its_fast_path() -> None:
    """The cascade tests up to five patterns before CLF or syslog's: 10-30 ms per 50,000 lines."""
    from loglake.transform.parsers import PARSERS
    from loglake.transform.parsers.access_log import AccessLogParser

    declared = {p.name: p.time_format for p in PARSERS if getattr(p, "time_format", None)}
    expected = {"access_log": "clf", "s3_access_log": "clf", "syslog_rfc3164": "syslog", "vpc_flow_log": "epoch_s"}
    expected["apache_error"] = "ctime"  # httpd's own time
    expected["apigateway_access_log"] = "clf"  # AWS's CLF template: $context.requestTime
    expected["container_docker"] = "rfc3339"  # Docker's RFC3339Nano `time`
    expected["container_cri"] = "matched_rfc3339"  # CRI's RFC3339Nano, which detection matched
    expected |= dict.fromkeys(("lambda_text", "mysql_error", "mysql_general"), "matched_iso_fraction")  # their regex's
    expected["waf"] = timestamps.EPOCH_MS_NUMBER  # WAF's milliseconds, a BIGINT
    assert declared == expected
    assert AccessLogParser().plan(None, 5).time_format == "clf"
    with pytest.raises(ValueError, match="unknown time format 'rfc822'"):
        timestamps.parse_time_expression("t", "r", "rfc822")


_BEFORE_BY_FRACTION = {  # the conversions as they were: one try_strptime with a list of two formats
    "ctime": "try_strptime(replace(s, '  ', ' '), ['%a %b %d %H:%M:%S %Y', '%a %b %d %H:%M:%S.%f %Y'])",
    "tomcat": "try_strptime(s, ['%d-%b-%Y %H:%M:%S', '%d-%b-%Y %H:%M:%S.%f'])",
}
_FRACTION_EDGES = {
    "ctime": [
        *("Thu Nov 26 10:00:00 2026", "Thu Nov 26 10:00:00.1 2026", "Thu Nov 26 10:00:00.123456 2026"),
        *("Mon Feb  2 01:02:03 2026", "Mon Feb  2 01:02:03.5 2026", "Mon Feb 30 01:02:03 2026"),
        *("Mon Feb 30 01:02:03.25 2026", "Fri Nov 26 10:00:00 2026", "Thu Nov 26 25:00:00.1 2026"),
    ],
    "tomcat": [
        *("26-Nov-2026 10:00:00", "26-Nov-2026 10:00:00.1", "26-Nov-2026 10:00:00.123456"),
        *("30-Feb-2026 10:00:00", "30-Feb-2026 10:00:00.5", "26-Nov-2026 24:00:00.5", "26-Foo-2026 10:00:00"),
    ],
}


@pytest.mark.parametrize("name", sorted(_BEFORE_BY_FRACTION))
def test_fraction_formats_are_chosen_by_the_dot(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """try_strptime with a list of formats pays dearly for the one that fails (35 ms per 50,000 httpd times
    with microseconds, 8 ms with the one format the `.` picks): the same values on every string of the format."""
    pattern, after = timestamps.TIME_FORMATS[name]
    assert "['" not in after and after.startswith("CASE WHEN contains(s, '.') THEN try_strptime(")
    rows = con.execute(
        f"SELECT s, regexp_full_match(s, ?), {_BEFORE_BY_FRACTION[name]}, {after} "
        "FROM (SELECT unnest(?::VARCHAR[]) AS s, generate_subscripts(?, 1) AS i) ORDER BY i",
        [pattern, _FRACTION_EDGES[name], _FRACTION_EDGES[name]],
    ).fetchall()
    assert [r[1] for r in rows] == [True] * len(rows)
    assert [r[2] for r in rows] == [r[3] for r in rows]
    assert sum(r[3] is not None for r in rows) == {"ctime": 6, "tomcat": 3}[name]
