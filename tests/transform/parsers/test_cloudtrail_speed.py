"""CloudTrail's clean query reads each record once (issue 13, item 4): one json_transform into every column's
type, instead of a json_extract_string path list, a json_extract path list and a json_transform of each typed part.
Pinned on the SQL's shape (fails on the code before it) and on its values, the old expressions against the new,
on crafted records and on AWS's documented ones."""

from __future__ import annotations

import json
import random
from pathlib import Path

import duckdb

from conftest import classified_rows, macro_connection
from loglake.sql_quoting import sql_string
from loglake.transform import etl
from loglake.transform.parsers.cloudtrail import _SHAPE, _TEXT_KEYS, CloudTrailParser, duckdb_type, exact_text

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "aws_formats"
_TYPED = [key for key, shape in _SHAPE.items() if shape != "VARCHAR"]


def _paths(keys: list[str]) -> str:
    return "[" + ", ".join(sql_string("$." + key) for key in keys) + "]"


_OLD_STAGING = (
    f"struct_pack(text := json_extract_string(message, {_paths(_TEXT_KEYS)}), "
    f"json := json_extract(message, {_paths(_TYPED)}))"
)
"""The staged struct before the change (d598edf): one path list as text, one as JSON."""


def _old(column: str) -> str:
    """The expression the column had before the change, over _OLD_STAGING as `s`."""
    if column == "time":
        return f"s.text[{_TEXT_KEYS.index('eventTime') + 1}]"
    if column == "level":
        return f"CASE WHEN s.text[{_TEXT_KEYS.index('errorCode') + 1}] IS NOT NULL THEN 'ERROR' END"
    key = next(k for k in _SHAPE if k.lower() == column)
    if key in _TYPED:
        shape = _SHAPE[key]
        transformed = f"json_transform(s.json[{_TYPED.index(key) + 1}], {sql_string(json.dumps(shape))})"
        return f"CAST({transformed} AS {duckdb_type(shape)})"
    return f"nullif(s.text[{_TEXT_KEYS.index(key) + 1}], '')"


_HEAD = '{"eventVersion": "1.08", "eventSource": "s3.amazonaws.com", '
CRAFTED = [
    _HEAD + '"eventTime": "", "eventName": " ", "awsRegion": "  us-east-1 ", "errorCode": "", "errorMessage": null}',
    _HEAD + '"eventName": "Put\\u00e9\\r\\n\\"x\\"", "userAgent": "aws-sdk-java/1.0 e-mail e+1 \\u0065-", '
    '"sourceIPAddress": "日本 😀 \\ud83d\\ude00", "requestID": "\\u0000a\\\\b\\/c"}',
    _HEAD + '"eventName": 1.5e-7, "awsRegion": 1e20, "errorCode": 1E400, "errorMessage": -0, "requestID": -0.0, '
    '"eventID": 123456789012345678901234, "apiVersion": 18446744073709551616, "readOnly": true, '
    '"sharedEventID": 1e16, "vpcEndpointId": 0.000001, "eventType": 1e21, "recipientAccountId": 123456789012}',
    _HEAD + '"requestParameters": {"a": 1.5e-7, "b": [1e20, "x", null, {"c": "\\u00e9"}], "d": {}}, '
    '"responseElements": [], "additionalEventData": {"x": 1.0, "y": -1E-10}, "serviceEventDetails": "text", '
    '"readOnly": false}',
    _HEAD + '"eventName": "first", "eventName": "second", "errorCode": 1.5e-7, "errorCode": "E", '
    '"userIdentity": {"type": "A"}, "userIdentity": {"type": "B"}, "resources": 7, "resources": []}',
    _HEAD + '"eventid": "lower", "EventName": "upper", "awsregion": "lower", "eventTime": "2023-01-01T00:00:00Z"}',
    _HEAD + '"userIdentity": "a string", "resources": {"ARN": "x"}, "tlsDetails": [1, 2]}',
    _HEAD + '"userIdentity": {"type": 1.5e-7, "arn": {"x": 1}, "sessionContext": {"attributes": '
    '{"mfaAuthenticated": false, "creationDate": 1e20}, "sessionIssuer": null, "webIdFederationData": '
    '{"federatedProvider": "p", "attributes": {"k": 1.5e-7}}, "ec2RoleDelivery": "2.0"}, "extra": 1}, '
    '"resources": [{"ARN": "a", "accountId": 1, "type": null, "more": "x"}, null, {}], '
    '"tlsDetails": {"tlsVersion": "TLSv1.2", "cipherSuite": "", "clientProvidedHostHeader": "h\\té"}}',
    _HEAD + '"userIdentity": null, "resources": null, "tlsDetails": null, "eventTime": null, "errorCode": null}',
    '{"eventVersion": "1.0e-5", "eventType": "AwsServiceEvent", "eventTime": "2023-01-01T00:00:00e+01", '
    '"errorCode": "e-", "errorMessage": "ends with e+"}',
    '{"eventVersion": "1.08", "userIdentity": {}}',
    '{"eventVersion":"1.09","eventSource":"x","eventTime":"2023-06-01T12:00:00.123456Z","vpcEndpointId":"vpce-1"}',
]
"""Records with empty, spaced, escaped and non-ASCII values, numbers where strings are usual (exponents of both
signs and cases, beyond double and beyond 64 bits, -0), objects and arrays holding reals, duplicate keys (the
first of another type), keys that differ in case only, typed parts of the wrong type, nulls and missing fields,
and strings that hold `e-`/`e+` (the fallback's test)."""


