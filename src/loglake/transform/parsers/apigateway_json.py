"""apigateway_json: API Gateway access logs in a JSON template (`{"requestId": ..., "httpMethod": ...}`),
into `apigateway_logs`, planned like any JSON object (keys in snake_case, types from the values).
A JSON object with `requestId` and `httpMethod` (REST) or `routeKey` (HTTP APIs) is taken for one.
"""

from __future__ import annotations

from loglake.transform.parsers.base import Example, json_text_field
from loglake.transform.parsers.json_object import JsonObjectParser


class ApiGatewayJsonParser(JsonObjectParser):
    name = "apigateway_json"
    table = "apigateway_logs"

    def detect(self, message: str) -> str:
        cheap = (
            f"contains({message}, '\"requestId\"') "
            f"AND (contains({message}, '\"httpMethod\"') OR contains({message}, '\"routeKey\"'))"
        )
        return (
            f"(CASE WHEN {cheap} THEN {super().detect(message)} "
            f"AND {json_text_field(message, '$.requestId')} IS NOT NULL ELSE false END)"
        )


EXAMPLES = [
    Example(
        '{"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "ip": "198.51.100.7", "caller": "-", '
        '"user": "-", "requestTime": "28/Nov/2026:10:15:01 +0000", "httpMethod": "POST", '
        '"resourcePath": "/orders", "status": "201", "protocol": "HTTP/1.1", "responseLength": "87"}',
        {
            "request_id": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "http_method": "POST",
            "resource_path": "/orders",
            "status": "201",
            "request_time": "28/Nov/2026:10:15:01 +0000",
        },
    ),
]
