"""apigateway_json: API Gateway access logs in a JSON template (`{"requestId": ..., "httpMethod": ...}`),
into `apigateway_logs`, planned like any JSON object (keys in snake_case, types from the values).
A JSON object with `requestId` and `httpMethod` (REST) or `routeKey` (HTTP APIs) is taken for one.

The template quotes every value (`"status": "$context.status"`), so the numeric $context variables
(apigateway_access_log.NUMERIC_KEYS) are typed by name, as the CLF variant types them; `-`, API Gateway's
missing value, is NULL in every column, as in the CLF variant.

The event's time, as the CLF variant reads it from the line: `requestTimeEpoch` ($context.requestTimeEpoch,
epoch milliseconds) first, as the more precise; else `requestTime` ($context.requestTime, CLF
`26/Nov/2026:00:00:00 +0000`, whole seconds); else the generic JSON time keys. A value that is not of its
form (`-`, a malformed time) gives way to the next; with none readable the event takes the record's
timestamp, and time_source says `source` or `ingestion`, never `parsed`. The level is the CLF variant's
(apigateway_access_log.status_level: ERROR for a status from 500 up), else a level key of the template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from loglake.lake.quarantine import Reason
from loglake.sql_quoting import sql_string
from loglake.transform.parsers.apigateway_access_log import NUMERIC_KEYS, status_level
from loglake.transform.parsers.base import Example, FieldPlan, ParsePlan, json_fields_present
from loglake.transform.parsers.json_object import JsonObjectParser
from loglake.transform.timestamps import TIME_FORMATS

_TYPED = {f"/{key}": type_ for key, type_ in NUMERIC_KEYS.items()}
_TIME_KEYS = (("/requestTimeEpoch", "epoch_ms"), ("/requestTime", "clf"))
"""The template's time fields, in order of preference, with their form (a key of TIME_FORMATS)."""


class ApiGatewayJsonParser(JsonObjectParser):
    name = "apigateway_json"
    table = "apigateway_logs"
    markers = ('"requestId"',)

    def detect(self, message: str) -> str:
        cheap = (
            f"contains({message}, '\"requestId\"') "
            f"AND (contains({message}, '\"httpMethod\"') OR contains({message}, '\"routeKey\"'))"
        )
        # `requestId` present and not JSON null, from one parse (base.json_fields_present): json_text_field
        # validated the record and parsed it again.
        present = json_fields_present(message, ["$.requestId"], [])
        return f"(CASE WHEN {cheap} THEN {super().detect(message)} AND {present} ELSE false END)"

    def reject(self, message: str) -> tuple[str, Reason] | None:
        """None: a line is API Gateway JSON's only where `detect` held (no other path gives it this parser: a
        forced route tests `detect` too, and likely_format takes regex parsers only), and detect's field test
        holds only on valid JSON (json_fields_present: json_type read it as json_valid reads). JSON's reject,
        `NOT json_valid(message)`, was false on every such line: its json_valid, ~6 ms per 50,000 records, went."""
        return None

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        plan = super().plan(con, max_depth)
        plan.fields = [_typed(f) for f in plan.fields]
        return plan

    def event_time(self, value: Callable[[str], str], present: frozenset[str]) -> tuple[str, str | None]:
        """requestTimeEpoch, else requestTime, else a generic time key (module docstring). Each but the last
        counts only where it has its form, so that `-` or a malformed value leaves the next its turn."""
        generic, _ = super().event_time(value, present)
        found = [(value(pointer), form) for pointer, form in _TIME_KEYS if pointer in present]
        if not found:
            return generic, None
        texts = [
            f"CASE WHEN regexp_full_match({text}, {sql_string(TIME_FORMATS[form][0])}) THEN {text} END"
            for text, form in found
        ]
        if generic == "NULL":  # the last candidate needs no test: ll_parse_time reads it or gives NULL
            texts[-1] = found[-1][0]
        else:
            texts.append(generic)
        return (texts[0] if len(texts) == 1 else f"coalesce({', '.join(texts)})"), found[0][1]

    def event_level(self, value: Callable[[str], str], present: frozenset[str]) -> str:
        """The CLF variant's level by status (a 5xx is ERROR), else the template's level key, if any."""
        generic = super().event_level(value, present)
        if "/status" not in present:
            return generic
        by_status = status_level(value("/status"))
        return by_status if generic == "NULL" else f"coalesce({by_status}, {generic})"


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
            "timestamp": "2026-11-28 10:15:01",
        },
    ),
    Example(  # an HTTP API's template with $context.requestTimeEpoch, which counts first (milliseconds)
        '{"requestId": "0f3b4d2e-7b61-11e6-9a41-93e8deadbeef", "ip": "198.51.100.7", '
        '"requestTime": "28/Nov/2026:10:15:01 +0000", "requestTimeEpoch": "1795860901250", '
        '"httpMethod": "GET", "routeKey": "GET /pets", "status": "502", "protocol": "HTTP/1.1", '
        '"responseLength": "-"}',
        {
            "route_key": "GET /pets",
            "status": 502,
            "request_time_epoch": 1795860901250,
            "response_length": None,
            "timestamp": "2026-11-28 10:15:01.25",
            "level": "ERROR",
        },
    ),
]
