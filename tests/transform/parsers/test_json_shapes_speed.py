"""Speed changes of the slowest JSON shapes (issue 13, item 4: Lambda platform JSON, ECS FireLens, WAF, OTLP):
each pinned on the SQL's shape (fails on the code before it) and on its values, old expression against new,
on crafted records (empty fields, numbers where strings are usual, nulls, nested values, escapes, non-ASCII,
CR/LF, duplicate keys, missing fields, text that is not JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from conftest import classified_rows, macro_connection
from loglake.sql_quoting import sql_string
from loglake.transform import etl, timestamps
from loglake.transform.parsers.base import ParsePlan, json_text_field
from loglake.transform.parsers.ecs_firelens import KEYS, EcsFirelensParser
from loglake.transform.parsers.lambda_platform_json import _PATHS, LambdaPlatformJsonParser
from loglake.transform.parsers.otlp_json import _LIST_PATHS, _LISTS, OtlpJsonParser
from loglake.transform.parsers.waf import WafParser
from loglake.transform.settings import EtlSettings

_STAGED_ATTRS = {staged: _LISTS + path for staged, path in _LIST_PATHS.items()}
"""Each OTLP attribute list over the message, as OtlpJsonParser.plan reads its keys."""


def _same_values(
    con: duckdb.DuckDBPyConnection, name: str, table: str, plan: ParsePlan, old: dict[str, str], rows: int
) -> None:
    """Every column, the time and the level: the new expression (over the staged list) and `old` (over the
    message) give the same text on every row."""
    staged = etl.staged_rows(name, table, plan)
    checked = [(f.path[0], f.expression) for f in plan.fields] + [("time", plan.time), ("level", plan.level)]
    for column, new in checked:
        query = f"SELECT i, ({new})::VARCHAR, ({old[column]})::VARCHAR FROM ({staged}) ORDER BY i"
        result = con.execute(query).fetchall()
        assert len(result) == rows
        assert [r[1] for r in result] == [r[2] for r in result], column


def _same_claims(new: str, old: str, messages: list[str]) -> list[bool]:
    """What predicate `new` says of each message, checked to be what `old` says."""
    rows = (
        macro_connection()
        .execute(
            f"SELECT i, {new}, {old} FROM (SELECT unnest($m::VARCHAR[]) AS message, unnest(range(len($m))) AS i) "
            "ORDER BY i",
            {"m": messages},
        )
        .fetchall()
    )
    assert [r[1] for r in rows] == [r[2] for r in rows]
    return [r[1] for r in rows]


LAMBDA_RECORDS = [
    '{"time": "2022-10-12T00:01:15.000Z", "type": "platform.report", "record": {"requestId": "6d68ca91", '
    '"metrics": {"durationMs": 101.51, "billedDurationMs": 102, "memorySizeMB": 128, "maxMemoryUsedMB": 55, '
    '"initDurationMs": 210.3}, "status": "success", "tracing": {"spanId": "s1", '
    '"value": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}}}',
    '{"time": "", "type": "platform.start", "record": {"requestId": "", "version": "$LATEST", '
    '"runtimeVersion": "python:3.12.v9 ünï", "tracing": {"value": ""}}}',
    '{"type": "platform.runtimeDone", "record": {"status": "timeout", "metrics": {"durationMs": "1e3", '
    '"billedDurationMs": -1.5e-7, "memorySizeMB": "128", "maxMemoryUsedMB": 9223372036854775808}}}',
    '{"time": 1665532875000, "type": "platform.report", "record": {"requestId": null, "metrics": null, '
    '"status": "error", "tracing": {"value": "Sampled=0;Root=\\r\\n\\"x\\""}}}',
    '{"time": "2022-10-12T00:01:15Z", "type": "platform.fault", "record": ["a", "b"]}',
    '{"type": "platform.report", "record": {"metrics": {"durationMs": {"nested": 1}, "memorySizeMB": [1, 2]}, '
    '"status": "failure", "version": true}}',
    '{"type": "platform.report", "type": "platform.start", "record": {"requestId": "first"}, '
    '"record": {"requestId": "second"}, "time": "2022-10-12T00:01:15.000Z"}',
    '  {"type":"platform.initStart","record":{"status":"Error","runtimeVersion":"a\\u00e9\\t"}} \r\n',
    '{"type": "platform.logsDropped"}',
]


def _plan_from_one_list(parser: Any, records: list[str]) -> tuple[Any, Any]:
    """The parser's plan over `records`, checked to read every field from one json_extract_string path list."""
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, records)
    plan = parser.plan(con, 5)
    staged = plan.staging[parser.struct_column]
    assert staged.count("json_extract_string(") == 1
    assert staged.startswith("json_extract_string(message, [")
    written = " ".join([plan.time, plan.level, *(f.expression for f in plan.fields)])
    assert written.count("json_extract_string(") == 0
    return con, plan


