"""apigateway_json: API Gateway access logs in a JSON template (`{"requestId": ..., "httpMethod": ...}`),
into `apigateway_logs`, planned like any JSON object (keys in snake_case, types from the values).
A JSON object with `requestId` and `httpMethod` (REST) or `routeKey` (HTTP APIs) is taken for one.

The template quotes every value (`"status": "$context.status"`), so the numeric $context variables
(apigateway_access_log.NUMERIC_KEYS) are typed by name, as the CLF variant types them; `-`, API Gateway's
missing value, is NULL in every column, as in the CLF variant.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.transform.parsers.apigateway_access_log import NUMERIC_KEYS
from loglake.transform.parsers.base import Example, FieldPlan, ParsePlan, json_text_field
from loglake.transform.parsers.json_object import JsonObjectParser

_TYPED = {f"/{key}": type_ for key, type_ in NUMERIC_KEYS.items()}


class ApiGatewayJsonParser(JsonObjectParser):
    name = "apigateway_json"
    table = "apigateway_logs"
    markers = ('"requestId"',)

    def detect(self, message: str) -> str:
        cheap = (
            f"contains({message}, '\"requestId\"') "
            f"AND (contains({message}, '\"httpMethod\"') OR contains({message}, '\"routeKey\"'))"
        )
        return (
            f"(CASE WHEN {cheap} THEN {super().detect(message)} "
            f"AND {json_text_field(message, '$.requestId')} IS NOT NULL ELSE false END)"
        )

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        plan = super().plan(con, max_depth)
        plan.fields = [_typed(f) for f in plan.fields]
        return plan


def _typed(field: FieldPlan) -> FieldPlan:
    """`-` as NULL; a numeric $context variable cast to its type (NULL when a value is not a number)."""
    text = f"nullif(CAST({field.expression} AS VARCHAR), '-')"
    if field.source in _TYPED:
        return replace(field, type=_TYPED[field.source], expression=f"TRY_CAST({text} AS {_TYPED[field.source]})")
    return replace(field, expression=text) if field.type == "VARCHAR" else field


EXAMPLES = [
    Example(
        '{"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "ip": "198.51.100.7", "caller": "-", '
        '"user": "-", "requestTime": "28/Nov/2026:10:15:01 +0000", "httpMethod": "POST", '
        '"resourcePath": "/orders", "status": "201", "protocol": "HTTP/1.1", "responseLength": "87"}',
        {
            "request_id": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "http_method": "POST",
            "resource_path": "/orders",
            "status": 201,
            "response_length": 87,
            "caller": None,
            "request_time": "28/Nov/2026:10:15:01 +0000",
        },
    ),
]
