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
from loglake.transform.levels import JSON_LEVEL_KEYS
from loglake.transform.parsers.base import FieldPlan, ParsePlan
from loglake.transform.structure import Leaf, leaves
from loglake.transform.timestamps import JSON_TIME_KEYS

_TYPES = {"VARCHAR": "VARCHAR", "UBIGINT": "BIGINT", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN"}


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class JsonObjectParser:
    name = "json"

    def detect(self, message: str) -> str:
        return f"starts_with(ltrim({message}, ' \t\r\n'), '{{')"

    def reject(self, message: str) -> tuple[str, Reason] | None:
        return f"NOT json_valid({message})", Reason.INVALID_JSON

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        rows = "FROM classified WHERE format = 'json'"
        structure = con.execute(f"SELECT json_group_structure(message::JSON) {rows}").fetchall()[0][0]
        found = leaves(structure, max_depth) if structure else []
        pointers = [leaf.pointer for leaf in found]
        time_pointers = [f"/{key}" for key in JSON_TIME_KEYS]
        level_pointers = [f"/{key}" for key in JSON_LEVEL_KEYS]
        extract = list(dict.fromkeys(pointers + time_pointers + level_pointers))
        index = {pointer: i + 1 for i, pointer in enumerate(extract)}  # SQL lists are 1-based
        path_list = "[" + ", ".join(_sql_string(p) for p in extract) + "]"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE json_values AS "
            f"SELECT row_id, json_extract_string(message, {path_list}) AS jv {rows}"
        )
        types = self._exact_types(con, found, index)
        fields = [
            FieldPlan(leaf.pointer, types[leaf.pointer], self._cast(f"jv[{index[leaf.pointer]}]", types[leaf.pointer]), leaf.path)
            for leaf in found
        ]
        time = "coalesce(" + ", ".join(f"jv[{index[p]}]" for p in time_pointers) + ")"
        level = "ll_level(coalesce(" + ", ".join(f"jv[{index[p]}]" for p in level_pointers) + "))"
        return ParsePlan(time=time, level=level, fields=fields, joins=["json_values"])

    @staticmethod
    def _cast(value: str, type_: str) -> str:
        return value if type_ == "VARCHAR" else f"TRY_CAST({value} AS {type_})"

    def _exact_types(self, con: Any, found: list[Leaf], index: dict[str, int]) -> dict[str, str]:
        """Map structure types to column types, widening to VARCHAR any column a value would not fit."""
        types = {leaf.pointer: _TYPES.get(leaf.kind, "VARCHAR") for leaf in found}
        typed = [p for p, t in types.items() if t != "VARCHAR"]
        if typed:
            checks = ", ".join(
                f"count(*) FILTER (WHERE jv[{index[p]}] IS NOT NULL AND TRY_CAST(jv[{index[p]}] AS {types[p]}) IS NULL)"
                for p in typed
            )
            lossy = con.execute(f"SELECT {checks} FROM json_values").fetchall()[0]
            for pointer, failures in zip(typed, lossy, strict=True):
                if failures:
                    types[pointer] = "VARCHAR"
        return types
