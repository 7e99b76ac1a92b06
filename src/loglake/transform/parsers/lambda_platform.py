"""lambda_platform: Lambda's own lines, START / END / REPORT (with XRAY) / INIT_START, into `lambda_platform`.

REPORT yields numbers: duration_ms, billed_duration_ms, init_duration_ms (DOUBLE), memory_size_mb and
max_memory_used_mb (BIGINT), and the X-Ray trace id, segment id and sampling flag when tracing is on.
Fields are found by their labels, so tabs or spaces between them both work. The JSON shape Lambda
writes with LogFormat=JSON (`"type": "platform.report"`) goes to the same table: see lambda_platform_json.
"""

from __future__ import annotations

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Column, Example, FixedSchemaParser

_TYPES = r"(START|END|REPORT|INIT_START|INIT_REPORT|XRAY) "
_SEPARATOR = r":\s*"


def _labelled(name: str, type_: str, label: str, value: str = r"(\S+)") -> Column:
    pattern = sql_string(label + _SEPARATOR + value)
    return Column(name, type_, f"regexp_extract({{s}}, {pattern}, 1)")


_COLUMNS = (
    Column("type", "VARCHAR", f"regexp_extract({{s}}, {sql_string('^' + _TYPES)}, 1)"),
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
