"""stack_trace: a Java or Python stack trace kept as one event (see sources/multiline.py), into `logs`.

`exception_type` and `exception_message` come from the first exception line in Java
(`java.lang.X: msg`, `Caused by: ...`), or from a Python traceback's last line, whatever the
exception's name (`smtplib.SMTPServerDisconnected: ...`); `frames` counts the `at ...` / `File "..."` lines.
Time and level come from the first line, as for plain text.
"""

from __future__ import annotations

from loglake.lake.clean_zone import DEFAULT_TABLE
from loglake.sql_quoting import sql_string
from loglake.transform.levels import text_level_expression
from loglake.transform.parsers.base import Column, Example, FixedSchemaParser
from loglake.transform.timestamps import text_time_expression

_EXCEPTION = (
    r"(?m)^(?:Caused by: |Exception in thread \S+ )?"
    r"([A-Za-z_$][\w$]*(?:\.[\w$]+)*(?:Exception|Error|Throwable|Exit|Interrupt|Warning)\w*)(?:: (.*))?$"
)
_FRAME = r"(?m)^\s+(?:at [\w$.<>/]+\(|File \")"
# Python names exceptions freely (SMTPServerDisconnected, StopIteration): after a traceback, the
# exception is the last line, whatever its name.
_PYTHON_LAST = r"\n([A-Za-z_][\w.]*)(?:: ([^\n]*))?\s*\z"
_PYTHON = "contains({s}, 'Traceback (most recent call last):')"


def _exception(group: int) -> str:
    return (
        f"CASE WHEN {_PYTHON} THEN regexp_extract({{s}}, {sql_string(_PYTHON_LAST)}, {group}) "
        f"ELSE regexp_extract({{s}}, {sql_string(_EXCEPTION)}, {group}) END"
    )


class StackTraceParser(FixedSchemaParser):
    name = "stack_trace"
    table = DEFAULT_TABLE
    columns = (
        Column("exception_type", "VARCHAR", _exception(1), ()),
        Column("exception_message", "VARCHAR", _exception(2), ()),
        Column("frames", "BIGINT", f"len(regexp_extract_all({{s}}, {sql_string(_FRAME)}))::VARCHAR", ()),
    )
    time = text_time_expression("{s}")
    level = text_level_expression("{s}")

    guard = "contains({m}, chr(10))"

    def matches(self, message: str) -> str:
        return f"regexp_matches({message}, {sql_string(_FRAME)})"


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