def _one_parse_per_path(expression: str, struct: str, paths: list[str]) -> str:
    """`expression` as it was: each `struct[i]` a json_extract_string of the message at the i-th path."""
    for i, path in enumerate(paths, start=1):
        expression = expression.replace(f"{struct}[{i}]", f"json_extract_string(message, {sql_string(path)})")
    return expression


def test_lambda_platform_json_fields_come_from_one_parse_per_row() -> None:
    """A json_extract_string per column, the time and the level parsed each event 13 times (the COPY of 50,000
    events 0.30-0.32 s of CPU, 0.22-0.25 s from one list); the values are the old ones."""
    parser = LambdaPlatformJsonParser()
    con, plan = _plan_from_one_list(parser, LAMBDA_RECORDS)
    assert len(_PATHS) == 13

    def old(expression: str) -> str:
        return _one_parse_per_path(expression, parser.struct_column, _PATHS)

    checked = {f.path[0]: old(f.expression) for f in plan.fields} | {"time": old(plan.time), "level": old(plan.level)}
    assert len(checked) == 14
    _same_values(con, parser.name, parser.table, plan, checked, len(LAMBDA_RECORDS))
    values = con.execute(
        f"SELECT ({plan.time}), ({plan.level}), {parser.struct_column}[4], {parser.struct_column}[6] "
        f"FROM ({etl.staged_rows(parser.name, parser.table, plan)}) ORDER BY i"
    ).fetchall()
    assert values == [
        ("2022-10-12T00:01:15.000Z", None, "101.51", "128"),
        ("", None, None, None),
        (None, "ERROR", "1e3", "128"),
        ("1665532875000", "ERROR", None, None),
        ("2022-10-12T00:01:15Z", None, None, None),
        (None, "ERROR", '{"nested":1}', "[1,2]"),
        ("2022-10-12T00:01:15.000Z", None, None, None),
        (None, None, None, None),
        (None, None, None, None),
    ]


ECS_RECORDS = [
    '{"source": "stdout", "log": "116.82.105.169 - - \\"GET /\\" 200", "container_id": "e54c", '
    '"container_name": "/ecs-demo", "ecs_cluster": "mycluster", "ecs_task_arn": "arn:aws:ecs:us-east-2:1:task/c/1", '
    '"ecs_task_definition": "demo:7"}',
    '{"source": "", "log": "", "container_id": null, "container_name": "/app", "ecs_task_arn": "t", '
    '"ecs_cluster": "  ", "env": "prod"}',
    '{"log": {"level": "info", "msg": "ünïcode"}, "container_name": "/app", "ecs_task_arn": "t", "source": 1, '
    '"ecs_task_definition": 7.50, "container_id": ["a"]}',
    '{"log": "line\\r\\n", "log": "second", "container_name": "/a", "container_name": "/b", "ecs_task_arn": "t"}',
    '  {"ecs_task_arn":"t","container_name":"\\u00e9","log":"tab\\there","extra":{"k":[1,2]}} \r\n',
    '{"ecs_task_arn": "t", "container_name": "/x", "log": null, "source": true, "ecs_cluster": -1e-7}',
]


def test_ecs_firelens_fields_come_from_one_parse_per_row() -> None:
    """A json_extract_string per column parsed each record seven times (the COPY of 50,000 records 0.35-0.37 s
    of CPU, 0.25-0.26 s from one list); the values are the old ones."""
    parser = EcsFirelensParser()
    con, plan = _plan_from_one_list(parser, ECS_RECORDS)

    def old(expression: str) -> str:
        return _one_parse_per_path(expression, parser.struct_column, [f"$.{key}" for key in KEYS])

    checked = {f.path[0]: old(f.expression) for f in plan.fields} | {"time": plan.time, "level": plan.level}
    assert len(checked) == 10
    _same_values(con, parser.name, parser.table, plan, checked, len(ECS_RECORDS))
    names = [f.path[0] for f in plan.fields]
    values = con.execute(
        f"SELECT {', '.join(f.expression for f in plan.fields)} "
        f"FROM ({etl.staged_rows(parser.name, parser.table, plan)}) ORDER BY i"
    ).fetchall()
    assert [dict(zip(names, row, strict=True)) for row in values][1:4] == [
        {
            "container_id": None,
            "container_name": "/app",
            "stream": None,
            "log": "",
            "ecs_cluster": "  ",
            "ecs_task_arn": "t",
            "ecs_task_definition": None,
            "extra_fields": '{"env":"prod"}',
        },
        {
            "container_id": '["a"]',
            "container_name": "/app",
            "stream": "1",
            "log": '{"level":"info","msg":"ünïcode"}',
            "ecs_cluster": None,
            "ecs_task_arn": "t",
            "ecs_task_definition": "7.5",
            "extra_fields": None,
        },
        {
            "container_id": None,
            "container_name": "/a",
            "stream": None,
            "log": "line\r\n",
            "ecs_cluster": None,
            "ecs_task_arn": "t",
            "ecs_task_definition": None,
            "extra_fields": None,
        },
    ]


