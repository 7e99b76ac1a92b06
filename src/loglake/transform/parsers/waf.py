"""waf: AWS WAF web ACL traffic logs (one JSON record per request), into AWS's documented `waf_logs` table.

Columns and types are AWS's: the match details, rule groups, rate-based rules, headers and labels are
STRUCTs and ARRAYs of STRUCTs, so `CROSS JOIN UNNEST(httprequest.headers)`, `httprequest.clientip` and
`cardinality(t.nonTerminatingMatchingRules)` work as in AWS's examples. Struct fields keep WAF's
camelCase (both engines match them case-insensitively); `excludedrules`, which AWS declares a string,
is the JSON text of WAF's list. The record is read once per row (one `json_transform`).

`region` and `date` are the partition columns of AWS's partition-projection table: the web ACL's
region (from `webaclid`; `cloudfront` for a global web ACL, as WAF names the S3 folder of a
CloudFront distribution's logs) and the request's day as `yyyy/MM/dd`.

`timestamp` is AWS's too: WAF's milliseconds since the epoch, BIGINT, as the clean-zone contract
declares for `waf_logs` (lake/clean_zone.py TIMESTAMP_TYPES), so AWS's queries that compute with it
(`from_unixtime(timestamp/1000)`) run unchanged. It is the event time (dt, hour, --since) as in every
table. Fields WAF added after AWS's table (ja3/ja4 fingerprints,
`httpRequest.fragment`, `scheme`, `host`, the rate-based rule's name and window) are only in `message`.
"""

from __future__ import annotations

import json

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import Column, Example, FixedSchemaParser, json_fields_present, json_text_fields
from loglake.transform.parsers.cloudtrail import duckdb_type
from loglake.transform.timestamps import EPOCH_MS_NUMBER, LATEST_EPOCH_MS

_MATCH = [
    {"conditionType": "VARCHAR", "sensitivityLevel": "VARCHAR", "location": "VARCHAR", "matchedData": ["VARCHAR"]}
]
_CAPTCHA = {"responseCode": "VARCHAR", "solveTimestamp": "VARCHAR"}
_NAME_VALUE = [{"name": "VARCHAR", "value": "VARCHAR"}]
# AWS's columns: (column, WAF's key, shape).
FIELDS: tuple[tuple[str, str, object], ...] = (
    ("formatversion", "formatVersion", "INTEGER"),
    ("webaclid", "webaclId", "VARCHAR"),
    ("terminatingruleid", "terminatingRuleId", "VARCHAR"),
    ("terminatingruletype", "terminatingRuleType", "VARCHAR"),
    ("action", "action", "VARCHAR"),
    ("terminatingrulematchdetails", "terminatingRuleMatchDetails", _MATCH),
    ("httpsourcename", "httpSourceName", "VARCHAR"),
    ("httpsourceid", "httpSourceId", "VARCHAR"),
    (
        "rulegrouplist",
        "ruleGroupList",
        [
            {
                "ruleGroupId": "VARCHAR",
                "terminatingRule": {"ruleId": "VARCHAR", "action": "VARCHAR", "ruleMatchDetails": _MATCH},
                "nonTerminatingMatchingRules": [
                    {
                        "ruleId": "VARCHAR",
                        "action": "VARCHAR",
                        "overriddenAction": "VARCHAR",
                        "ruleMatchDetails": _MATCH,
                    }
                ],
                "excludedRules": "VARCHAR",
            }
        ],
    ),
    (
        "ratebasedrulelist",
        "rateBasedRuleList",
        [{"rateBasedRuleId": "VARCHAR", "limitKey": "VARCHAR", "maxRateAllowed": "INTEGER"}],
    ),
    (
        "nonterminatingmatchingrules",
        "nonTerminatingMatchingRules",
        [{"ruleId": "VARCHAR", "action": "VARCHAR", "ruleMatchDetails": _MATCH, "captchaResponse": _CAPTCHA}],
    ),
    ("requestheadersinserted", "requestHeadersInserted", _NAME_VALUE),
    ("responsecodesent", "responseCodeSent", "VARCHAR"),
    (
        "httprequest",
        "httpRequest",
        {
            "clientIp": "VARCHAR",
            "country": "VARCHAR",
            "headers": _NAME_VALUE,
            "uri": "VARCHAR",
            "args": "VARCHAR",
            "httpVersion": "VARCHAR",
            "httpMethod": "VARCHAR",
            "requestId": "VARCHAR",
        },
    ),
    ("labels", "labels", [{"name": "VARCHAR"}]),
    ("captcharesponse", "captchaResponse", {**_CAPTCHA, "failureReason": "VARCHAR"}),
)
SHAPE = {"timestamp": "BIGINT", **{key: shape for _name, key, shape in FIELDS}}
_REGION = (
    "CASE WHEN split_part({s}.webaclId, ':', 6) LIKE 'global/%' THEN 'cloudfront' "
    "ELSE nullif(split_part({s}.webaclId, ':', 4), '') END"
)

