"""cloudtrail: AWS CloudTrail records (one JSON record per event, as CloudTrail delivers to CloudWatch
Logs), into AWS's documented `cloudtrail_logs` table.

Columns and types are AWS's: `useridentity`, `resources` and `tlsdetails` are STRUCTs (and an ARRAY of
STRUCTs) so that `useridentity.sessioncontext.sessionissuer.arn` and `CROSS JOIN UNNEST(resources)`
work as in AWS's examples; request parameters, response elements and other free-form objects are JSON
text, as AWS declares them strings. Struct fields keep CloudTrail's camelCase (both engines match them
case-insensitively). One difference: `webidfederationdata` is JSON text, not a MAP.
"""

from __future__ import annotations

import json

from loglake.sql_quoting import quote_identifier, sql_string
from loglake.transform.parsers.base import Column, Example, FixedSchemaParser, json_text_fields

_ISSUER = {"type": "VARCHAR", "principalId": "VARCHAR", "arn": "VARCHAR", "accountId": "VARCHAR", "userName": "VARCHAR"}
USER_IDENTITY = {
    "type": "VARCHAR",
    "principalId": "VARCHAR",
    "arn": "VARCHAR",
    "accountId": "VARCHAR",
    "invokedBy": "VARCHAR",
    "accessKeyId": "VARCHAR",
    "userName": "VARCHAR",
    "sessionContext": {
        "attributes": {"mfaAuthenticated": "VARCHAR", "creationDate": "VARCHAR"},
        "sessionIssuer": _ISSUER,
        "ec2RoleDelivery": "VARCHAR",
        "webIdFederationData": "JSON",
    },
}
RESOURCES = [{"ARN": "VARCHAR", "accountId": "VARCHAR", "type": "VARCHAR"}]
TLS_DETAILS = {"tlsVersion": "VARCHAR", "cipherSuite": "VARCHAR", "clientProvidedHostHeader": "VARCHAR"}


def duckdb_type(shape: object) -> str:
    if isinstance(shape, dict):
        return "STRUCT(" + ", ".join(f'"{k}" {duckdb_type(v)}' for k, v in shape.items()) + ")"
    if isinstance(shape, list):
        return f"{duckdb_type(shape[0])}[]"
    return "VARCHAR" if shape == "JSON" else str(shape)


_TEXT_KEYS: list[str] = []
_SHAPE: dict[str, object] = {}
"""The record's shape for one json_transform: the typed keys as their STRUCTs, the text keys as VARCHAR."""


def _typed(name: str, key: str, shape: object) -> Column:
    _SHAPE[key] = shape
    return Column(name, duckdb_type(shape), f"CAST({{s}}.{quote_identifier(key)} AS {duckdb_type(shape)})", cast=False)


def exact_text(key: str) -> str:
    """SQL over `{s}` and `message`: the key's value as json_extract_string gives it.

    json_transform's VARCHAR is json_extract_string's text for every JSON value (strings unescaped, objects and
    arrays written by the same writer, integers, true/false, NaN/Infinity and out-of-range numbers as written)
    except a real number that DuckDB prints in exponent form: `1.5e-7` is `1.5e-07`, `1e20` `1e+20` where
    json_extract_string writes `1.5e-7`, `100000000000000000000.0`. DuckDB's exponent form always has a sign
    (`e-`, `e+`), and it switches to it before yyjson does (from 1e16 and below 1e-5), so any value whose
    transform text holds neither is exact; the others (a real, or a string that happens to hold `e-`) are read
    again by json_extract_string from the message. Checked against json_extract_string on 1,000,000 values
    (random doubles, every exponent from -30 to 30, edge numbers, escaped and non-ASCII strings, nested
    objects of reals) while it was written; tests/transform/parsers/test_cloudtrail_speed.py keeps 15,024.

    It also rests on json_transform finding a key as `$.key` does (the first of duplicate keys, names
    matched case-sensitively, escaped names unescaped), which test_cloudtrail_speed.py pins on DuckDB 2.0
    (pyproject.toml keeps duckdb < 2.1), and on `message` being the text `{s}` was staged from, as
    FixedSchemaParser.plan stages it: a plan staged from another expression must not use it."""
    value = f"{{s}}.{quote_identifier(key)}"
    again = f"json_extract_string(message, {sql_string('$.' + key)})"
    return f"(CASE WHEN contains({value}, 'e-') OR contains({value}, 'e+') THEN {again} ELSE {value} END)"