DETECTED = [
    *ECS_RECORDS,
    '{"ecs_task_arn": "t"}',
    '{"container_name": "/a", "note": "\\"ecs_task_arn\\""}',
    '{"ecs_task_arn": null, "container_name": "/a"}',
    '{"ecs_task_arn": "t", "container_name": null}',
    '{"ecs_task_arn": "t", "container_name": "/a"',
    '[{"ecs_task_arn": "t", "container_name": "/a"}]',
    '{"ecs_task_arn": {}, "container_name": []}',
    "ecs_task_arn container_name",
    "",
]


DETECTED_MORE = [
    '{"ecs_task_arn": "t", "container_name": "/a"} trailing',
    '{"ecs_task_arn": "t", "container_name": "/a"}{"x": 1}',
    '{"ecs_task_arn": "t", "container_name": "/a",}',
    '{"ecs_task_arn": "t", "container_name": NaN}',
    '{"ecs_task_arn": "t", "container_name": 1e400}',
    "{'ecs_task_arn': 't', 'container_name': '/a'}",
    '{"ecs_task_arn": "t", "container_name": "/a' + chr(1) + '"}',
    '{"ecs_task_arn": "t", "container_name": "/a' + chr(0) + '"}',
    '{"ecs_task_arn": "t", "container_name": "/a", "deep": ' + "[" * 200 + "]" * 200 + "}",
    '{"ecs_task_arn": "NULL", "container_name": "null"}',
    '{"ecs_task_arn": "", "container_name": ""}',
    '{"ecs_task_arn": false, "container_name": 0}',
    '{"ecs_task_arn": null, "ecs_task_arn": "t", "container_name": "/a"}',
    '{"ecs_task_arn": "t", "ecs_task_arn": null, "container_name": "/a"}',
    '{"\\u0065cs_task_arn": "t", "container_name": "/a", "x": "\\"ecs_task_arn\\""}',
    '{"Ecs_task_arn": "t", "container_name": "/a", "ecs_task_arn ": "t"}',
    '{"ecs_task_arn": "ünï", "container_name": "é\\r\\n"}\r\n',
    '{"ecs_task_arn":"t","container_name":"/a","log":"' + "z" * 100_000 + '"}',
    '{"ecs_task_arn": "t", "container_name": "/a"',
    '{"ecs_task_arn": "t", "container_name": "/a"}\n{"ecs_task_arn": "t", "container_name": "/a"}',
    None,
]


def test_ecs_firelens_detection_validates_and_parses_once() -> None:
    """Detection read its two fields with a json_text_field each (two validations and two parses per line,
    75 ms per 50,000 FireLens records); then one validation and one list (json_text_fields); now one parse
    (base.json_fields_present, TRY(json_type)): the same claims as both on every record, valid JSON or not,
    three times over (several chunks: TRY evaluates a failing chunk again row by row)."""
    new = EcsFirelensParser().detect("message")
    assert "json_valid(" not in new
    assert new.count("TRY(json_type(") == 1
    old = (
        "(CASE WHEN starts_with(message, '{') AND contains(message, '\"ecs_task_arn\"') THEN "
        f"({json_text_field('message', '$.ecs_task_arn')} IS NOT NULL "
        f"AND {json_text_field('message', '$.container_name')} IS NOT NULL) ELSE false END)"
    )
    one_list = (  # 8dd5176's: one validation, one json_extract_string of both paths
        "(CASE WHEN starts_with(message, '{') AND contains(message, '\"ecs_task_arn\"') THEN "
        "list_transform([json_extract_string(CASE WHEN json_valid(message) THEN message END, "
        "['$.ecs_task_arn', '$.container_name'])], lambda k: k[1] IS NOT NULL AND k[2] IS NOT NULL)[1] ELSE false END)"
    )
    assert _same_claims(new, old, DETECTED) == [True] * 4 + [False, True] + [False] * 6 + [True, False, False]
    records = [*DETECTED, *DETECTED_MORE] * 3
    assert _same_claims(new, one_list, records) == _same_claims(new, old, records)
    assert sum(bool(c) for c in _same_claims(new, one_list, records)) == 3 * (8 + 8)


def _otlp_doc(record: str, resource: str = "{}", more: str = "") -> str:
    return (
        '{"resourceLogs":[{"resource":'
        + resource
        + ',"scopeLogs":[{"scope":{},"logRecords":['
        + record
        + "]}]}"
        + more
        + "]}"
    )


