from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from loglake.transform import levels, timestamps


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(timestamps.MACROS)
    connection.execute(levels.MACROS)
    return connection


REF_MS = 1_795_000_000_000  # 2026-11-18, gives the year to syslog stamps


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
    ],
)
def test_times_normalise_to_utc(con: duckdb.DuckDBPyConnection, text: str, utc: datetime | None) -> None:
    assert con.execute("SELECT ll_parse_time(?, ?)", [text, REF_MS]).fetchall() == [(utc,)]


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("2026-11-26 10:00:00,250 ERROR [main] x - y", "2026-11-26 10:00:00,250"),
        ("[2026-11-26T10:00:00+01:00] [warn] cache", "2026-11-26T10:00:00+01:00"),
        ('1.2.3.4 - - [26/Nov/2026:12:00:00 +0200] "GET / HTTP/1.1" 200 1', "26/Nov/2026:12:00:00 +0200"),
        ("<34>Nov 26 10:00:00 host su: x", "Nov 26 10:00:00"),
        ("no time here", None),
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
