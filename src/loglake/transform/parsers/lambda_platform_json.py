"""lambda_platform_json: Lambda's platform events in its JSON log format (`"type": "platform.report"` ...),
into the same `lambda_platform` table and columns as the text lines (`type` keeps the JSON type).
"""

from __future__ import annotations

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import Column, Example, FixedSchemaParser, json_text_field

_PATHS = (
    "$.type",
    "$.record.requestId",
    "$.record.version",
    "$.record.metrics.durationMs",
    "$.record.metrics.billedDurationMs",
    "$.record.metrics.memorySizeMB",
    "$.record.metrics.maxMemoryUsedMB",
    "$.record.metrics.initDurationMs",
    "$.record.tracing.value",
    "$.record.tracing.spanId",
    "$.record.runtimeVersion",
    "$.time",
    "$.record.status",
)
"""The event's fields the columns, the time and the level read, from one parse per row (the staged list):
json_extract_string with a list of paths gives, per path, what it gives for that path alone (the same
text, NULL where absent; with a duplicate key, the first), so every value is the one a json_extract_string
per column gave. That parsed each event 13 times (tests/transform/parsers/test_json_shapes_speed.py)."""


def _field(path: str) -> str:
    """SQL: the event's field at `path` (one of _PATHS) as text, from the staged list."""
    return f"{{s}}[{_PATHS.index(path) + 1}]"


def _path(name: str, type_: str, path: str) -> Column:
    return Column(name, type_, _field(path))


class LambdaPlatformJsonParser(FixedSchemaParser):
    name = "lambda_platform_json"
    table = "lambda_platform"
    guard = "starts_with({m}, '{')"
    markers = ('"platform.',)
    columns = (
        _path("type", "VARCHAR", "$.type"),
        _path("request_id", "VARCHAR", "$.record.requestId"),
        _path("version", "VARCHAR", "$.record.version"),
        _path("duration_ms", "DOUBLE", "$.record.metrics.durationMs"),
        _path("billed_duration_ms", "DOUBLE", "$.record.metrics.billedDurationMs"),
        _path("memory_size_mb", "BIGINT", "$.record.metrics.memorySizeMB"),
        _path("max_memory_used_mb", "BIGINT", "$.record.metrics.maxMemoryUsedMB"),
        _path("init_duration_ms", "DOUBLE", "$.record.metrics.initDurationMs"),
        Column("xray_trace_id", "VARCHAR", f"regexp_extract({_field('$.record.tracing.value')}, 'Root=([^;]+)', 1)"),
        _path("segment_id", "VARCHAR", "$.record.tracing.spanId"),
        Column("sampled", "BOOLEAN", f"regexp_extract({_field('$.record.tracing.value')}, 'Sampled=([01])', 1)"),
        _path("runtime_version", "VARCHAR", "$.record.runtimeVersion"),
    )
    time = _field("$.time")
    level = f"CASE WHEN {_field('$.record.status')} IN ('error', 'failure', 'timeout') THEN 'ERROR' END"

    def staged(self, message: str) -> str:
        return f"json_extract_string({message}, [{', '.join(sql_string(p) for p in _PATHS)}])"

    def matches(self, message: str) -> str:
        return (
            f"(CASE WHEN contains({message}, '\"platform.') "
            f"THEN starts_with({json_text_field(message, '$.type')}, 'platform.') ELSE false END)"
        )


EXAMPLES = [
    Example(
        '{"time": "2022-10-12T00:01:15.000Z", "type": "platform.report", "record": {"requestId": '
        '"6d68ca91-49c9-448d-89b8-7ca3e6dc66aa", "metrics": {"durationMs": 101.51, "billedDurationMs": 102, '
        '"memorySizeMB": 128, "maxMemoryUsedMB": 55, "initDurationMs": 210.3}, "status": "success"}}',
        {
            "type": "platform.report",
            "request_id": "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa",
            "duration_ms": 101.51,
            "billed_duration_ms": 102.0,
            "memory_size_mb": 128,
            "max_memory_used_mb": 55,
            "init_duration_ms": 210.3,
            "timestamp": "2022-10-12 00:01:15",
            "level": None,
        },
    ),
]