_ATTRS = '[{"key":"a","value":{"stringValue":"é\\r\\n"}},{"key":"n","value":{"intValue":"9223372036854775808"}}]'
OTLP_DOCS = [
    _otlp_doc('{"timeUnixNano":"1544712660300000000","attributes":' + _ATTRS + "}", '{"attributes":' + _ATTRS + "}"),
    _otlp_doc('{"a":1},{"b":2}'),
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[]},{"logRecords":[{"b":2}]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":{"a":1}}]}]}',
    '{"resourceLogs":{}}',
    '{"resourceLogs":[]}',
    '{"resourceLogs":null}',
    _otlp_doc("1"),
    _otlp_doc("null"),
    _otlp_doc('[{"a":1}]'),
    _otlp_doc("{}", more=',{"scopeLogs":[{"logRecords":[{"c":3}]}]}'),
    _otlp_doc('{"attributes":{"key":"a"}}', '{"attributes":"x"}'),
    _otlp_doc('{"attributes":[{"key":"k","key":"k2","value":1.50},{"value":null},{}],"body":{"doubleValue":-1.5e-7}}'),
    _otlp_doc('{"attributes":[],"x":"\\u00e9"}', '{"attributes":null}'),
    _otlp_doc(
        '{"attributes":[{"key":"a","value":{"boolValue":true}}]}', '{"attributes":[{"key":"b"}],"attributes":[]}'
    ),
]
_OLD_REJECT = (
    "(json_array_length(json_extract(message, '$.resourceLogs[*].scopeLogs[*].logRecords[*]')) <> 1 OR "
    "coalesce(json_type(json_extract(message, '$.resourceLogs[0].scopeLogs[0].logRecords[0]')), '') <> 'OBJECT')"
)


def test_otlp_reject_asks_json_type_instead_of_extracting() -> None:
    """The not-split test extracted every record (json_extract with a wildcard) and the first one again to ask
    their number and type (0.22 s of CPU per 50,000 records, one thread); json_type answers both without
    writing the records out (0.08 s); it rejects the same documents."""
    rule = OtlpJsonParser().reject("message")
    assert rule is not None
    new, _reason = rule
    # Since h-otlp9 the record count comes from the transform classification keeps (etl.claimed_columns), and
    # json_type asks only where the first record has none of the fields read (test_otlp_json.py compares it with
    # the json_type form on more documents): the columns are computed here as classification computes them.
    assert new.count("json_type(message,") == 1
    assert "json_extract" not in new
    claimed = "".join(f", {e} AS {c}" for c, e in etl.claimed_columns(EtlSettings(), frozenset()).items())
    new = f"(SELECT {new} FROM (SELECT *{claimed} FROM (SELECT message, 'otlp_json' AS __ll_parser)))"
    assert _same_claims(new, _OLD_REJECT, OTLP_DOCS) == [False] + [True] * 9 + [True, False, False, False, False]


_OLD_OTLP_PARTS = (
    "json_extract(message, ['$.resourceLogs[0].scopeLogs[0].logRecords[0]', '$.resourceLogs[0].resource.attributes', "
    "'$.resourceLogs[0].scopeLogs[0].logRecords[0].attributes', '$.resourceLogs[0].scopeLogs[0].scope'])"
)
_OLD_OTLP_COLUMNS = {
    "__ll_otlp_record": f"{_OLD_OTLP_PARTS}[1]",
    "__ll_otlp_resource": f'json_transform({_OLD_OTLP_PARTS}[2], \'[{{"key": "VARCHAR", "value": "JSON"}}]\')',
    "__ll_otlp_attributes": f'json_transform({_OLD_OTLP_PARTS}[3], \'[{{"key": "VARCHAR", "value": "JSON"}}]\')',
    "__ll_otlp_scope_object": f"{_OLD_OTLP_PARTS}[4]",
}
"""OTLP's staged columns before the one json_transform (commit da68c6c): one json_extract path list."""
_OLD_OTLP_DERIVED = {
    "__ll_otlp_text": "json_extract_string(__ll_otlp_record, ['$.timeUnixNano', '$.observedTimeUnixNano', "
    "'$.severityText', '$.severityNumber', '$.traceId', '$.spanId', '$.flags', '$.eventName', "
    "'$.droppedAttributesCount'])",
    "__ll_otlp_scope": "coalesce(json_extract_string(__ll_otlp_scope_object, ['$.name', '$.version']), [NULL, NULL])",
}


