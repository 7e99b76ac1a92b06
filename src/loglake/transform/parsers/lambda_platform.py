"""lambda_platform: Lambda's own lines, START / END / REPORT (with XRAY) / INIT_START, into `lambda_platform`.

REPORT yields numbers: duration_ms, billed_duration_ms, init_duration_ms (DOUBLE), memory_size_mb and
max_memory_used_mb (BIGINT), and the X-Ray trace id, segment id and sampling flag when tracing is on.
Fields are found by their labels, so tabs or spaces between them both work. The JSON shape Lambda
writes with LogFormat=JSON (`"type": "platform.report"`) goes to the same table: see lambda_platform_json.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Column, Example, FixedSchemaParser, ParsePlan

_TYPES = r"(START|END|REPORT|INIT_START|INIT_REPORT|XRAY) "
_SEPARATOR = r":\s*"
_CUT = "__ll_lambda_platform_cut"
"""A derived column: the struct of _REPORT's four groups (all '' where the line is not of its shape)."""
_TAIL = "__ll_lambda_platform_tail"
"""A derived column: the cut's last group split at spaces (`N MB<tab>Max Memory Used: N MB<tab>[Init ...]`)."""
_REPORT = (
    r"^REPORT RequestId: ([0-9a-f-]+)\tDuration: ([0-9.]+) ms\tBilled Duration: ([0-9.]+) ms\tMemory Size: "
    r"([0-9]+ MB\tMax Memory Used: [0-9]+ MB\t(?:Init Duration: [0-9.]+ ms\t)?)$"
)
"""A REPORT line without X-Ray, as Lambda writes it. Why each column's label regex finds its value in the
group or word `_CUTS` names. The line holds the labels, tabs, spaces, ` ms`, ` MB` and values of `[0-9a-f-]` and
`[0-9.]`, which hold no letter beyond `f`, no `:` and no blank: so each label present occurs once, where
the shape puts it (`Duration:` also ends `Billed Duration:` and `Init Duration:`, which come after the
tab-led one, and `(?:^|\\s)Duration` matches first at that tab), and the labels the shape lacks (Version,
XRAY TraceId, SegmentId, Sampled, Runtime Version; Init Duration where its piece is absent) do not occur,
so their regexes give ''. After a label, `\\s*` takes its one space, and the value's class (`\\S+`,
`[0-9.]+`, `[0-9]+`) the whole value, which a tab or ` ms`/` MB` follows: the text between that space
and the next space or tab. The first three are the pattern's groups; the last group, split at spaces, is
`N`, `MB<tab>Max`, `Memory`, `Used:`, `N`, `MB<tab>` or, with Init Duration, `MB<tab>Init`, `Duration:`,
`X`, `ms<tab>`: words 1, 5 and 8. `[0-9a-f-]+` is never empty, so the request id's group is '' exactly where the
line is not of the shape (NULL where it is NULL): the columns test `<> ''`, so both take the regexes. Each
label regex searched the line: 12 of them cost 150 ms CPU per 50,000 REPORT lines. The pattern is anchored
and each character decides the next step (RE2's one-pass engine; it extracts at most four groups so): its
extraction costs what its full match did (28 ms), where the full match, a split at tabs and six split_parts
cost about 50."""


def _labelled(name: str, type_: str, label: str, value: str = r"(\S+)") -> Column:
    pattern = sql_string(label + _SEPARATOR + value)
    regex = f"regexp_extract({{s}}, {pattern}, 1)"
    cut = _CUTS.get(name, chr(39) * 2)
    return Column(name, type_, f"CASE WHEN {_CUT}.request_id <> '' THEN {cut} ELSE {regex} END")


_CUTS = {
    "type": "'REPORT'",
    "request_id": f"{_CUT}.request_id",
    "duration_ms": f"{_CUT}.duration_ms",
    "billed_duration_ms": f"{_CUT}.billed_duration_ms",
    "memory_size_mb": f"{_TAIL}[1]",
    "max_memory_used_mb": f"{_TAIL}[5]",
    "init_duration_ms": f"coalesce({_TAIL}[8], '')",  # '' where the line ends after Max Memory Used's tab
}
"""Each column's value on a line of _REPORT's shape, from its groups and words; '' for the others."""


_COLUMNS = (
    Column(
        "type",
        "VARCHAR",
        f"CASE WHEN {_CUT}.request_id <> '' THEN 'REPORT' "
        f"ELSE regexp_extract({{s}}, {sql_string('^' + _TYPES)}, 1) END",
    ),
    _labelled("request_id", "VARCHAR", "RequestId"),
    _labelled("version", "VARCHAR", "Version"),
    _labelled("duration_ms", "DOUBLE", r"(?:^|\s)Duration", r"([0-9.]+) ms"),
    _labelled("billed_duration_ms", "DOUBLE", "Billed Duration", r"([0-9.]+) ms"),
    _labelled("memory_size_mb", "BIGINT", "Memory Size", r"([0-9]+) MB"),
    _labelled("max_memory_used_mb", "BIGINT", "Max Memory Used", r"([0-9]+) MB"),
    _labelled("init_duration_ms", "DOUBLE", "Init Duration", r"([0-9.]+) ms"),
    _labelled("xray_trace_id", "VARCHAR", "XRAY TraceId"),
    _labelled("segment_id", "VARCHAR", "SegmentId"),
    _labelled("sampled", "BOOLEAN", "Sampled"),
    _labelled("runtime_version", "VARCHAR", "Runtime Version", r"([^\s]+)"),
)


class LambdaPlatformParser(FixedSchemaParser):
    name = "lambda_platform"
    table = "lambda_platform"
    columns = _COLUMNS

    def matches(self, message: str) -> str:
        return f"regexp_matches({message}, {sql_string('^' + _TYPES + '(RequestId|Runtime Version|TraceId)')})"

    def staged(self, message: str) -> str:
        return LINE.format(m=message)

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        s = self.struct_column
        names = "['request_id', 'duration_ms', 'billed_duration_ms', 'rest']"
        cut = f"regexp_extract({s}, {sql_string(_REPORT)}, {names})"
        return replace(super().plan(con, max_depth), derived={_CUT: cut, _TAIL: f"string_split({_CUT}.rest, ' ')"})


EXAMPLES = [
    Example(
        "START RequestId: 06e46194-f277-454e-88d3-1dd7e3860eaa Version: $LATEST\n",
        {"type": "START", "request_id": "06e46194-f277-454e-88d3-1dd7e3860eaa", "version": "$LATEST"},
    ),
    Example(
        "REPORT RequestId: 06e46194-f277-454e-88d3-1dd7e3860eaa\tDuration: 9.14 ms\tBilled Duration: 10 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 36 MB\tInit Duration: 190.62 ms\t\n"
        "XRAY TraceId: 1-636d1462-33ef10600061cad86dab71c8\tSegmentId: 7ccb4860675ee485\tSampled: true\t\n",
        {
            "type": "REPORT",
            "duration_ms": 9.14,
            "billed_duration_ms": 10.0,
            "memory_size_mb": 128,
            "max_memory_used_mb": 36,
            "init_duration_ms": 190.62,
            "xray_trace_id": "1-636d1462-33ef10600061cad86dab71c8",
            "segment_id": "7ccb4860675ee485",
            "sampled": True,
        },
    ),
    Example(
        "END RequestId: 06e46194-f277-454e-88d3-1dd7e3860eaa\n",
        {"type": "END", "duration_ms": None, "version": None},
    ),
]
