"""stack_trace's plan computes the exception, the time string and the level word once per trace (derived
columns): the same values as the expressions it replaced, on crafted traces."""

from __future__ import annotations

import random

import duckdb
import pytest

from conftest import (
    PARSER_EXAMPLES,
    benchmark_lines,
    benchmark_module,
    classifying_connection,
    golden_messages,
    macro_connection,
    shortcut_runs,
)
from loglake.sql_quoting import sql_string
from loglake.transform import etl, levels, timestamps
from loglake.transform.parsers import PARSERS, ParsePlan, stack_trace
from loglake.transform.parsers.stack_trace import StackTraceParser

# The patterns and SQL before the derived columns (one extraction per group, each over the whole trace).
_EXCEPTION = (
    r"(?m)^(?:Caused by: |Exception in thread \S+ )?"
    r"([A-Za-z_$][\w$]*(?:\.[\w$]+)*(?:Exception|Error|Throwable|Exit|Interrupt|Warning)\w*)(?:: (.*))?$"
)
_PYTHON_LAST = r"\n([A-Za-z_][\w.]*)(?:: ([^\n]*))?\s*\z"
_FRAME = r"(?m)^\s+(?:at [\w$.<>/]+\(|File \")"


_FRAMES_BEFORE = f"TRY_CAST(nullif(len(regexp_extract_all(message, {sql_string(_FRAME)}))::VARCHAR, '') AS BIGINT)"
"""The frames column as the whole-trace search counted them (before the per-line tests)."""


def _frames(plan: ParsePlan) -> str:
    """The plan's expression of the frames column."""
    return next(f.expression for f in plan.fields if f.path[0] == "frames")


def _exception_before(group: int) -> str:
    return (
        "CASE WHEN contains(message, 'Traceback (most recent call last):') "
        f"THEN regexp_extract(message, {sql_string(_PYTHON_LAST)}, {group}) "
        f"ELSE regexp_extract(message, {sql_string(_EXCEPTION)}, {group}) END"
    )


def _level_before() -> str:
    head, p = "left(message, 256)", levels.TEXT_LEVEL_PATTERN
    return (
        f"ll_level(coalesce(nullif(regexp_extract({head}, '{p}', 1), ''), "
        f"nullif(regexp_extract({head}, '{p}', 2), ''), nullif(regexp_extract({head}, '{p}', 3), '')))"
    )