def test_otlp_record_and_attribute_lists_come_from_one_parse() -> None:
    """The record and the two attribute lists were three json_extract of the message (three parses, 0.17 s of
    CPU per 50,000 records, one thread), then one json_extract path list whose record the scalar fields parsed
    again; now one json_transform of the message into a STRUCT, the same lists and texts (the columns:
    test_json_speed.py's test_otlp_one_transform_gives_the_old_columns)."""
    parser = OtlpJsonParser()
    con = macro_connection()
    docs = [d for d in OTLP_DOCS if not d.startswith('{"resourceLogs":{') and "null}" not in d[:25]]
    classified_rows(con, parser.name, parser.table, docs)
    plan = parser.plan(con, 5)
    assert list(plan.staging) == ["__ll_otlp_log"]
    assert plan.staging["__ll_otlp_log"].startswith("json_transform(message, ")
    assert "json_extract(" not in " ".join([*plan.staging.values(), *plan.derived.values()])
    staged = etl.staged_rows(parser.name, parser.table, plan)
    old_columns = ", ".join(f"{e} AS {c}" for c, e in _OLD_OTLP_COLUMNS.items())
    old_rows = f"SELECT *, {old_columns} FROM classified"
    for column, expression in _OLD_OTLP_DERIVED.items():
        old_rows = f"SELECT *, {expression} AS {column} FROM ({old_rows})"
    # The text lists are read by element: where no record object is (a document reject quarantines) the old
    # list was NULL, the new one a list of NULLs.
    read = ["__ll_otlp_resource", "__ll_otlp_attributes"]
    read += [f"__ll_otlp_text[{k}]" for k in range(1, 10)] + ["__ll_otlp_scope[1]", "__ll_otlp_scope[2]"]
    for column, expression in _STAGED_ATTRS.items():  # what plan() reads the keys from
        new = con.execute(f"SELECT i, ({expression})::VARCHAR FROM classified ORDER BY i").fetchall()
        old = con.execute(f"SELECT i, {column}::VARCHAR FROM ({old_rows}) ORDER BY i").fetchall()
        assert new == old, column
    for column in read:
        new = con.execute(f"SELECT i, {column}::VARCHAR FROM ({staged}) ORDER BY i").fetchall()
        old = con.execute(f"SELECT i, {column}::VARCHAR FROM ({old_rows}) ORDER BY i").fetchall()
        assert len(new) == len(docs) == 13
        assert new == old, column
    kinds = [(f.source, f.type) for f in plan.fields][-6:]
    assert kinds == [
        ("/~0resource/a", "VARCHAR"),
        ("/~0resource/b", "VARCHAR"),
        ("/~0resource/n", "BIGINT"),
        ("/~0attributes/a", "VARCHAR"),
        ("/~0attributes/k", "VARCHAR"),
        ("/~0attributes/n", "BIGINT"),
    ]
    values = con.execute(f"SELECT {', '.join(f.expression for f in plan.fields[-6:])} FROM ({staged}) ORDER BY i")
    rows = values.fetchall()
    assert rows[0] == ("é\r\n", None, None, "é\r\n", None, None)  # n: beyond BIGINT, NULL as before
    assert rows[12] == (None, None, None, "true", None, None)
    assert all(row == (None,) * 6 for row in rows[1:12])


_LATEST_NS = 253402300799999999999
OTLP_TIMES = [
    '{"timeUnixNano":"1544712660300000123"}',
    '{"timeUnixNano":1544712660300000000,"observedTimeUnixNano":"1"}',
    '{"timeUnixNano":"0","observedTimeUnixNano":"1700000000000000999"}',
    '{"timeUnixNano":"1"}',
    '{"timeUnixNano":"999"}',
    '{"timeUnixNano":"1000"}',
    '{"timeUnixNano":"999999999999999999"}',
    '{"timeUnixNano":"999999999999999999999"}',
    '{"timeUnixNano":"1000000000000000000"}',
    '{"timeUnixNano":"1000000000000000999"}',
    '{"timeUnixNano":"9999999999999999999"}',
    '{"timeUnixNano":"10000000000000000000"}',
    f'{{"timeUnixNano":"{_LATEST_NS}"}}',
    f'{{"timeUnixNano":"{_LATEST_NS + 1}","observedTimeUnixNano":"2000000000000000000"}}',
    '{"timeUnixNano":"-5","observedTimeUnixNano":"abc"}',
    '{"timeUnixNano":1.5e18}',
    '{"timeUnixNano":" 1544712660300000000"}',
    '{"timeUnixNano":"+1544712660300000000"}',
    '{"timeUnixNano":""}',
    "{}",
]