def _string(name: str, key: str) -> Column:
    _TEXT_KEYS.append(key)
    _SHAPE[key] = "VARCHAR"
    return Column(name, "VARCHAR", exact_text(key), ())


class CloudTrailParser(FixedSchemaParser):
    name = "cloudtrail"
    table = "cloudtrail_logs"
    guard = "starts_with({m}, '{')"
    markers = ('"eventVersion"',)
    columns = (
        _string("eventversion", "eventVersion"),
        _typed("useridentity", "userIdentity", USER_IDENTITY),
        _string("eventtime", "eventTime"),
        _string("eventsource", "eventSource"),
        _string("eventname", "eventName"),
        _string("awsregion", "awsRegion"),
        _string("sourceipaddress", "sourceIPAddress"),
        _string("useragent", "userAgent"),
        _string("errorcode", "errorCode"),
        _string("errormessage", "errorMessage"),
        _string("requestparameters", "requestParameters"),
        _string("responseelements", "responseElements"),
        _string("additionaleventdata", "additionalEventData"),
        _string("requestid", "requestID"),
        _string("eventid", "eventID"),
        _typed("resources", "resources", RESOURCES),
        _string("eventtype", "eventType"),
        _string("apiversion", "apiVersion"),
        _string("readonly", "readOnly"),
        _string("recipientaccountid", "recipientAccountId"),
        _string("serviceeventdetails", "serviceEventDetails"),
        _string("sharedeventid", "sharedEventID"),
        _string("vpcendpointid", "vpcEndpointId"),
        _typed("tlsdetails", "tlsDetails", TLS_DETAILS),
    )
    time = exact_text("eventTime")
    level = f"CASE WHEN {{s}}.{quote_identifier('errorCode')} IS NOT NULL THEN 'ERROR' END"

    def matches(self, message: str) -> str:
        # Management and data events carry eventSource; Insights events carry eventType instead. The four
        # keys come from one parse of the record.
        found = json_text_fields(
            message,
            ["$.eventVersion", "$.eventSource", "$.eventType", "$.userIdentity"],
            "k[1] IS NOT NULL AND (k[2] IS NOT NULL OR k[3] IS NOT NULL OR k[4] IS NOT NULL)",
        )
        # `ventVersion"` first, in a CASE of its own: a line that holds `"eventVersion"` holds it, and contains()
        # scans from the first place of its needle's first byte: `"` is everywhere in JSON, `v` rare. WAF's
        # records reach this test (their `"formatVersion"` holds the marker's needle `Version"`) and lack both:
        # 34 -> 11 ms per 50,000 of them, one thread (benchmarks/README.md, h-json9).
        quoted = f"(CASE WHEN contains({message}, '\"eventVersion\"') THEN {found} ELSE false END)"
        return f"(CASE WHEN contains({message}, 'ventVersion\"') THEN {quoted} ELSE false END)"

    def staged(self, message: str) -> str:
        """One json_transform of the record: one parse for all 24 columns (json_extract_string and json_extract
        path lists parsed it twice, and each typed column's json_transform parsed its part a third time)."""
        return f"json_transform({message}, {sql_string(json.dumps(_SHAPE))})"


EXAMPLES = [
    Example(
        '{"eventVersion": "1.08", "userIdentity": {"type": "AssumedRole", "principalId": "AROA:alice", '
        '"arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice", "accountId": "123456789012", '
        '"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::123456789012:role/Admin"}, '
        '"attributes": {"creationDate": "2023-01-01T00:00:00Z", "mfaAuthenticated": "false"}}}, '
        '"eventTime": "2023-01-01T12:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket", '
        '"awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.1", "userAgent": "aws-cli/2", '
        '"requestParameters": {"bucketName": "doc-example"}, "responseElements": null, "readOnly": false, '
        '"resources": [{"ARN": "arn:aws:s3:::doc-example", "accountId": "123456789012", "type": "AWS::S3::Bucket"}], '
        '"eventID": "e1", "eventType": "AwsApiCall", "recipientAccountId": "123456789012"}',
        {
            "eventname": "DeleteBucket",
            "eventsource": "s3.amazonaws.com",
            "requestparameters": '{"bucketName":"doc-example"}',
            "responseelements": None,
            "readonly": "false",
            "eventid": "e1",
            "timestamp": "2023-01-01 12:00:00",
        },
    ),
]
