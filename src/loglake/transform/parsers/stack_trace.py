"""stack_trace: a Java or Python stack trace kept as one event (see sources/multiline.py), into `logs`.

`exception_type` and `exception_message` come from the first exception line in Java
(`java.lang.X: msg`, `Caused by: ...`), or from a Python traceback's last line, whatever the
exception's name (`smtplib.SMTPServerDisconnected: ...`); `frames` counts the `at ...` / `File "..."` lines.
Time and level come from the first line, as for plain text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.lake.clean_zone import DEFAULT_TABLE
from loglake.sql_quoting import sql_string
from loglake.transform.levels import text_level_word
from loglake.transform.parsers.base import Column, Example, FixedSchemaParser, ParsePlan
from loglake.transform.timestamps import text_time_expression

_EXCEPTION = (
    r"(?m)^(?:Caused by: |Exception in thread \S+ )?"
    r"(?P<type>[A-Za-z_$][\w$]*(?:\.[\w$]+)*(?:Exception|Error|Throwable|Exit|Interrupt|Warning)\w*)"
    r"(?:: (?P<message>.*))?$"
)
_FRAME = r"(?m)^\s+(?:at [\w$.<>/]+\(|File \")"
# Python names exceptions freely (SMTPServerDisconnected, StopIteration): after a traceback, the
# exception is the last line, whatever its name.
_PYTHON_LAST = r"\n(?P<type>[A-Za-z_][\w.]*)(?:: (?P<message>[^\n]*))?\s*\z"
_PYTHON = "contains({s}, 'Traceback (most recent call last):')"


_S = "__ll_stack_trace"


def _exception(message: str) -> str:
    """SQL: the exception's type and message, one struct from one extraction: the same first match that
    two extractions (one per group) found, each searching the whole trace (140 ms per 50,000 traces)."""
    return (
        f"CASE WHEN {_PYTHON.format(s=message)} "
        f"THEN regexp_extract({message}, {sql_string(_PYTHON_LAST)}, ['type', 'message']) "
        f"ELSE regexp_extract({message}, {sql_string(_EXCEPTION)}, ['type', 'message']) END"
    )


_DERIVED = {
    f"{_S}_exception": _exception(_S),
    f"{_S}_time": text_time_expression(_S),
    f"{_S}_level": text_level_word(_S),
}
"""Computed once per trace, in columns (plan.derived): ll_parse_time and ll_level are CASEs that name
their argument in several branches, and DuckDB does not share a subexpression under a CASE, so the
time's regexes over the whole trace ran again for each test of the cascade (0.16 s per 50,000)."""


class StackTraceParser(FixedSchemaParser):
    name = "stack_trace"
    table = DEFAULT_TABLE
    columns = (
        Column("exception_type", "VARCHAR", f"{_S}_exception.type", ()),
        Column("exception_message", "VARCHAR", f"{_S}_exception.message", ()),
        Column("frames", "BIGINT", f"len(regexp_extract_all({{s}}, {sql_string(_FRAME)}))::VARCHAR", ()),
    )
    time = f"{_S}_time"
    level = f"ll_level({_S}_level)"

    guard = "contains({m}, chr(10))"

    def matches(self, message: str) -> str:
        return f"regexp_matches({message}, {sql_string(_FRAME)})"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        return replace(super().plan(con, max_depth), derived=dict(_DERIVED))


EXAMPLES = [
    Example(
        "2026-11-26 14:03:07,412 ERROR [main] c.e.Inventory - reserve failed\n"
        "java.lang.IllegalStateException: no stock for sku 42\n"
        "\tat com.example.Inventory.reserve(Inventory.java:88)\n"
        "\tat com.example.Orders.place(Orders.java:31)\n",
        {
            "exception_type": "java.lang.IllegalStateException",
            "exception_message": "no stock for sku 42",
            "frames": 2,
            "level": "ERROR",
            "timestamp": "2026-11-26 14:03:07.412",
        },
    ),
    Example(
        'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\n    main()\n'
        '  File "app.py", line 2, in main\n    raise ValueError("bad input")\nValueError: bad input\n',
        {"exception_type": "ValueError", "exception_message": "bad input", "frames": 2},
    ),
    Example(
        'Traceback (most recent call last):\n  File "/usr/lib/python3.12/smtplib.py", line 986, in send_message\n'
        "    return self.sendmail(from_addr, to_addrs, flatmsg)\n"
        "smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
        {"exception_type": "smtplib.SMTPServerDisconnected", "exception_message": "Connection unexpectedly closed"},
    ),
]