def test_otlp_time_is_read_through_the_epoch_us_fast_path() -> None:
    """The event time was formatted as ISO text then read back by ll_parse_time's cascade (61 ms of CPU per
    50,000 records, one thread); a 16-digit microsecond count now takes the `epoch_us` fast path, computed once
    (32 ms), and every time reads as the same TIMESTAMP as before, at each edge of that range."""
    parser = OtlpJsonParser()
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, [_otlp_doc(r) for r in OTLP_TIMES])
    plan = parser.plan(con, 5)
    assert plan.time_format == "epoch_us"
    assert plan.time == "__ll_otlp_time"
    assert "lambda u:" in plan.derived["__ll_otlp_time"]

    def nanos(key: str) -> str:
        return f"TRY_CAST(__ll_otlp_text[{['timeUnixNano', 'observedTimeUnixNano'].index(key) + 1}] AS HUGEINT)"

    def old_time(key: str) -> str:
        return (
            f"CASE WHEN {nanos(key)} BETWEEN 1 AND {_LATEST_NS} "
            f"THEN make_timestamp(CAST({nanos(key)} // 1000 AS BIGINT)) END"
        )

    old = f"strftime(coalesce({old_time('timeUnixNano')}, {old_time('observedTimeUnixNano')}), '%Y-%m-%d %H:%M:%S.%f')"
    new_read = timestamps.parse_time_expression(plan.time, "0", plan.time_format)
    old_read = timestamps.parse_time_expression(old, "0", None)
    rows = con.execute(
        f"SELECT i, {plan.time}, {new_read}, {old_read} FROM ({etl.staged_rows(parser.name, parser.table, plan)}) "
        "ORDER BY i"
    ).fetchall()
    assert len(rows) == len(OTLP_TIMES)
    assert [r[2] for r in rows] == [r[3] for r in rows]
    assert [r[1] for r in rows] == [
        "1544712660300000",
        "1544712660300000",
        "1700000000000000",
        "1970-01-01 00:00:00.000000",
        "1970-01-01 00:00:00.000000",
        "1970-01-01 00:00:00.000001",
        "2001-09-09 01:46:39.999999",
        None,
        "1000000000000000",
        "1000000000000000",
        "9999999999999999",
        "2286-11-20 17:46:40.000000",
        "9999-12-31 23:59:59.999999",
        "2000000000000000",
        None,
        "1500000000000000",
        "1544712660300000",
        "1544712660300000",
        None,
        None,
    ]


WAF_LINES = [
    '{"timestamp":1,"webaclId":"arn:aws:wafv2:us-east-1:1:regional/webacl/a/b","httpRequest":{"requestId":"r"}}',
    '{"webaclId":"a","httpRequest":null}',
    '{"webaclId":null,"httpRequest":{}}',
    '{"webaclId":"","httpRequest":""}',
    '{"webaclId":{},"httpRequest":[]}',
    '{"webaclId":"a","webaclId":null,"httpRequest":1}',
    '{"httpRequest":{"webaclId":"a"},"x":"\\"webaclId\\""}',
    '{"webaclId":"é\\r\\n","httpRequest":{"uri":"\\u00e9"}',
    '[{"webaclId":"a","httpRequest":{}}]',
    ' {"webaclId":"a","httpRequest":{}}',
    '{"webaclId" : "a" , "httpRequest" : {"args":""}}\r\n',
    "webaclId httpRequest",
    "",
]


def test_waf_detection_validates_and_parses_once() -> None:
    """Detection read its two fields with a json_text_field each (two validations and two parses of every WAF
    record, 0.14-0.15 s of CPU per 50,000, one thread); one validation and one list now (0.09-0.11 s), and it
    claims the same lines."""
    new = WafParser().detect("message")
    assert new.count("json_valid(") == 1
    assert new.count("json_extract_string(") == 1
    old = (
        "(CASE WHEN starts_with(message, '{') THEN (CASE WHEN contains(message, '\"webaclId\"') THEN "
        f"{json_text_field('message', '$.webaclId')} IS NOT NULL AND "
        f"{json_text_field('message', '$.httpRequest')} IS NOT NULL ELSE false END) ELSE false END)"
    )
    assert _same_claims(new, old, WAF_LINES) == [True, False, False, True, True, True] + [False] * 4 + [
        True,
        False,
        False,
    ]


def _one_record(record: str, resource: str = '{"attributes":[]}', scope: str = "{}", log_more: str = "") -> str:
    return (
        '{"resourceLogs":[{"resource":'
        + resource
        + log_more
        + ',"scopeLogs":[{"scope":'
        + scope
        + ',"logRecords":['
        + record
        + "]}]}]}"
    )


