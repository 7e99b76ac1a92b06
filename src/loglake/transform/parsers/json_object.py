"""json_object: a message that is one JSON object, flattened into typed columns.

Examples (message → columns):
    {"level":"warn","request":{"route":"/cart","latency_ms":12}} → level=WARN, request_route='/cart',
                                                                    request_latency_ms=12 (BIGINT)
    {"userId":7,"user_id":"x"}                                   → user_id=7, user_id_2='x' (sorted pointers)
    {"tags":["a","b"]}                                           → tags='["a","b"]' (arrays stay JSON text)
    {"truncated": "oh no                                         → quarantine, reason invalid_json
Fields below the depth limit are one JSON-text column; a type that differs between events of a batch
makes the column VARCHAR, and so does an integer that does not fit BIGINT (the check is exact, not a guess).
"""

from __future__ import annotations

from typing import Any

from loglake.lake.quarantine import Reason
from loglake.sql_quoting import sql_string
from loglake.transform.levels import JSON_LEVEL_KEYS
from loglake.transform.parsers.base import DEFAULT_TABLE, Example, FieldPlan, ParsePlan
from loglake.transform.structure import leaves
from loglake.transform.timestamps import JSON_TIME_KEYS

_TYPES = {"VARCHAR": "VARCHAR", "UBIGINT": "BIGINT", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN"}


class JsonObjectParser:
    name = "json"
    table = DEFAULT_TABLE

    def setup(self) -> list[str]:
        return []

    def detect(self, message: str) -> str:
        return f"starts_with(ltrim({message}, ' \t\r\n'), '{{')"

    def reject(self, message: str) -> tuple[str, Reason] | None:
        return f"NOT json_valid({message})", Reason.INVALID_JSON

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        rows = f"FROM classified WHERE format = {sql_string(self.name)}"
        structure = con.execute(f"SELECT json_group_structure(message::JSON) {rows}").fetchall()[0][0]
        found = leaves(structure, max_depth) if structure else []
        types = {leaf.pointer: _TYPES.get(leaf.kind, "VARCHAR") for leaf in found}
        self._widen_overflowing(con, rows, types)
        present = set(types)
        time_pointers = [p for p in (f"/{key}" for key in JSON_TIME_KEYS) if p in present]
        level_pointers = [p for p in (f"/{key}" for key in JSON_LEVEL_KEYS) if p in present]
        index = {leaf.pointer: i + 1 for i, leaf in enumerate(found)}  # SQL lists are 1-based
        path_list = "[" + ", ".join(sql_string(leaf.pointer) for leaf in found) + "]"

        def value(pointer: str) -> str:
            return f"__ll_json[{index[pointer]}]"

        def cast(pointer: str) -> str:
            type_ = types[pointer]
            return value(pointer) if type_ == "VARCHAR" else f"TRY_CAST({value(pointer)} AS {type_})"

        return ParsePlan(
            time=f"coalesce({', '.join(value(p) for p in time_pointers)})" if time_pointers else "NULL",
            level=f"ll_level(coalesce({', '.join(value(p) for p in level_pointers)}))" if level_pointers else "NULL",
            fields=[FieldPlan(leaf.pointer, types[leaf.pointer], cast(leaf.pointer), leaf.path) for leaf in found],
            staging={"__ll_json": f"json_extract_string(message, {path_list})"} if found else {},
        )

    @staticmethod
    def _widen_overflowing(con: Any, rows: str, types: dict[str, str]) -> None:
        """JSON integers are unbounded; one beyond BIGINT makes its column VARCHAR (exact check, not a guess)."""
        integers = [pointer for pointer, type_ in types.items() if type_ == "BIGINT"]
        if not integers:
            return
        checks = ", ".join(
            f"coalesce(bool_or(v[{i}] IS NOT NULL AND TRY_CAST(v[{i}] AS BIGINT) IS NULL), false)"
            for i in range(1, len(integers) + 1)
        )
        paths = "[" + ", ".join(sql_string(p) for p in integers) + "]"
        overflow = con.execute(
            f"SELECT {checks} FROM (SELECT json_extract_string(message, {paths}) AS v {rows})"
        ).fetchall()[0]
        for pointer, widened in zip(integers, overflow, strict=True):
            if widened:
                types[pointer] = "VARCHAR"


EXAMPLES = [
    Example(
        '{"level":"warn","request":{"route":"/cart","latency_ms":12}}',
        {"level": "WARN", "request_route": "/cart", "request_latency_ms": 12},
    ),
    Example(  # Powertools for AWS Lambda (Python), structured logger
        '{"level":"INFO","location":"collect.handler:1","message":"Collecting payment",'
        '"timestamp":"2021-05-03 11:47:12,494+0200","service":"payment",'
        '"xray_trace_id":"1-5759e988-bd862e3fe1be46a994272793"}',
        {"service": "payment", "location": "collect.handler:1", "timestamp": "2021-05-03 09:47:12.494"},
    ),
    Example(  # Lambda's JSON log format, an application line
        '{"timestamp":"2023-11-01T12:00:00.000Z","level":"ERROR","message":"boom","logger":"root",'
        '"requestId":"79b4f56e-95b1-4643-9700-2807f4e68189"}',
        {"request_id": "79b4f56e-95b1-4643-9700-2807f4e68189", "logger": "root", "level": "ERROR"},
    ),
]