_DATE = (
    f"strftime(epoch_ms(CASE WHEN {{s}}.timestamp BETWEEN 0 AND {LATEST_EPOCH_MS} THEN {{s}}.timestamp END), "
    "'%Y/%m/%d')"
)
"""AWS's `date` partition column (`yyyy/MM/dd` of `timestamp`): NULL for a timestamp outside 1970..9999, on
which epoch_ms raises (a record's crafted `timestamp` would fail its whole raw object)."""


class WafParser(FixedSchemaParser):
    name = "waf"
    table = "waf_logs"
    guard = "starts_with({m}, '{')"
    markers = ('"webaclId"',)
    columns = (
        *(Column(name, duckdb_type(shape), f'{{s}}."{key}"', cast=False) for name, key, shape in FIELDS),
        Column("region", "VARCHAR", _REGION, cast=False),
        Column("date", "VARCHAR", _DATE, cast=False),
    )
    time = "{s}.timestamp"
    # WAF's milliseconds as the BIGINT json_transform read, through timestamps.EPOCH_MS_NUMBER: ll_parse_time of
    # their text without the cast to text and three full matches.
    time_format = EPOCH_MS_NUMBER

    def matches(self, message: str) -> str:
        """Both fields from one validation and one parse (a json_text_field each validated and parsed every
        WAF record twice: about 0.1 s of CPU per 50,000)."""
        both = json_text_fields(message, ["$.webaclId", "$.httpRequest"], "k[1] IS NOT NULL AND k[2] IS NOT NULL")
        return f"(CASE WHEN contains({message}, '\"webaclId\"') THEN {both} ELSE false END)"

    ahead_of = ("apigateway_json", "container_docker", "ecs_firelens", "otlp_json")
    """The parsers between WAF and the start of the JSON shapes' order that a WAF record paid for: it holds
    `"requestId"` and `"httpMethod"` (in httpRequest), so it paid API Gateway's whole detection (a JSON
    validation and parse, about 0.1 s of CPU per 50,000 records) before its own. Classification tests `sure`
    before the first of them (etl._routing), and WAF's own detection stays where it is in PARSERS."""

    def sure(self, message: str) -> str:
        """SQL: WAF claims the message (`detect`), and none of `ahead_of` can: what the CASE would give it
        after testing them, told by the parse that reads WAF's own fields. None of them can claim where:

        - apigateway_json: the top-level `requestId` is NULL as text (its claim needs
          `json_text_field(message, '$.requestId') IS NOT NULL`: the same validation and extraction);
        - ecs_firelens: the top-level `ecs_task_arn` is NULL as text (its `json_text_fields` k[1]);
        - container_docker: the message does not start with `{"log":` (its guard); otlp_json: nor with
          `{"resourceLogs":` (its detection's CASE).

        The fields are read by base.json_fields_present (json_text_fields' answer from one parse; its docstring
        says why). `contains(message, 'webaclId"')` is implied by detect's `contains(message, '"webaclId"')`, which it
        tests first. Where it is false (not WAF's, or a WAF record that one of them might claim) the CASE goes
        on in PARSERS order as before, WAF's detection included."""
        found = json_fields_present(message, ["$.webaclId", "$.httpRequest"], ["$.requestId", "$.ecs_task_arn"])
        theirs = f"""starts_with({message}, '{{"log":') OR starts_with({message}, '{{"resourceLogs":')"""
        # `webaclId"` first: contains() scans for the needle's first byte, and `"` is everywhere in JSON ('w'
        # is not): 13-18 -> 3-5 ms per 50,000 API Gateway or ECS records, which now pay this test.
        named = f"""contains({message}, 'webaclId"') AND contains({message}, '"webaclId"')"""
        ours = f"(CASE WHEN {named} THEN {found} ELSE false END)"
        return f"(CASE WHEN {self.guard.replace('{m}', message)} AND NOT ({theirs}) THEN {ours} ELSE false END)"

    def staged(self, message: str) -> str:
        return f"json_transform({message}, {sql_string(json.dumps(SHAPE))})"