_KIND_ATTRS = (
    '[{"key":"s","value":{"stringValue":"a\\\\/b\\u00e9\\r\\n\\"q\\""}},{"key":"i","value":{"intValue":12}},'
    '{"key":"d","value":{"doubleValue":"NaN"}},{"key":"b","value":{"boolValue":false}},'
    '{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"}]}}},{"key":"k","value":{"kvlistValue":{}}},'
    '{"key":"y","value":{"bytesValue":"AAE="}},{"key":"s","value":{"stringValue":"second"}},{"key":"","value":{}},'
    '{"key":null,"value":{"stringValue":"x"}},{"key":"n","value":null},{"key":"m"},{"key":"\\u00fc","value":'
    '{"doubleValue":-0.0,"stringValue":"both"}}]'
)
OTLP_ONE_RECORD_DOCS = [
    _one_record(
        '{"severityText":"W\\u0041RN\\r\\n","traceId":"\\"q\\"","eventName":"é","body":{"stringValue":"\\\\/"},'
        '"attributes":' + _KIND_ATTRS + "}"
    ),
    _one_record(
        '{"severityNumber":9.0,"flags":1.5e-7,"droppedAttributesCount":1E400,"timeUnixNano":1.5e18,'
        '"observedTimeUnixNano":12345678901234567890123,"spanId":-0,"body":{"doubleValue":-1.5e-7}}'
    ),
    _one_record(
        '{"timeUnixNano":null,"severityText":null,"severityNumber":null,"body":null,"attributes":null}',
        resource="null",
        scope="null",
    ),
    _one_record('{"severityText":"","traceId":" ","eventName":"  x ","body":{}}', scope='{"name":"","version":" "}'),
    _one_record(
        '{"attributes":"x","attributes":' + _KIND_ATTRS + ',"body":{"intValue":"1"},"body":{"boolValue":true},'
        '"timeUnixNano":"1544712660300000000","timeUnixNano":"1"}',
        resource='{"attributes":' + _KIND_ATTRS + "}",
    ),
    _one_record('{"\\u0062ody":{"kvlistValue":{"values":[]}},"sev\\u0065rityText":"error","SeverityText":"x"}'),
    _one_record('{"body":"plain","severityNumber":"17"}', scope='[{"name":"a"}]'),
    _one_record('{"body":5,"flags":"3"}', scope='"s"', resource='"r"'),
    _one_record('{"body":{"arrayValue":{"values":[]}}}', scope='{"name":{"a":1},"version":2,"name":"dup"}'),
    _one_record('{"attributes":[]}', resource='{"attributes":{"key":"a"},"attributes":[{"key":"z"}]}'),
    _one_record('{"severityNumber":13}', log_more=',"resource":{"attributes":[{"key":"late"}]}'),
    '{"resourceLogs":[{"scopeLogs":"x","scopeLogs":[{"logRecords":[{"severityText":"a"}]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityText":"b"}],"scope":{"name":"s"}}]},{"scopeLogs":[]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityText":"c"}]},{"logRecords":[]}]}],"resourceLogs":[]}',
]


def test_otlp_one_transform_gives_the_old_columns() -> None:
    """Every column, the time and the level of the one-transform plan, over crafted documents (escapes,
    non-ASCII, CR/LF, numbers where strings are usual, nulls, empty and spaced strings, duplicate and escaped
    keys, a scope or resource that is not an object, every AnyValue kind, more resources and scopes after the
    first): the same text as the same expressions over the columns as staged before (one json_extract path list
    of the message, then json_extract_string / json_transform of its parts)."""
    parser = OtlpJsonParser()
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, OTLP_ONE_RECORD_DOCS)
    plan = parser.plan(con, 5)
    assert list(plan.staging) == ["__ll_otlp_log"]
    staged = etl.staged_rows(parser.name, parser.table, plan)
    old_columns = ", ".join(f"{e} AS {c}" for c, e in _OLD_OTLP_COLUMNS.items())
    old_rows = f"SELECT *, {old_columns} FROM classified"
    for column, expression in {**_OLD_OTLP_DERIVED, "__ll_otlp_time": plan.derived["__ll_otlp_time"]}.items():
        old_rows = f"SELECT *, {expression} AS {column} FROM ({old_rows})"
    for column, expression in _STAGED_ATTRS.items():  # what plan() reads the keys from
        new_lists = con.execute(f"SELECT i, ({expression})::VARCHAR FROM classified ORDER BY i").fetchall()
        old_lists = con.execute(f"SELECT i, {column}::VARCHAR FROM ({old_rows}) ORDER BY i").fetchall()
        assert new_lists == old_lists, column
    body = "__ll_otlp_log['scopeLogs'][1]['logRecords'][1]['body']"
    checked = [(f.source, f.expression) for f in plan.fields] + [("time", plan.time), ("level", plan.level)]
    assert len(checked) == 11 + 10 + 10 + 2  # the fixed columns, the attribute keys of both lists, time and level
    for name, new in checked:
        old = new.replace(body, "json_extract(__ll_otlp_record, '$.body')")
        assert (old != new) == (name == "/body"), name
        new_values = con.execute(f"SELECT i, ({new})::VARCHAR FROM ({staged}) ORDER BY i").fetchall()
        old_values = con.execute(f"SELECT i, ({old})::VARCHAR FROM ({old_rows}) ORDER BY i").fetchall()
        assert len(new_values) == len(OTLP_ONE_RECORD_DOCS) == 14
        assert new_values == old_values, name
    bodies = con.execute(f"SELECT ({plan.fields[3].expression}) FROM ({staged}) ORDER BY i").fetchall()
    assert [b[0] for b in bodies] == [
        "\\/",
        "-1.5e-7",
        None,
        None,
        "1",
        '{"values":[]}',
        None,
        None,
        '{"values":[]}',
        None,
        None,
        None,
        None,
        None,
    ]


