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
"""A derived column: the line split at tabs where it has REPORT's usual shape (_REPORT), else NULL."""
_REPORT = (
    r"REPORT RequestId: [0-9a-f-]+\tDuration: [0-9.]+ ms\tBilled Duration: [0-9.]+ ms\tMemory Size: [0-9]+ MB\t"
    r"Max Memory Used: [0-9]+ MB\t(?:Init Duration: [0-9.]+ ms\t)?"
)
"""A REPORT line without X-Ray, as Lambda writes it. Why each column's label regex finds its value in the
piece `_CUTS` names. The line holds the labels, tabs, spaces, ` ms`, ` MB` and values of `[0-9a-f-]` and
`[0-9.]`, which hold no letter beyond `f`, no `:` and no blank: so each label present occurs once, where
the shape puts it (`Duration:` also ends `Billed Duration:` and `Init Duration:`, which come after the
tab-led one, and `(?:^|\\s)Duration` matches first at that tab), and the labels the shape lacks (Version,
XRAY TraceId, SegmentId, Sampled, Runtime Version; Init Duration where its piece is absent) do not occur,
so their regexes give ''. After a label, `\\s*` takes its one space, and the value's class (`\\S+`,
`[0-9.]+`, `[0-9]+`) the whole value, which a tab or ` ms`/` MB` follows: the text between that space
and the next space or tab, which the split reads. Each regex searched the line: 12 of them cost 150 ms CPU
per 50,000 REPORT lines; the shape's full match, the split and the pieces about 55."""


def _labelled(name: str, type_: str, label: str, value: str = r"(\S+)") -> Column:
    pattern = sql_string(label + _SEPARATOR + value)
    regex = f"regexp_extract({{s}}, {pattern}, 1)"
    return Column(name, type_, f"CASE WHEN {_CUT} IS NULL THEN {regex} ELSE {_CUTS.get(name, chr(39) * 2)} END")


_CUTS = {
    "type": "'REPORT'",
    "request_id": f"substr({_CUT}[1], 19)",  # after `REPORT RequestId: `
    "duration_ms": f"split_part({_CUT}[2], ' ', 2)",
    "billed_duration_ms": f"split_part({_CUT}[3], ' ', 3)",
    "memory_size_mb": f"split_part({_CUT}[4], ' ', 3)",
    "max_memory_used_mb": f"split_part({_CUT}[5], ' ', 4)",
    "init_duration_ms": f"split_part({_CUT}[6], ' ', 3)",  # '' where the line ends after Max Memory Used's tab
}
"""Each column's value on a line of _REPORT's shape, from its pieces between tabs; '' for the others."""


_COLUMNS = (
    Column(
        "type",
        "VARCHAR",
        f"CASE WHEN {_CUT} IS NULL THEN regexp_extract({{s}}, {sql_string('^' + _TYPES)}, 1) ELSE 'REPORT' END",
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
        cut = f"CASE WHEN regexp_full_match({s}, {sql_string(_REPORT)}) THEN string_split({s}, chr(9)) END"
        return replace(super().plan(con, max_depth), derived={_CUT: cut})


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