_TRACES = [
    "2026-11-26 14:03:07,412 ERROR [main] c.e.Inventory - reserve failed\n"
    "java.lang.IllegalStateException: no stock for sku 42\n\tat com.example.Inventory.reserve(Inventory.java:88)\n",
    "java.lang.NullPointerException\n\tat a.B.c(B.java:1)\nCaused by: java.io.IOException: disk: full\n",
    'Exception in thread "main" x.YError: \n\tat a.b(c)\n',
    "Exception in thread main x.YError: ünïcödé — ✓\r\n\tat a.b(c)\r\n",
    'Traceback (most recent call last):\n  File "a.py", line 1, in <module>\nValueError: bad input\n',
    'Traceback (most recent call last):\n  File "a.py", line 1\nKeyboardInterrupt\n\n  \n',
    'Traceback (most recent call last):\n  File "a.py", line 1\n  no last line',
    "Traceback (most recent call last):\nsmtplib.SMTPServerDisconnected: Connection: closed\r\n",
    "[2026-11-26 10:00:00] [warn] x\n\tat a.b(c)\n",
    "Nov 26 10:00:00 host app: WARNING java.lang.Error\n\tat a.b(c)\n",
    "2026/11/26 10:00:00 CEST FATAL x\nfoo.BarException: \n",
    "26-Nov-2026 10:00:00.123 SEVERE [main] x\norg.Boom.Warning:  two  spaces \n\tat a.b(c)\n",
    "x [26/Nov/2026:10:00:00 +0100] level=debug\n\tat a.b(c)\n",
    "nothing here\n\tat a.b(c)\n",
    "\n\n\tat a.b(c)\n",
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection: duckdb.DuckDBPyConnection = macro_connection()
    connection.execute(
        "CREATE TABLE classified AS SELECT message, 1795780800000 AS timestamp, 'stack_trace' AS format, "
        "'logs' AS __ll_table, i FROM (SELECT unnest(?::VARCHAR[]) AS message, generate_subscripts(?, 1) AS i)",
        [_TRACES, _TRACES],
    )
    return connection


def test_plan_gives_the_values_of_the_expressions_it_replaced(con: duckdb.DuckDBPyConnection) -> None:
    plan = StackTraceParser().plan(con, 5)
    new = ", ".join(
        [
            timestamps.parse_time_expression(plan.time, "timestamp", plan.time_format),
            plan.level,
            *(f.expression for f in plan.fields if f.path[0] != "frames"),
        ]
    )
    old = ", ".join(
        [
            timestamps.parse_time_expression(timestamps.text_time_expression("message"), "timestamp", None),
            _level_before(),
            f"nullif({_exception_before(1)}, '')",
            f"nullif({_exception_before(2)}, '')",
        ]
    )
    after = con.execute(f"SELECT {new} FROM ({etl.staged_rows('stack_trace', 'logs', plan)}) ORDER BY i").fetchall()
    before = con.execute(f"SELECT {old} FROM classified ORDER BY i").fetchall()
    assert len(after) == len(_TRACES) == 15
    assert after == before
    types = [row[2] for row in after]
    assert types == [
        *("java.lang.IllegalStateException", "java.lang.NullPointerException", "x.YError", "x.YError"),
        *("ValueError", "KeyboardInterrupt", None, "smtplib.SMTPServerDisconnected", None, None),
        *("foo.BarException", None, None, None, None),
    ]  # `java.lang.Error` does not start its line; `org.Boom.Warning` is no name ending in Warning
    assert [row[3] for row in after] == [
        *("no stock for sku 42", None, None, "ünïcödé — ✓\r", "bad input", None, None, "Connection: closed\r"),
        *(None,) * 7,
    ]
    assert [row[1] for row in after] == [
        *("ERROR", None, None, None, None, None, None, None, "WARN", "WARN", "FATAL", "ERROR", "DEBUG", None, None)
    ]
    assert sum(row[0] is not None for row in after) == 5


def test_each_regex_runs_once_per_trace() -> None:
    """The exception's two groups came from two extractions, and ll_parse_time and ll_level (CASEs that
    name their argument in several branches: DuckDB shares no subexpression under a CASE) ran the time's
    and the level's regexes again per branch: the COPY of 50,000 traces took 0.55 s CPU, now 0.35 s."""
    plan = StackTraceParser().plan(None, 5)
    assert plan.time == "__ll_stack_trace_time" and plan.level == "ll_level(__ll_stack_trace_level)"
    derived = ["line", "head", "second", "exception", "digits", "time", "level", "kinds"]
    assert list(plan.derived) == [f"__ll_stack_trace_{name}" for name in derived]
    written = " ".join([plan.time, plan.level, *(f.expression for f in plan.fields), *plan.derived.values()])
    # exception 2 (one per branch) and its second line 1, the digits' whole match 1, time 6, level 1
    assert written.count("regexp_extract(") == 11
    # The whole trace's search for the exception, the first line's test, the second line's extraction and the
    # name's full match before its cut; Python's last line.
    assert written.count("(?:Exception|Error|Throwable") == 4 and written.count("(?P<message>") == 4
    assert written.count("regexp_extract_all(") == 1  # frames: only where a line starts with `at x(` unindented


# Traces whose lines test the second-line exception and the frame count per line (test below).
_EDGES = [
    *_TRACES,
    "java.lang.IllegalStateException: first line\njava.lang.Error: second\n",
    "header\nnot one\nCaused by: a.BException: third\n\tat a.b(c)\n",
    "header\n\nx.YException: after a blank line\n",
    "header\nCaused by: x.YException\r\n\tat a.b(c)\r\n",
    "header\nException in thread t x.YError: m: n\n",
    "header\nx.YException: é ✓ 日本\n\tat a.$b<init>(c)\n\tat a/b.c(d)\n",
    "header\nx.YException\textra\n",
    "header\n",
    "\n",
    "\n\n",
    "header\n\n\nat a.b(c)\n",
    "header\n \t\nat a.b(c)\n",
    'header\n\f\nFile "x"\n',
    "header\n\r\n  at a.b(c)\n",
    "header\n\n\n  at a.b(c)\n\tat d.e(f)\n",
    "header\nat a.b(c)\n\tat d.e(f)\n",
    "header\n\tat a.b(c) at d.e(f)\n\t\tat g(h)\n",
    "header\n\tat (c)\n\tat a.b c(d)\n\t at a.b(c)\n\r\tat a.b(c)\n",
    'header\n  File "a.py", line 1\n  File \'b.py\'\n\fFile "c"\n',
    "header\n\tat a.b(c)",
    "\tat a.b(c)\n\tat d.e(f)\n",
    'Traceback (most recent call last):\n  File "a.py", line 1\n\nFile "b.py"\nValueError: x\n',
]


def _staged(con: duckdb.DuckDBPyConnection, plan: ParsePlan, table: str, traces: list[str]) -> str:
    """The plan's staged rows over `traces` in temp table `table` (each with its position `i`), beside the
    module connection's `classified` of _TRACES."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT message, 'stack_trace' AS format, 'logs' AS __ll_table, i "
        "FROM (SELECT unnest(?::VARCHAR[]) AS message, generate_subscripts(?, 1) AS i)",
        [traces, traces],
    )
    return etl.staged_rows("stack_trace", "logs", plan).replace("FROM classified", f"FROM {table}")


def test_second_line_exception_and_frames_per_line_are_the_whole_trace_s(con: duckdb.DuckDBPyConnection) -> None:
    """The exception's search over the whole trace and regexp_extract_all of the frames (46 + 63 ms per 50,000
    traces) are, on most traces, the second line's test and anchored tests of each line: the same values."""
    plan = StackTraceParser().plan(con, 5)
    frames = _frames(plan)
    rows = _staged(con, plan, "edges", _EDGES)
    new = f"__ll_stack_trace_exception.type, __ll_stack_trace_exception.message, {frames}, __ll_stack_trace_second"
    after = con.execute(f"SELECT {new} FROM ({rows}) ORDER BY i").fetchall()
    old = f"{_exception_before(1)}, {_exception_before(2)}, {_FRAMES_BEFORE}"
    before = con.execute(f"SELECT {old} FROM edges ORDER BY i").fetchall()
    assert len(after) == len(_EDGES) == 37
    assert [row[:3] for row in after] == before
    edges = after[len(_TRACES) :]
    assert [row[0] for row in edges] == [
        *("java.lang.IllegalStateException", "a.BException", "x.YException", "", "x.YError", "x.YException"),
        *("",) * 15,
        "ValueError",
    ]  # `Caused by: x.YException\r`: `$` does not match before CR
    # A blank line then `at x(` or `File "` unindented: one match across the line feed (the whole regex counts).
    assert [row[2] for row in edges] == [0, 1, 0, 1, 0, 2, 0, 0, 0, 0, 1, 1, 1, 1, 2, 1, 2, 2, 2, 1, 2, 2]
    # Where the second line gave the exception (the others: a Python traceback, the first line, the search).
    second = [i for i, row in enumerate(after) if row[3] is not None and row[3]["type"] != ""]
    assert second == [0, 10, len(_TRACES) + 4, len(_TRACES) + 5]


