"""OTLP JSON's one transform in classification (etl.claimed_columns): the not-split test, plan()'s attribute keys
and every column read the transform classification kept, and give main's values (8dd5176's expressions, kept
here) on crafted documents and the benchmark's records."""

from __future__ import annotations

import random
from typing import Any

from conftest import benchmark_module, macro_connection
from loglake.transform import etl
from loglake.transform.parsers.otlp_json import _KIND, _LISTS, _STAGED, OtlpJsonParser
from loglake.transform.settings import EtlSettings

_OLD_REJECT = (
    "(len(json_type(message, '$.resourceLogs[*].scopeLogs[*].logRecords[*]')) <> 1 OR "
    "coalesce(json_type(message, '$.resourceLogs[0].scopeLogs[0].logRecords[0]'), '') <> 'OBJECT')"
)
"""main's (8dd5176) not-split test: json_type's wildcard count and the first record's type."""
_OLD_KIND = "json_keys(a.value)[1]"
"""main's kind of an attribute value in plan()."""


def _doc(records: str, resource: str = "{}", scope: str = "{}", more: str = "") -> str:
    return (
        '{"resourceLogs":[{"resource":' + resource + ',"scopeLogs":[{"scope":' + scope + ',"logRecords":['
        + records + "]}]}" + more + "]}"
    )  # fmt: skip


_FULL = (
    '{"timeUnixNano":"1544712660300000000","observedTimeUnixNano":"1544712660300000123","severityNumber":10,'
    '"severityText":"Information","traceId":"5b8e","spanId":"eee1","flags":1,"eventName":"e",'
    '"droppedAttributesCount":"2","body":{"stringValue":"a\\"b\\r\\n\\u00e9"},'
    '"attributes":[{"key":"k","value":{"intValue":"7"}},{"key":"d","value":{"doubleValue":1.5e-7}}]}'
)
DOCS = [
    _doc(_FULL, '{"attributes":[{"key":"service.name","value":{"stringValue":"x"}}]}', '{"name":"n","version":"1"}'),
    _doc("{}"),
    _doc('{"x":1}'),
    _doc('{"Body":1,"attributes":null,"body":null}'),
    _doc('{"attributes":[]}'),
    _doc('{"timeUnixNano":null}'),
    _doc("[]"),
    _doc('[{"timeUnixNano":"1"}]'),
    _doc('[[{"body":1}]]'),
    _doc('"x"'),
    _doc('"timeUnixNano"'),
    _doc("null"),
    _doc("1"),
    _doc("true"),
    _doc("{},{}"),
    _doc("null,{}"),
    _doc(_FULL + "," + _FULL),
    _doc("{}", more=',{"scopeLogs":[{"logRecords":[]}]}'),
    _doc("{}", more=',{"scopeLogs":[{"logRecords":[{}]}]}'),
    _doc("{}", more=",2,null,[]"),
    _doc("{}", more=',[{"scopeLogs":[{"logRecords":[{}]}]}]'),
    '{"resourceLogs":[[{"scopeLogs":[{"logRecords":[{}]}]}]]}',
    '{"resourceLogs":[{"scopeLogs":[[{"logRecords":[{}]}]]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":{"a":{}}}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":{}}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":"x"}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":null}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{}]}]}',
    '{"resourceLogs":[{"scopeLogs":[]}]}',
    '{"resourceLogs":[{"scopeLogs":{"logRecords":[{}]}}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[]},{"logRecords":[{}]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]},{"logRecords":[{}]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]},{"scopeLogs":[{"logRecords":[]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[]},{"scopeLogs":[{"logRecords":[{}]}]}]}',
    '{"resourceLogs":[1,{"scopeLogs":[{"logRecords":[{}]}]}]}',
    '{"resourceLogs":[null]}',
    '{"resourceLogs":[]}',
    '{"resourceLogs":{}}',
    '{"resourceLogs":{"scopeLogs":[{"logRecords":[{}]}]}}',
    '{"resourceLogs":null}',
    '{"resourceLogs":"x"}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":1}]}]}],"resourceLogs":[]}',
    '{"resourceLogs":[],"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}],"scopeLogs":[]}]}',
    '{"resourceLogs":[{"scopeLogs":[],"scopeLogs":[{"logRecords":[{}]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}],"logRecords":[{},{}]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[],"logRecords":[{}]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":"a","logRecords":[{}]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":1},{"body":2}],"logRecords":[{}]}]}]}',
    '{"resourceLogs":[{"scope\\u004cogs":[{"logRecords":[{"spanId":"s"}]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"log\\u0052ecords":[{"flags":3}]}]}]}',
    '{"resourceLogs":[{"scopelogs":[{"logRecords":[{}]}]}]}',
    '{"resourceLogs" : [ { "scopeLogs" : [ { "logRecords" : [ { "body" : { "boolValue" : true } } ] } ] } ] }',
    _doc('{"timeUnixNano":[1,2],"attributes":5}', "5", "[]"),
    _doc('{"attributes":[1,{"key":{"a":1}},{"key":"a","value":1},"x",null,[]]}', '{"attributes":{"key":"a"}}'),
    _doc('{"timeUnixNano":1E400,"severityNumber":1.5e18,"flags":123456789012345678901234}'),
    _doc('{"attributes":[{"key":"k","key":"k2","value":1.50},{"value":null},{}],"body":{"doubleValue":-1.5e-7}}'),
    _doc('{"attributes":[{"key":"a","value":{"boolValue":true}}]}', '{"attributes":[{"key":"b"}],"attributes":[]}'),
    _doc('{"body":' + "[" * 200 + "]" * 200 + "}"),
    _doc('{"body":{"stringValue":"' + "é" * 100_000 + '"}}'),
]
"""Where the records are and are not (duplicate keys first of another type, escaped and case-differing keys,
entries that are not objects, spaces), records with every field, none, or only fields of other names."""

