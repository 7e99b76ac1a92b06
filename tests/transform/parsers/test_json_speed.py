"""Speed changes of the JSON shapes (issue 13, item 4): each pinned on the SQL's shape (fails on the code
before it) and on its values, old expression against new on crafted records (empty fields, numbers where
strings are usual, nulls, escapes, non-ASCII, CR/LF, missing fields)."""

from __future__ import annotations

import json
from typing import Any

from conftest import classified_rows, macro_connection
from loglake.sql_quoting import sql_string
from loglake.transform import etl, timestamps
from loglake.transform.parsers.otlp_json import _RECORD, _TEXT_PATHS, OtlpJsonParser

_OLD_RECORD_JSON = "json_extract(message, '$.resourceLogs[0].scopeLogs[0].logRecords[0]')"
_OLD_RECORD = f"json_extract_string({_OLD_RECORD_JSON}, '{{}}')"


def _old_otlp(expression: str) -> str:
    """The expression as the plan wrote it before the derived lists: one json_extract_string per mention."""
    for i, path in enumerate(_TEXT_PATHS, start=1):
        expression = expression.replace(f"__ll_otlp_text[{i}]", _OLD_RECORD.format(path))
    for i, key in enumerate(("name", "version"), start=1):
        scope = f"json_extract_string(message, '$.resourceLogs[0].scopeLogs[0].scope.{key}')"
        expression = expression.replace(f"__ll_otlp_scope[{i}]", scope)
    return expression.replace(f"{_RECORD}['body']", f"json_extract({_OLD_RECORD_JSON}, '$.body')")


def _otlp(record: dict[str, Any] | str, scope: object = None) -> str:
    text = record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)
    scope_text = "" if scope is None else f'"scope":{json.dumps(scope, ensure_ascii=False)},'
    return '{"resourceLogs":[{"resource":{},"scopeLogs":[{' + scope_text + '"logRecords":[' + text + "]}]}]}"


OTLP_RECORDS = [
    _otlp({"timeUnixNano": "1544712660300000000", "severityNumber": 10, "severityText": "Information"}, {"name": "a"}),
    _otlp({"timeUnixNano": 1544712660300000000, "observedTimeUnixNano": "1", "severityNumber": "17"}),
    _otlp({"timeUnixNano": "0", "observedTimeUnixNano": "1700000000000000000", "severityText": ""}),
    _otlp({"timeUnixNano": "", "severityText": "WARN", "traceId": "", "spanId": None, "flags": 1}),
    _otlp({"severityText": 'é\r\n"quoted"', "eventName": "ünïcode", "droppedAttributesCount": "3"}, {}),
    _otlp({"severityNumber": 25, "severityText": "debug", "flags": "x", "droppedAttributesCount": 2.5}),
    _otlp({"timeUnixNano": {"nested": 1}, "traceId": ["a"], "spanId": True, "eventName": "  "}, {"version": ""}),
    _otlp({"severityNumber": 0, "severityText": "FATAL2", "timeUnixNano": "-5"}, {"name": "n", "version": "1.0"}),
    _otlp("{}", {"name": None, "version": 2}),
    _otlp('{"severityText":"a","severityText":"b","timeUnixNano":"99"}'),
]


def test_otlp_record_fields_come_from_one_parse_per_row() -> None:
    """A json_extract_string per mention parsed each OTLP record 18 times per row (0.27 s per 50,000): the
    record's scalars and the scope's come from two path lists, derived once; the values are the old ones."""
    parser = OtlpJsonParser()
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, OTLP_RECORDS)
    plan = parser.plan(con, 5)
    assert list(plan.derived)[-3:] == [
        "__ll_otlp_text",
        "__ll_otlp_scope",
        "__ll_otlp_time",
    ]  # time: test_json_shapes_speed
    written = " ".join([plan.time, plan.level, *(f.expression for f in plan.fields)])
    assert written.count("json_extract_string(__ll_otlp_record,") == 0
    assert written.count("json_extract_string(message,") == 0
    time_text = plan.derived["__ll_otlp_time"]  # plan.time names it
    checked = [(f.path[0], f.expression) for f in plan.fields] + [("time", time_text), ("level", plan.level)]
    assert len(checked) == 13
    rows = etl.staged_rows(parser.name, parser.table, plan)
    for name, new in checked:
        old = _old_otlp(new)
        assert old != new, name
        query = f"SELECT i, ({new})::VARCHAR, ({old})::VARCHAR FROM ({rows}) ORDER BY i"
        result = con.execute(query).fetchall()
        assert len(result) == len(OTLP_RECORDS)
        assert [r[1] for r in result] == [r[2] for r in result], name
    time = f"strftime({timestamps.parse_time_expression(plan.time, '0', plan.time_format)}, '%Y-%m-%d %H:%M:%S.%f')"
    values = con.execute(f"SELECT {time}, ({plan.level}), __ll_otlp_scope FROM ({rows}) ORDER BY i").fetchall()
    assert values == [
        ("2018-12-13 14:51:00.300000", "INFO", ["a", None]),
        ("2018-12-13 14:51:00.300000", "ERROR", [None, None]),
        ("2023-11-14 22:13:20.000000", None, [None, None]),
        (None, "WARN", [None, None]),
        (None, None, [None, None]),
        (None, "DEBUG", [None, None]),
        (None, None, [None, ""]),
        (None, None, ["n", "1.0"]),
        (None, None, [None, "2"]),
        ("1970-01-01 00:00:00.000000", "A", [None, None]),
    ]
    assert sql_string("severityText") in plan.derived["__ll_otlp_text"]
