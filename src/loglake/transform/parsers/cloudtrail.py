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

from loglake.sql_quoting import sql_string
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
_JSON_KEYS: list[str] = []
"""The keys the columns read, in order: one json_extract_string and one json_extract of all of them per
record (a path list is parsed once) instead of one parse of the record per column."""


def _typed(name: str, key: str, shape: object) -> Column:
    _JSON_KEYS.append(key)
    value = f"json_transform({{s}}.json[{len(_JSON_KEYS)}], {sql_string(json.dumps(shape))})"
    return Column(name, duckdb_type(shape), f"CAST({value} AS {duckdb_type(shape)})", cast=False)


def _string(name: str, key: str) -> Column:
    _TEXT_KEYS.append(key)
    return Column(name, "VARCHAR", f"{{s}}.text[{len(_TEXT_KEYS)}]", ())


def _paths(keys: list[str]) -> str:
    return "[" + ", ".join(sql_string("$." + key) for key in keys) + "]"


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
    time = f"{{s}}.text[{_TEXT_KEYS.index('eventTime') + 1}]"
    level = f"CASE WHEN {{s}}.text[{_TEXT_KEYS.index('errorCode') + 1}] IS NOT NULL THEN 'ERROR' END"

    def matches(self, message: str) -> str:
        # Management and data events carry eventSource; Insights events carry eventType instead. The four
        # keys come from one parse of the record.
        found = json_text_fields(
            message,
            ["$.eventVersion", "$.eventSource", "$.eventType", "$.userIdentity"],
            "k[1] IS NOT NULL AND (k[2] IS NOT NULL OR k[3] IS NOT NULL OR k[4] IS NOT NULL)",
        )
        return f"(CASE WHEN contains({message}, '\"eventVersion\"') THEN {found} ELSE false END)"

    def staged(self, message: str) -> str:
        return (
            f"struct_pack(text := json_extract_string({message}, {_paths(_TEXT_KEYS)}), "
            f"json := json_extract({message}, {_paths(_JSON_KEYS)}))"
        )


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
