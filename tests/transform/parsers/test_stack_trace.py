"""stack_trace's plan computes the exception, the time string and the level word once per trace (derived
columns): the same values as the expressions it replaced, on crafted traces."""

from __future__ import annotations

import duckdb
import pytest

from loglake.sql_quoting import sql_string
from loglake.transform import etl, levels, timestamps
from loglake.transform.parsers.stack_trace import StackTraceParser

# The patterns and SQL before the derived columns (one extraction per group, each over the whole trace).
_EXCEPTION = (
    r"(?m)^(?:Caused by: |Exception in thread \S+ )?"
    r"([A-Za-z_$][\w$]*(?:\.[\w$]+)*(?:Exception|Error|Throwable|Exit|Interrupt|Warning)\w*)(?:: (.*))?$"
)
_PYTHON_LAST = r"\n([A-Za-z_][\w.]*)(?:: ([^\n]*))?\s*\z"


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
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(timestamps.MACROS)
    connection.execute(levels.MACROS)
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
    assert list(plan.derived) == ["__ll_stack_trace_exception", "__ll_stack_trace_time", "__ll_stack_trace_level"]
    written = " ".join([plan.time, plan.level, *(f.expression for f in plan.fields), *plan.derived.values()])
    assert written.count("regexp_extract(") == 9  # exception 2 (one per branch), time 6, level 1
    assert written.count("(?:Exception|Error|Throwable") == 1 and written.count("(?P<message>") == 2