# Traces for the cuts at `: ` (a Java trace's second line, a Python traceback's last) and the level's hints:
# each next to a near miss that must take the regex.
_CUTS = [
    *("header\nx.YException: a: b\n", "header\nx.YException:\n", "header\nx.YException: \n", "header\nx.Y$Error"),
    *("header\nx.YException:  two  \r\n", "header\nx..YException: m\n", "header\n9x.YException: m\n"),
    *("header\nx.YException ü: m\n", "header\n$Error: ü ✓ 日本", "header\nx.YExceptionFoo: m\tn\n"),
    *("header\nCaused by: x.YError: m\n", 'header\nException in thread "main" x.YError: m\n', "header\nx.Exception: m"),
    *("header\nx.YError:x\n", "header\nx.YError : x\n", "header\n\tx.YError: x\n", "header\nx.YError\r\n"),
    'Traceback (most recent call last):\n  File "a"\nValueError\n',
    'Traceback (most recent call last):\n  File "a"\nValueError: \n',
    'Traceback (most recent call last):\n  File "a"\nValueError: a: b  \n',
    'Traceback (most recent call last):\n  File "a"\nValueError: x\r\n',
    'Traceback (most recent call last):\n  File "a"\nValueError: x',
    'Traceback (most recent call last):\n  File "a"\nValueError: x\n\n',
    'Traceback (most recent call last):\n  File "a"\nValueError: x\n  \n',
    'Traceback (most recent call last):\n  File "a"\n_Err.x: ü ✓\x0b\n',
    'Traceback (most recent call last):\n  File "a"\nValueError: x\x0c\n',
    'Traceback (most recent call last):\n  File "a"\n9Error: x\n',
    'Traceback (most recent call last):\n  File "a"\nValue Error: x\n',
    'Traceback (most recent call last):\n  File "a"\nValueError:x\n',
    'Traceback (most recent call last):\n  File "a"\n  ValueError: x\n',
    "Traceback (most recent call last):\n",
    "Traceback (most recent call last):",
    "x: Traceback (most recent call last):\n",
    "\nValueError: x Traceback (most recent call last):",
    'Traceback (most recent call last):\r\n  File "a"\r\nValueError: x\r\n',
    *("header\n\x0bat a.b(c)\n", "header\n\u00a0at a.b(c)\n", 'header\nFile "x"\n\tFile "y"\n', "\tat a.b(c)"),
    *("x" * 300 + " ERROR\n\tat a.b(c)\n", "error [x\n\tat a.b(c)\n", "Level=Warn\n\tat a.b(c)\n"),
    *("LEVEL=warn\n\tat a.b(c)\n", "leveL=info\n\tat a.b(c)\n", "x Error and Warning\n\tat a.b(c)\n"),
    *("x [Error] y\n\tat a.b(c)\n", "x WARNING: y\n\tat a.b(c)\n", "ERRORS\n\tat a.b(c)\n", "l= ERR\n\tat a(\n"),
]