# AWS WAF developer guide's example log record (tests/events/ATTRIBUTION.md), on one line as WAF writes it.
_DOC = (
    '{"timestamp":1576280412771,"formatVersion":1,"webaclId":"arn:aws:wafv2:ap-southeast-2:111122223333:'
    'regional/webacl/STMTest/1EXAMPLE-2ARN-3ARN-4ARN-123456EXAMPLE","terminatingRuleId":"STMTest_SQLi_XSS",'
    '"terminatingRuleType":"REGULAR","action":"BLOCK","terminatingRuleMatchDetails":[{"conditionType":"SQL_INJECTION",'
    '"sensitivityLevel":"HIGH","location":"HEADER","matchedData":["10","AND","1"]}],"httpSourceName":"-",'
    '"httpSourceId":"-","ruleGroupList":[],"rateBasedRuleList":[],"nonTerminatingMatchingRules":[],'
    '"httpRequest":{"clientIp":"1.1.1.1","country":"AU","headers":[{"name":"Host","value":"localhost:1989"},'
    '{"name":"User-Agent","value":"curl/7.61.1"},{"name":"Accept","value":"*/*"},{"name":"x-stm-test",'
    '"value":"10 AND 1=1"}],"uri":"/myUri","args":"","httpVersion":"HTTP/1.1","httpMethod":"GET",'
    '"requestId":"rid"},"labels":[{"name":"value"}]}'
)
EXAMPLES = [
    Example(
        _DOC,
        {
            "formatversion": 1,
            "webaclid": "arn:aws:wafv2:ap-southeast-2:111122223333:regional/webacl/STMTest/"
            "1EXAMPLE-2ARN-3ARN-4ARN-123456EXAMPLE",
            "terminatingruleid": "STMTest_SQLi_XSS",
            "terminatingruletype": "REGULAR",
            "action": "BLOCK",
            "terminatingrulematchdetails": [
                {
                    "conditionType": "SQL_INJECTION",
                    "sensitivityLevel": "HIGH",
                    "location": "HEADER",
                    "matchedData": ["10", "AND", "1"],
                }
            ],
            "httpsourcename": "-",
            "httpsourceid": "-",
            "rulegrouplist": [],
            "ratebasedrulelist": [],
            "nonterminatingmatchingrules": [],
            "requestheadersinserted": None,
            "responsecodesent": None,
            "httprequest": {
                "clientIp": "1.1.1.1",
                "country": "AU",
                "headers": [
                    {"name": "Host", "value": "localhost:1989"},
                    {"name": "User-Agent", "value": "curl/7.61.1"},
                    {"name": "Accept", "value": "*/*"},
                    {"name": "x-stm-test", "value": "10 AND 1=1"},
                ],
                "uri": "/myUri",
                "args": "",
                "httpVersion": "HTTP/1.1",
                "httpMethod": "GET",
                "requestId": "rid",
            },
            "labels": [{"name": "value"}],
            "captcharesponse": None,
            "region": "ap-southeast-2",
            "date": "2019/12/13",
            "timestamp": 1576280412771,
        },
    ),
]