def _records() -> list[str]:
    docs = json.loads((SAMPLES / "cloudtrail_docs.json").read_text())["records"]
    otel = json.loads((SAMPLES / "cloudtrail_otel.json").read_text())["Records"]
    return CRAFTED + [json.dumps(r["record"]) for r in docs] + [json.dumps(r) for r in otel]


def test_cloudtrail_one_transform_gives_the_old_columns() -> None:
    """Every column, the time and the level: the same text over the one-transform staging as over the old one."""
    parser = CloudTrailParser()
    records = _records()
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, records)
    plan = parser.plan(con, 5)
    staged = etl.staged_rows(parser.name, parser.table, plan)
    old_rows = f"SELECT *, {_OLD_STAGING} AS s FROM classified"
    checked = [(f.path[0], f.expression) for f in plan.fields] + [("time", plan.time), ("level", plan.level)]
    assert len(checked) == 26
    for column, new in checked:
        new_values = con.execute(f"SELECT i, ({new})::VARCHAR FROM ({staged}) ORDER BY i").fetchall()
        old_values = con.execute(f"SELECT i, ({_old(column)})::VARCHAR FROM ({old_rows}) ORDER BY i").fetchall()
        assert len(new_values) == len(records) == len(CRAFTED) + 26
        assert new_values == old_values, column
    fallback = con.execute(
        f"SELECT i, ({plan.fields[0].expression}), ({plan.fields[4].expression}) FROM ({staged}) "
        "WHERE i IN (2, 9) ORDER BY i"
    ).fetchall()
    assert fallback == [(2, "1.08", "1.5e-7"), (9, "1.0e-5", None)]  # read again where the transform says 1.5e-07


def _numbers(rng: random.Random) -> list[str]:
    out = ["1.5e-7", "1e20", "1E400", "-1E400", "NaN", "Infinity", "-0", "-0.0", "1.0", "1e15", "1e16", "1e21",
           "0.0001", "0.00001", "0.000001", "5e-324", "1.7976931348623157e308", "123456789012345678901234",
           "18446744073709551615", "18446744073709551616", "-9223372036854775809", "2.5E+3", "true", "null"]  # fmt: skip
    for _ in range(3000):
        out.append(repr(rng.uniform(-1.0, 1.0) * 10.0 ** rng.randint(-30, 30)))
        out.append(f"{rng.randint(0, 99)}.{rng.randint(0, 99999)}e{rng.randint(-30, 30)}")
        out.append(str(rng.randint(-(10**20), 10**20)))
    return out


def test_exact_text_is_json_extract_string_on_every_value() -> None:
    """The fallback's argument, checked: json_transform's VARCHAR, read again where it holds `e-` or `e+`, is
    json_extract_string's text for numbers of every exponent, edge numbers, strings of escapes, quotes, CR/LF,
    non-ASCII and `e-`, and objects and arrays of reals; without the fallback, 1.5e-7 would be 1.5e-07."""
    rng = random.Random(13)
    alphabet = ["a", "é", '"', "\\", "\n", "\r", "\t", " ", "e", "-", "+", "1", "\u2028", "😀", "/", "\x01", "日"]
    values = _numbers(rng)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        values.append(json.dumps(text, ensure_ascii=rng.random() < 0.5))
        values.append(json.dumps({"x": rng.uniform(-1, 1) * 10.0 ** rng.randint(-30, 30), "y": [text]}))
    con = duckdb.connect()
    con.execute("CREATE TABLE m AS SELECT '{\"eventTime\":' || unnest($v::VARCHAR[]) || '}' AS message", {"v": values})
    staged = 'json_transform(message, \'{"eventTime": "VARCHAR"}\')'
    rows = f"SELECT message, {staged} AS s FROM m"
    differ = f"SELECT count(*) FROM ({rows}) WHERE NEW IS DISTINCT FROM json_extract_string(message, '$.eventTime')"
    assert con.execute("SELECT count(*) FROM m").fetchone() == (len(values),)
    assert len(values) == 24 + 9000 + 6000
    assert con.execute(differ.replace("NEW", exact_text("eventTime").replace("{s}", "s"))).fetchone() == (0,)
    assert con.execute(differ.replace("NEW", 's."eventTime"')).fetchone() == (1930,)


def test_cloudtrail_parses_each_record_once() -> None:
    """The clean query stages one json_transform of the record for all 24 columns, the time and the level; the
    typed columns read their part of it (no json_transform of a json_extract), and json_extract_string only
    runs where the transform's text may not be exact (21 text columns and the time, each behind its test)."""
    parser = CloudTrailParser()
    plan = parser.plan(None, 5)
    staged = plan.staging[parser.struct_column]
    assert (staged.count("json_transform("), staged.count("json_extract")) == (1, 0)
    written = " ".join([plan.time, plan.level, *(f.expression for f in plan.fields)])
    assert (written.count("json_transform("), written.count("json_extract(")) == (0, 0)
    assert written.count("json_extract_string(") == written.count("WHEN contains(") == 22
    assert len(plan.fields) == 24