def test_cuts_at_colon_and_level_hints_give_the_searches_values(con: duckdb.DuckDBPyConnection) -> None:
    """The second line's extraction and Python's last-line search are, where the name before the line's first
    `: ` matches whole, a cut at that `: `; the level is searched only where one of its literals is. Both
    give the whole-trace expressions' values (the frames too, on lines with VT, NBSP and unindented `File`)."""
    plan = StackTraceParser().plan(con, 5)
    frames = _frames(plan)
    rows = _staged(con, plan, "cuts", _CUTS)
    java_cut = f"regexp_full_match(__ll_stack_trace_head, {sql_string(stack_trace._JAVA_TYPE)})"
    python_cut = (
        "suffix(message, chr(10) || __ll_stack_trace_line || CASE WHEN suffix(message, chr(10)) THEN chr(10) ELSE '' "
        f"END) AND regexp_full_match(__ll_stack_trace_head, {sql_string(stack_trace._PYTHON_TYPE)})"
    )
    new = f"__ll_stack_trace_exception.type, __ll_stack_trace_exception.message, {frames}, {plan.level}"
    after = con.execute(f"SELECT {new}, {java_cut}, {python_cut} FROM ({rows}) ORDER BY i").fetchall()
    old = f"{_exception_before(1)}, {_exception_before(2)}, {_FRAMES_BEFORE}, {_level_before()}"
    before = con.execute(f"SELECT {old} FROM cuts ORDER BY i").fetchall()
    assert len(after) == len(_CUTS) == 49
    assert [row[:4] for row in after] == before
    assert [row[0] for row in after] == [
        *("x.YException", "", "x.YException", "x.Y$Error", "x.YException", "", "", "", "$Error", "x.YExceptionFoo"),
        *("x.YError", "x.YError", "", "", "", "", ""),
        *("ValueError",) * 7,
        *("_Err.x", "ValueError"),
        *("", "", "", "", "", "", "", "ValueError", "ValueError"),
        *("",) * 14,
    ]  # `x.YError\r`: `$` does not match before CR
    assert [row[1] for row in after][:26] == [
        *("a: b", "", "", "", " two  \r", "", "", "", "ü ✓ 日本", "m\tn", "m", "m", "", "", "", "", ""),
        *("", "", "a: b  ", "x\r", "x", "x", "x", "ü ✓\x0b", "x\x0c"),
    ]
    assert [row[3] for row in after][-14:] == [
        *(None,) * 6,
        *("WARN", "WARN", "INFO", None, "ERROR", "WARN", None, "ERROR"),
    ]  # `x * 300 + ERROR`: past the first 256 characters; `error [x`: a hint, no level
    assert [row[2] for row in after][-14:-10] == [0, 0, 1, 1]
    # The cuts were taken (the rest went to the regexes as before).
    java = [i for i, row in enumerate(after) if row[4] and "Traceback (most" not in _CUTS[i]]
    python = [i for i, row in enumerate(after) if row[5] and "Traceback (most" in _CUTS[i]]
    assert java == [0, 2, 3, 4, 8, 9]
    assert python == [17, 18, 19, 20, 21, 24, 25, 33, 34]
    assert python_cut in plan.derived["__ll_stack_trace_exception"].replace("__ll_stack_trace,", "message,")


_TIMES = [
    'Traceback (most recent call last):\n  File "a.py", line 1\nValueError: x\n',
    "Traceback (most recent call last): 2026-11-26 10:00:00\nValueError: x\n",
    "Traceback (most recent call last):\n  x [26/Nov/2026:10:00:00 +0100] y\nValueError: x\n",
    "Traceback (most recent call last):\n" + "  y\n" * 80 + "[26/Nov/2026:10:00:00 +0100]\n",
    "Traceback (most recent call last):\n[x]\n",
    "Traceback (most recent call last)\n[26/Nov/2026:10:00:00 +0100]\n",
    "Traceback 2026-11-26 10:00:00 (most recent call last):\n",
    "Traceback: 2026-11-26 10:00:00\n",
    "Nov 26 10:00:00 host app: Traceback (most recent call last):\n",
    "2026-11-26 10:00:00,123 ERROR x\nTraceback (most recent call last):\nValueError: x\n",
    "traceback (most recent call last):\n",
    "",
]