_VALUES = [
    '{"stringValue":"x"}',
    '{"string\\u0056alue":"x"}',
    '{ "stringValue" : 1 }',
    '{"stringValueX":1}',
    '{"stringvalue":1}',
    '{"intValue":"1","stringValue":"x"}',
    '{"stringValue":"x","stringValue":2}',
    '{"boolValue":true}',
    '{"doubleValue":1.5e-7}',
    '{"intValue":"9223372036854775808"}',
    '{"bytesValue":"AA=="}',
    '{"arrayValue":{"values":[{"stringValue":"a"}]}}',
    '{"kvlistValue":{"values":[]}}',
    '{"\\u00e9":1}',
    '{"\\"intValue":1}',
    '{"intValue\\"":1}',
    '{"":1}',
    "{}",
    "[]",
    "[1]",
    '"x"',
    '"{\\"intValue\\":"',
    "1",
    "true",
    "null",
]
"""Attribute values: every kind, escaped, spaced, near-miss and duplicate keys, not objects."""


def _benchmark(n: int) -> list[str]:
    rng = random.Random(13)
    make = benchmark_module("parser_throughput").GENERATORS["otlp_json"]
    return [make(rng, i) for i in range(n)]


def _classified(con: Any, messages: list[str], *, kept: bool) -> None:
    """`classified` of OTLP rows, as classification leaves it (`kept`: with OTLP's claimed columns) or as a table
    without them (what plan() read before)."""
    claimed = "".join(
        f", {expression} AS {column}" for column, expression in etl.claimed_columns(EtlSettings(), frozenset()).items()
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE messages AS SELECT unnest($m::VARCHAR[]) AS message, unnest(range(len($m))) AS i",
        {"m": messages},
    )
    columns = claimed if kept else ""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE classified AS SELECT * EXCLUDE (__ll_parser), 'otlp_json' AS format, "
        f"'otel_logs' AS __ll_table FROM (SELECT *{columns} FROM (SELECT *, 'otlp_json' AS __ll_parser FROM messages))"
    )