_R53 = (
    '{"version":"1.100000","account_id":"1","region":"us-east-1","vpc_id":"vpc-1",'
    '"query_timestamp":"2020-09-24T00:01:02Z","query_name":"example.com.","query_type":"A","query_class":"IN",'
    '"rcode":"NOERROR","answers":[],"srcaddr":"10.0.0.1","srcport":"53","transport":"UDP","srcids":{}}'
)
ONE_PARSE_DETECTION = [
    _R53,
    _R53.replace('"rcode":"NOERROR"', '"rcode":null'),
    _R53.replace('"rcode":"NOERROR"', '"rcode":""'),
    _R53.replace('"query_name":"example.com."', '"query_name":{"a":1.5e-7}'),
    _R53.replace('"query_name":"example.com.",', ""),
    _R53.replace('"query_timestamp":"2020-09-24T00:01:02Z"', '"query_timestamp":1600905662'),
    _R53.replace('"rcode":"NOERROR"', '"rcode":"NOERROR","rcode":null'),
    _R53.replace('"rcode":"NOERROR"', '"rcode":null,"rcode":"NOERROR"'),
    _R53.replace('"rcode"', '"RCODE"'),
    _R53[:-1],
    _R53 + " trailing",
    "  " + _R53 + "\r\n",
    '["query_timestamp", "query_name", "rcode"]',
    '{"note": "\\"query_timestamp\\":1 \\"firewall_name\\":2", "query_name": "é", "rcode": "x"}',
    '{"query_timestamp":"t","query_name":"n","rcode":"r","firewall_name":"f","event":{}}',
    '{"firewall_name":"fw","event":{"timestamp":"2020-10-13T22:10:01.006481+0000","event_type":"netflow"}}',
    '{"firewall_name":"fw","event":null}',
    '{"firewall_name":null,"event":{}}',
    '{"firewall_name":"","event":[]}',
    '{"firewall_name":"fw","event":"text"}',
    '{"firewall_name":"fw","event":0}',
    '{"firewall_name":"fw"}',
    '{"event":{},"firewall_name":"fw","firewall_name":null}',
    '{"firewall_name":"fw","event":{"a":1}',
    '{"firewall_name":"fw","event":{"a":"\\u00e9\\r\\n"}} \n',
    '{"availability_zone":"us-east-1b","firewall_name":"日本","event_timestamp":"1602627001","event":{"x":-1E400}}',
    "",
    "firewall_name event",
]
"""Route 53 Resolver and Network Firewall records and near-misses: a field null, empty, of another type or
missing; duplicate keys (the first null); a key in another case; truncated, trailing text, blanks and CR/LF
around; an array; the markers inside a string value; invalid JSON; not JSON at all."""


def test_route53_and_network_firewall_detection_validate_and_parse_once() -> None:
    """Each field was a json_text_field of its own (a validation and a parse per field: three of each for
    Route 53 Resolver, two for Network Firewall); now one json_valid and one path list per record, and every
    line is claimed as before."""
    from loglake.transform.parsers.network_firewall import NetworkFirewallParser
    from loglake.transform.parsers.route53_resolver import Route53ResolverParser

    r53, nf = Route53ResolverParser().detect("message"), NetworkFirewallParser().detect("message")
    assert [(d.count("json_valid("), d.count("json_extract_string(")) for d in (r53, nf)] == [(1, 1), (1, 1)]
    name, stamp, rcode = (json_text_field("message", f"$.{k}") for k in ("query_name", "query_timestamp", "rcode"))
    old_r53 = (
        "(CASE WHEN starts_with(message, '{') THEN (CASE WHEN contains(message, '\"query_timestamp\"') "
        f"THEN {name} IS NOT NULL AND {stamp} IS NOT NULL AND {rcode} IS NOT NULL ELSE false END) ELSE false END)"
    )
    firewall, event = (json_text_field("message", f"$.{k}") for k in ("firewall_name", "event"))
    old_nf = (
        "(CASE WHEN starts_with(message, '{') THEN (CASE WHEN contains(message, '\"firewall_name\"') "
        f"THEN {firewall} IS NOT NULL AND {event} IS NOT NULL ELSE false END) ELSE false END)"
    )
    samples = Path(__file__).resolve().parents[2] / "events" / "aws_formats"
    documented = [
        line
        for name in ("route53_resolver_docs.log", "route53_resolver_docs_2020.log", "network_firewall_otel.log")
        for line in (samples / name).read_text().splitlines()
    ]
    lines = ONE_PARSE_DETECTION + documented
    claims = [_same_claims(new, old, lines) for new, old in ((r53, old_r53), (nf, old_nf))]
    assert [i for i, claimed in enumerate(claims[0]) if claimed] == [0, 2, 3, 5, 6, 14, 28, 29]
    assert [i for i, claimed in enumerate(claims[1]) if claimed] == [14, 15, 18, 19, 20, 22, 24, 25, 30, 31, 32]