def test_a_bare_traceback_s_time_is_null_without_the_search(con: duckdb.DuckDBPyConnection) -> None:
    """A trace that starts `Traceback (most recent call last):` and holds no `[` skips text_time_expression,
    whose value there is NULL; the others (a `[` anywhere, another start) take it as before."""
    plan = StackTraceParser().plan(con, 5)
    rows = _staged(con, plan, "times", _TIMES)
    after = con.execute(f"SELECT __ll_stack_trace_time FROM ({rows}) ORDER BY i").fetchall()
    before = con.execute(f"SELECT {timestamps.text_time_expression('message')} FROM times ORDER BY i").fetchall()
    assert len(after) == len(_TIMES) == 12
    assert after == before
    assert [t for (t,) in after] == [
        *(None, None, "26/Nov/2026:10:00:00 +0100", None, None, "26/Nov/2026:10:00:00 +0100", None),
        *("2026-11-26 10:00:00", "Nov 26 10:00:00", "2026-11-26 10:00:00,123", None, None),
    ]  # the 4th: its `[` lies past the first 256 characters


# Traces for the time's whole match of the digits, the frames' tests without a regex, the second line taken
# after a first line that starts with a digit, and the sure cases of detection: each next to a near miss.
_CHEAP = [
    *("2026-11-26 14:03:07,412 ERROR x\n\tat a.b(c)\n", "2026-11-26T14:03:07.123456789123Z x\n", "2026-11-26 10:00:00"),
    *(
        "2026-11-26  10:00:00 UTC\n",
        "2026-11-26 10:00:00 +01:00 x\n",
        "2026-11-26 10:00:00 -0100\n",
        "2026/11/26 10:00:00z",
    ),
    *(
        "2026-11-26 10:00:00 CEST x\n",
        "2026-11-26 10:00:00 CESTX\n",
        "2026-11-26 10:00:00 EST\n",
        "2026-11-26 10:00:00 GMT+1",
    ),
    *(
        "26-Nov-2026 10:00:00.123 SEVERE\n",
        "26-Nov-2026 10:00:00,123\n",
        "2026-11-26 1:00:00\n",
        "2026-11-26\n10:00:00\n",
    ),
    *("2026-11-26 10:00:0\n", "20261126 10:00:00\n", "2026-11-26 10:00:00\r\n", "\uff12026-11-26 10:00:00\n", "0\n"),
    *("1x.YException: m\nfoo.BarError: n\n\tat a.b(c)\n", "9\nx.YError\n", "0\n\n", "٣x.YError: m\nz.Error: n\n"),
    *("2026-11-26 10:00:00 x [26/Nov/2026:10:00:00 +0100]\n", "1 [26/Nov/2026:10:00:00 +0100]\nx.YError: m\n"),
    *('x\n  File "a" at b(\n', '  File "a"\n', 'x\n   File "a"\n', "x\n  File 'a'\n", 'x\n  File"a"\n'),
    *("x\n\tfoo at a.b(c)\n", "x\n\tat a.b(c)at d(\n", "x at y(\n\tat a(\n", 'x\n\t File "a"\n', 'x\n  File "'),
    *('x\n\u00a0 File "a"\n', "x\nat\n", "x\n at \n", 'x\n  File "a"\n\n  File "b"\n', 'x\n\x0c  File "a"\n'),
    *(
        "x\n\tat (c)\n",
        "x\n\tat a.b c(d)\n",
        "x\n \tat a(b)\n",
        "x\r\n\tat a(b)\r\n",
        "x\n\tat ü(b)\n",
        "x\n\tat a.b(\n",
    ),
    *("x\n\tat\ta(b)\n", "x\n\t\tat a(b)\n", "x\n\n\tat a(b)", '  File "a" no line feed', "\tat a(b) no line feed"),
    *("x\n\n  File", 'x\n  File "a"', 'x\n\nFile "a"\n', "x\n\nat a(b)\n", "\n\tat a$<init>/x(b)\n", '\n  File "\n'),
]