def test_claimed_columns_are_otlps_only() -> None:
    """No other parser claims a column: every other format's classification statement is the one it was."""
    claimed = etl.claimed_columns(EtlSettings(), frozenset())
    assert sorted(claimed) == ["__ll_otlp_log", "__ll_otlp_records"]
    assert all("CASE WHEN __ll_parser = 'otlp_json' THEN message END" in e for e in claimed.values())
    assert etl.claimed_columns(EtlSettings(), frozenset({"otlp_json"})) == {}


def test_reject_from_the_kept_transform_is_mains() -> None:
    """The not-split test reads the record count and the first record from the kept transform (json_type only
    for a first record without any of the fields read): it rejects exactly the documents main's json_type
    count and type rejected."""
    rule = OtlpJsonParser().reject("message")
    assert rule is not None
    new, _reason = rule
    assert new.count("json_type(") == 1 and "len(json_type" not in new
    con = macro_connection()
    messages = DOCS + _benchmark(2000)
    _classified(con, messages, kept=True)
    rows = con.execute(f"SELECT i, {new}, {_OLD_REJECT} FROM classified ORDER BY i").fetchall()
    assert [r[1] for r in rows] == [r[2] for r in rows]
    rejected = [r[1] for r in rows[: len(DOCS)]]
    assert rejected.count(False) == 23 and rejected.count(True) == len(DOCS) - 23  # both kinds are tested
    assert not any(r[1] for r in rows[len(DOCS) :])


def test_kind_by_prefix_is_json_keys() -> None:
    """plan()'s kind of an attribute value: read from the JSON leaf's text where it starts with one of the four
    scalar kinds, json_keys otherwise; the same first key as json_keys(value)[1] on every value's leaf."""
    con = macro_connection()
    docs = [_doc('{"attributes":[{"key":"k","value":' + v + "}]}") for v in _VALUES]
    leaves = f"unnest({_STAGED['__ll_otlp_log']}['scopeLogs'][1]['logRecords'][1]['attributes'])"
    rows = con.execute(
        f"SELECT {_KIND}, {_OLD_KIND}, a.value FROM (SELECT {leaves} AS a FROM (SELECT unnest($d::VARCHAR[]) AS message))",
        {"d": docs},
    ).fetchall()
    assert len(rows) == len(_VALUES)
    assert [r[0] for r in rows] == [r[1] for r in rows]
    assert sum(r[0] in ("stringValue", "intValue", "doubleValue", "boolValue") for r in rows) == 8


def _columns(con: Any, plan: Any) -> list[tuple[Any, ...]]:
    rows = etl.staged_rows("otlp_json", "otel_logs", plan)
    values = ", ".join(f"({f.expression})::VARCHAR" for f in plan.fields)
    return con.execute(
        f"SELECT i, ({plan.time})::VARCHAR, ({plan.level})::VARCHAR, {values} FROM ({rows}) ORDER BY i"
    ).fetchall()


def test_columns_from_the_kept_transform_are_mains() -> None:
    """plan() over `classified` with the kept transform (no parse: its keys read the kept lists, the write the
    kept STRUCT) plans the fields it plans from the message (main's transforms, _LISTS and _STAGED), and every
    column, the time and the level are the same, on the crafted documents that are not rejected and on the
    benchmark's records."""
    con = macro_connection()
    rule = OtlpJsonParser().reject("message")
    assert rule is not None
    _classified(con, DOCS, kept=True)
    clean = [m for (m,) in con.execute(f"SELECT message FROM classified WHERE NOT {rule[0]} ORDER BY i").fetchall()]
    messages = clean + _benchmark(2000)
    parser = OtlpJsonParser()
    _classified(con, messages, kept=False)
    old = parser.plan(con, 5)
    assert old.staging == _STAGED and _LISTS in " ".join(old.staging.values()) + _LISTS
    old_rows = _columns(con, old)
    _classified(con, messages, kept=True)
    new = parser.plan(con, 5)
    assert new.staging == {}
    assert [(f.source, f.type, f.expression) for f in new.fields] == [
        (f.source, f.type, f.expression) for f in old.fields
    ]
    assert len(new.fields) > 15
    new_rows = _columns(con, new)
    assert len(new_rows) == len(messages) == 2023
    assert new_rows == old_rows
