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


def _exception(message: str, second: str) -> str:
    """SQL: the exception's type and message, one struct from one extraction: the same first match that
    two extractions (one per group) found, each searching the whole trace (140 ms per 50,000 traces);
    `second` (_second_line) where that match is the second line."""
    return (
        f"CASE WHEN {second}.type <> '' THEN {second} "
        f"WHEN {_PYTHON.format(s=message)} "
        f"THEN regexp_extract({message}, {sql_string(_PYTHON_LAST)}, ['type', 'message']) "
        f"ELSE regexp_extract({message}, {sql_string(_EXCEPTION)}, ['type', 'message']) END"
    )


_LINE_EXCEPTION = _EXCEPTION.removeprefix("(?m)")
"""_EXCEPTION over one line: `^` and `$` are the line's ends."""


def _second_line(message: str) -> str:
    """SQL: for a trace that is no Python traceback and whose first line _LINE_EXCEPTION does not match,
    _LINE_EXCEPTION's groups on the second line (type '' where it does not match either); else NULL.

    Why they are _EXCEPTION's first match in the trace: nothing in _EXCEPTION reads a line feed (`.`, `\\S`,
    `[\\w$]` and the literals), and with `(?m)` `^` is the start or follows an LF and `$` is the end or comes
    before one, so each match is a whole line, and the first is the first line that _LINE_EXCEPTION matches
    whole, with the same groups (the same parses of the same text, in the same order). A Java trace names its
    exception on its second line, after the logger's: the search over the trace cost 46 ms per 25,000 Java
    traces, the two lines' tests about half."""
    first, second = (f"split_part({message}, chr(10), {n})" for n in (1, 2))
    return (
        f"CASE WHEN NOT {_PYTHON.format(s=message)} AND NOT regexp_full_match({first}, {sql_string(_LINE_EXCEPTION)}) "
        f"THEN regexp_extract({second}, {sql_string(_LINE_EXCEPTION)}, ['type', 'message']) END"
    )


_FRAME_LINE = r"^\s+(?:at [\w$.<>/]+\(|File \")"
_UNINDENTED = r"^(?:at [\w$.<>/]+\(|File \")"


def _line_kinds(message: str) -> str:
    """SQL: per line of the trace (split at LF), 1 for a frame line (_FRAME_LINE: blanks, then `at name(` or
    `File "`), -1 for a line that starts with `at name(` or `File "` without a blank, else 0.

    Why, where no line is a -1, the count of 1s is the count of _FRAME's matches in the trace. A match
    starts at a line's start; its `\\s+` may read line feeds, but what follows it (`at `, `File "`) reads
    none and starts with a letter, so it starts in some line right after that line's leading blanks. A
    match that began on an earlier line crossed only blank lines, so its line either starts with
    `at`/`File` (a -1) or has leading blanks: a frame line. Two matches cannot end in the same line (they
    would overlap), and each frame line holds the end of one: a match that crosses the line's start ends
    in it (the line holds a letter), else the search reaches the line's start and matches there.
    regexp_extract_all over the trace: 63 ms per 50,000 traces; these anchored tests of each line, 35."""
    kind = (
        f"CASE WHEN regexp_matches(x, {sql_string(_FRAME_LINE)}) THEN 1 "
        f"WHEN regexp_matches(x, {sql_string(_UNINDENTED)}) THEN -1 ELSE 0 END"
    )
    return f"list_transform(string_split({message}, chr(10)), lambda x: {kind})"


def _frames(message: str, kinds: str) -> str:
    """SQL: the count of _FRAME's matches, as text: from `kinds` (_line_kinds) where none is -1."""
    whole = f"len(regexp_extract_all({message}, {sql_string(_FRAME)}))"
    return f"(CASE WHEN list_min({kinds}) >= 0 THEN list_sum({kinds}) ELSE {whole} END)::VARCHAR"


_DERIVED = {
    f"{_S}_second": _second_line(_S),
    f"{_S}_exception": _exception(_S, f"{_S}_second"),
    f"{_S}_time": text_time_expression(_S),
    f"{_S}_level": text_level_word(_S),
    f"{_S}_kinds": _line_kinds(_S),
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
        Column("frames", "BIGINT", _frames("{s}", f"{_S}_kinds"), ()),
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