def test_digit_time_cheap_line_tests_and_sure_frames_give_the_old_values(con: duckdb.DuckDBPyConnection) -> None:
    """The time's whole match before text_time_expression, the frames' lines tested without a regex where
    they can, the second line taken after a first line that starts with a digit, and detection's two sure
    cases before _FRAME's search: each gives the old expression's value on every trace (crafted near misses:
    zones, fractions, a full-width digit, CR, blanks before `File`, no name before `(`, no line feed)."""
    plan = StackTraceParser().plan(con, 5)
    frames = _frames(plan)
    detect_before = (
        f"(CASE WHEN contains(message, chr(10)) THEN regexp_matches(message, {sql_string(_FRAME)}) ELSE false END)"
    )
    rows = _staged(con, plan, "cheap", _CHEAP)
    new = f"__ll_stack_trace_time, {frames}, __ll_stack_trace_exception.type, __ll_stack_trace_exception.message"
    after = con.execute(f"SELECT {new}, {StackTraceParser().detect('message')} FROM ({rows}) ORDER BY i").fetchall()
    old = (
        f"{timestamps.text_time_expression('message')}, {_FRAMES_BEFORE}, {_exception_before(1)}, "
        f"{_exception_before(2)}, {detect_before}"
    )
    before = con.execute(f"SELECT {old} FROM cheap ORDER BY i").fetchall()
    assert len(after) == len(_CHEAP) == 58
    assert after == before
    assert [row[0] for row in after][:20] == [
        *(
            "2026-11-26 14:03:07,412",
            "2026-11-26T14:03:07.123456789",
            "2026-11-26 10:00:00",
            "2026-11-26  10:00:00 UTC",
        ),
        *(
            "2026-11-26 10:00:00 +01:00",
            "2026-11-26 10:00:00 -0100",
            "2026/11/26 10:00:00z",
            "2026-11-26 10:00:00 CEST",
        ),
        *("2026-11-26 10:00:00", "2026-11-26 10:00:00 EST", "2026-11-26 10:00:00 GMT", "26-Nov-2026 10:00:00.123"),
        *("26-Nov-2026 10:00:00", None, None, None, None, "2026-11-26 10:00:00", None, None),
    ]  # `CESTX`: no word boundary after the zone; `GMT+1`: the zone takes ` GMT`, not `+1`; a full-width digit
    assert [row[0] for row in after][24:26] == ["2026-11-26 10:00:00", "26/Nov/2026:10:00:00 +0100"]
    assert [row[2] for row in after][20:26] == ["foo.BarError", "x.YError", "", "", "", "x.YError"]
    assert [row[1] for row in after][26:] == [
        *(1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 2, 1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1),
    ]  # `\tat\ta(b)`: a tab after `at`; `\xa0`: no blank for RE2's `\s`; a blank line before `File "`
    assert [row[4] for row in after][26:] == [
        *(True, True, True, False, False, False, True, True, True, True, False, False, False, True, True, False),
        *(False, True, True, False, True, False, True, True, False, False, False, True, True, True, True, True),
    ]  # without a line feed, no claim (the guard)


def test_digit_time_is_the_text_digit_pattern_without_its_group() -> None:
    """_DIGIT_TIME's whole match is text_time_expression's digit group only while that group is all of the pattern
    after `^`."""
    assert stack_trace._DIGIT_TIME.removeprefix("^(?:") == timestamps.TEXT_DIGIT_PATTERN.removeprefix("^(")


# Classification's shortcut (StackTraceParser.sure, tested before every other parser: etl._shortcuts).
_LOGGER = "2026-11-26 14:03:07,412 "
_FRAME_LINE = "\n\tat com.example.Api.handle(Api.java:112)\n"
_TRACEBACK = 'Traceback (most recent call last):\n  File "'
_SURE_CRAFTED = [
    # sure: a traceback's start, then anything; each parser's guard or pattern text later in the message
    _TRACEBACK + 'a.py", line 1, in run\nValueError: x\n',
    _TRACEBACK + 'a.py"\n' + " " * 40 + '] "GET / HTTP/1.1" 200 5 "-" "-"\n',
    _TRACEBACK + "\t\t\t\t\t",
    _TRACEBACK + '"\n' + "x" * 20 + " ] [" + "y" * 20 + "] \r\n",
    _TRACEBACK + 'é ü ✓\r\n  File "b"\nKeyboardInterrupt\r\n',
    _TRACEBACK + '\nSTART RequestId: 1 Version: $LATEST\n{"a":1}\n',
    _TRACEBACK + '"\n# Time: 2026-11-26T14:03:07.412Z\n<13>1 2026-11-26T14:03:07Z h a - - - x\n',
    _TRACEBACK,
    _TRACEBACK + "a b c",
    # sure: a logger's line, no `] "`, a Java frame
    _LOGGER + "ERROR [main] c.e.X - failed\njava.lang.IllegalStateException: x" + _FRAME_LINE,
    _LOGGER + "x" + _FRAME_LINE,
    _LOGGER + "\n\tat a(",
    _LOGGER + "WARN  x:[1]:LOG:  y\t\tz\tw\n\tat a.b(c)\r\n",
    _LOGGER + "INFO é ✓ ] [pid 1] x] y\n\tat <init>/x$1.y(Z)\n",
    _LOGGER + "ERROR 5 123456789012 eni-1 a b c d e f g 1 2 ACCEPT OK\n\tat a.b(c)\n",
    "9999-99-99 99:99:99,999 \t" + _FRAME_LINE,
    # not sure (the CASE in PARSERS order decides): near misses of each shape
    _LOGGER + "[main] ERROR x" + _FRAME_LINE,
    _LOGGER + 'ERROR [main] "GET / HTTP/1.1" 200' + _FRAME_LINE,
    _LOGGER + 'ERROR x] "y' + _FRAME_LINE,
    _LOGGER + 'ERROR x [26/Nov/2026:14:03:07 +0000] "GET / HTTP/1.1\n\tat a.b(c)\n',
    "2026-11-26 14:03:07.412 ERROR x" + _FRAME_LINE,
    "2026-11-26T14:03:07,412 ERROR x" + _FRAME_LINE,
    "2026-11-26 14:03:07,41 ERROR x" + _FRAME_LINE,
    "२०२६-11-26 14:03:07,412 ERROR x" + _FRAME_LINE,
    _LOGGER + "ERROR x\n\tat a.b c(\n",
    _LOGGER + "ERROR x\n  at a.b(c)\n",
    _LOGGER + "ERROR x",
    'Traceback (most recent call last):\n File "a.py"\n',
    'Traceback (most recent call last): \n  File "a.py"\n',
    " " + _TRACEBACK + 'a.py"\n',
    'Traceback (most recent call last):\r\n  File "a.py"\r\n',
    '{"a": 1}\n  File "x"\n',
    "[2026-11-26 14:03:07,412] ERROR x" + _FRAME_LINE,
]
"""Traces `sure` takes, with text each other parser's guard or pattern reads, and near misses it leaves to the
CASE: a `[` or `] "` after the logger's time, other times, other frames, other starts."""
_SURE = 16
"""How many of _SURE_CRAFTED's first lines `sure` takes."""
_CUSTOM = [
    "version vpc-id subnet-id srcaddr dstaddr action log-status",  # VPC's header: its `custom` is true
    "#Fields: date time c-ip sc-bytes x-edge-location cs-method",  # CloudFront's header: its `custom` too
    'Traceback (most recent call last):\n  File "a"',  # VPC's 7 fields (its split reads the LF as a word's)
    'Traceback (most recent call last):\n  File "a", line 1\t2\t3\t4\t5\t6',  # CloudFront's 6 fields
    _LOGGER + "x 1 2 3" + _FRAME_LINE.rstrip("\n"),
    _LOGGER + "x\t1\t2\t3\t4" + _FRAME_LINE.rstrip("\n"),
]
"""An object whose headers make VPC's and CloudFront's detection read the field count: `sure` is false there,
and its traces of 7 words or 6 tab-separated fields are theirs, as the whole order gives them."""


def test_sure_traces_keep_the_parser_the_whole_order_gives_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classification tests StackTraceParser.sure before every parser; each line keeps the parser the CASE in
    PARSERS order gives it: crafted traces and near misses, the benchmark's traces and lines of every format,
    every parser's examples and test_typed_golden.py's messages, and all of them again in an object whose
    VPC and CloudFront headers make those parsers count fields (`sure` is false there)."""
    generators = benchmark_module("parser_throughput").GENERATORS
    rng = random.Random(11)
    traces = [generators["stack_trace"](rng, i) for i in range(400)]
    generated = [generators[name](rng, i) for name in sorted(generators) for i in range(20)]
    golden = golden_messages()
    names = [p.name for p in PARSERS]
    assert etl._shortcuts(names)["stack_trace"] == names[0]  # tested before every parser
    assert StackTraceParser.ahead_of == tuple(names[: names.index("stack_trace")])
    objects = [
        [*_SURE_CRAFTED, *traces, *generated],
        [*_SURE_CRAFTED, *PARSER_EXAMPLES, *golden],  # their VPC and CloudFront headers
        [*_CUSTOM, *_SURE_CRAFTED, *traces],
    ]
    runs = shortcut_runs(StackTraceParser(), objects, monkeypatch)
    for k, (_old, sure) in enumerate(runs):
        if k == 0:
            assert sure[: len(_SURE_CRAFTED)] == [j < _SURE for j in range(len(_SURE_CRAFTED))]
            assert sure[len(_SURE_CRAFTED) : len(_SURE_CRAFTED) + len(traces)] == [True] * len(traces)
        else:
            assert not any(sure)
    assert runs[-1][0][:6] == ["text", "vpc_flow_log", "vpc_flow_log", "cloudfront", "vpc_flow_log", "cloudfront"]


def test_no_parser_before_claims_a_trace_sure_takes() -> None:
    """Every parser of StackTraceParser.ahead_of, its own detection, is false on every crafted line and
    benchmark trace that `sure` takes (what the CASE's order needs), and stack_trace's is true."""
    lines = [*_SURE_CRAFTED, *benchmark_lines("stack_trace", 200, 5)]
    connection = classifying_connection(lines)
    sure = StackTraceParser().sure("message")
    claims = ", ".join(f"count(*) FILTER (WHERE {p.detect('message')})" for p in PARSERS)
    counts = connection.execute(f"SELECT count(*), {claims} FROM raw_lines WHERE {sure}").fetchall()[0]
    by_name = dict(zip([p.name for p in PARSERS], counts[1:], strict=True))
    assert counts[0] == _SURE + 200
    assert by_name.pop("stack_trace") == counts[0]
    assert by_name.pop("text") == counts[0]  # plain text takes every line
    assert by_name == dict.fromkeys(by_name, 0)


# Traces that start with a digit time, followed or not by a blank, a level word and a blank (_level_word's
# fast path): each zone, Tomcat's time, T and two blanks, words that start or hold others, separators.
_LEVEL_EDGES = [
    *_TRACES,
    *(f"2026-11-26 14:03:07,412 {w} [main] x\n\tat a.b(c)\n" for w in levels.LEVEL_WORDS.split("|")),
    *(f"2026-11-26 14:03:07 {z} ERROR x\n" for z in ("UTC", "GMT", "CEST", "EST", "AKST", "NZDT", "IST", "WET")),
    "2026-11-26 14:03:07 +01:00 WARN x\n",
    "2026-11-26 14:03:07+0100 INFO x\n",
    "2026-11-26T14:03:07.123456789Z DEBUG x\n",
    "2026-11-26  14:03:07 TRACE x\n",
    "2026/11/26 14:03:07 FATAL x\n",
    "26-Nov-2026 14:03:07.123 ERROR x\n",
    "26-Jul-2026 14:03:07 INFO x\n",
    "2026-11-26 14:03:07,412 ERRORS x\n",
    "2026-11-26 14:03:07,412 ERROR\tx\n",
    "2026-11-26 14:03:07,412 ERROR\n\tat a.b(c)\n",
    "2026-11-26 14:03:07,412 ERROR",
    "2026-11-26 14:03:07,412 ERROR:",
    "2026-11-26 14:03:07,412  ERROR x\n",
    "2026-11-26 14:03:07,412 error x [WARN]\n",
    "2026-11-26 14:03:07,412 [INFO] ERROR x\n",
    "2026-11-26 14:03:07,412 level=debug ERROR x\n",
    "2026-11-26 14:03:07,412 WARNING x\n",
    "2026-11-26 14:03:07,412 WARN: x\n",
    "2026-11-26 14:03:07,412 INFOx ERROR y\n",
    "2026-11-26 14:03:07,412 é ERROR y\n",
    "2026-11-26 14:03:07,412 ✓ INFO y\n",
    "2026-11-26 14:03:07,412 " + "x" * 300 + " ERROR y\n",
    "2026-11-26 14:03:07 UTCX ERROR x\n",
    "2026-11-26 14:03:07 CEST\tINFO x\n",
    "2026-11-26 14:03:07\tINFO x\n",
    "2026-11-26 14:03:07\r\nINFO x\n",
    "2026-11-26 1 INFO x\n",
    "२०२६-11-26 14:03:07 INFO x\n",
    "1 INFO x\n",
    "",
]


def test_level_after_the_digit_time_is_the_search_s_word(con: duckdb.DuckDBPyConnection) -> None:
    """_level_word reads a level word between blanks right after the digit time without the hints and the search:
    the plan's level, against the three extractions before the derived columns (_level_before) and main's
    hinted search (kept here), on _LEVEL_EDGES and the benchmark's traces; the fast path is taken."""
    generators = benchmark_module("parser_throughput").GENERATORS
    rng = random.Random(3)
    traces = [*_LEVEL_EDGES, *(generators["stack_trace"](rng, i) for i in range(400))]
    plan = StackTraceParser().plan(con, 5)
    hinted = " OR ".join(f"contains(message, {sql_string(h)})" for h in stack_trace._LEVEL_HINTS)
    main = f"ll_level(CASE WHEN {hinted} THEN {levels.text_level_word('message')} END)"
    rows = etl.staged_rows("stack_trace", "logs", plan).replace("FROM classified", "FROM level_edges")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE level_edges AS SELECT message, 'stack_trace' AS format, 'logs' AS __ll_table, "
        "i FROM (SELECT unnest(?::VARCHAR[]) AS message, generate_subscripts(?, 1) AS i)",
        [traces, traces],
    )
    found = con.execute(
        f"SELECT {plan.level}, {_level_before()}, {main}, __ll_stack_trace_digits FROM ({rows}) ORDER BY i"
    ).fetchall()
    assert len(found) == len(traces)
    assert [row[0] for row in found] == [row[1] for row in found] == [row[2] for row in found]
    fast = [
        row[0]
        for row, message in zip(found, traces, strict=True)
        if row[3] is not None and message[len(row[3]) :].startswith(tuple(f" {w} " for w in stack_trace._FAST_LEVELS))
    ]
    assert len(fast) == 8 + 6 + 6 + 200 + 3  # the words, zones, other times, the Java traces, _TRACES'
    assert {row[0] for row in found} == {None, "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "FATAL"}
