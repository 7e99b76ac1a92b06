"""json_object: a message that is one JSON object, flattened into typed columns.

Examples (message → columns):
    {"level":"warn","request":{"route":"/cart","latency_ms":12}} → level=WARN, request_route='/cart',
                                                                    request_latency_ms=12 (BIGINT)
    {"userId":7,"user_id":"x"}                                   → user_id=7, user_id_2='x' (sorted pointers)
    {"tags":["a","b"]}                                           → tags='["a","b"]' (arrays stay JSON text)
    {"truncated": "oh no                                         → quarantine, reason invalid_json
Fields below the depth limit are one JSON-text column; a type that differs between events of a batch
makes the column VARCHAR, and so does an integer that does not fit BIGINT (the check is exact, not a guess,
and never rounds one to DOUBLE).

Every step is linear in the keys and the rows: the structure is one aggregate, the integer check one pass
over the (pointer, value) pairs of the few events that hold a long digit run, and fields past the table's
max_columns reach `extra` through one pass over each event's own top-level pairs (never one lookup per
field per event, which made a 2,000-key event take half a minute).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from loglake.lake.clean_zone import DEFAULT_TABLE
from loglake.lake.quarantine import Reason
from loglake.lake.schema_registry import EXTRA_NAME, EXTRA_SOURCE
from loglake.sql_quoting import quote_identifier, sql_string
from loglake.transform.levels import JSON_LEVEL_KEYS
from loglake.transform.parsers.base import Example, FieldPlan, ParsePlan, first_given
from loglake.transform.structure import Leaf, group_structure, leaves
from loglake.transform.timestamps import JSON_TIME_KEYS

_TYPES = {
    "VARCHAR": "VARCHAR",
    "UBIGINT": "BIGINT",
    "BIGINT": "BIGINT",
    "HUGEINT": "BIGINT",  # what the structure says of a key with negative and positive integers
    "DOUBLE": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
}
_STAGED = "__ll_json"
"""The staged list of a row's field values as text, one JSON pointer per position."""
_POSITION = re.compile(re.escape(_STAGED) + r"\[(\d+)\]")
_EXTRA = "__ll_extra"
_FEW_FIELDS = 64
"""Up to this many integer or number fields, overflow is checked by looking each one up in every event."""
_MAYBE_BEYOND_BIGINT = r"(^|[^0-9])(9[0-9]{18}|[1-9][0-9]{19})"
"""A digit run that can be an integer beyond BIGINT (|n| >= 2^63 has 19 digits and a leading 9, or more):
events without one cannot hold such an integer, so only the others are looked at value by value."""


def _segment(key: str) -> str:
    """SQL: a key as one RFC 6901 pointer segment, as Leaf.pointer writes it."""
    return f"replace(replace({key}, '~', '~0'), '/', '~1')"


class JsonObjectParser:
    name = "json"
    table = DEFAULT_TABLE

    def setup(self) -> list[str]:
        return []

    def detect(self, message: str) -> str:
        # ltrim copies every message: only one that begins with a blank needs it.
        return (
            f"(CASE WHEN starts_with({message}, '{{') THEN true "
            f"WHEN substr({message}, 1, 1) IN (' ', chr(9), chr(10), chr(13)) "
            f"THEN starts_with(ltrim({message}, ' \t\r\n'), '{{') ELSE false END)"
        )

    def reject(self, message: str) -> tuple[str, Reason] | None:
        return f"NOT json_valid({message})", Reason.INVALID_JSON

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        rows = f"FROM classified WHERE format = {sql_string(self.name)}"
        structure = con.execute(f"SELECT {group_structure('message', 'rowid')} {rows}").fetchall()[0][0]
        found = leaves(structure, max_depth) if structure else []
        types = {leaf.pointer: _TYPES.get(leaf.kind, "VARCHAR") for leaf in found}
        for pointer in _beyond_bigint(con, rows, found, types):
            types[pointer] = "VARCHAR"
        present = frozenset(types)
        paths = [leaf.pointer for leaf in found]
        index = {pointer: i + 1 for i, pointer in enumerate(paths)}  # SQL lists are 1-based

        def value(pointer: str) -> str:
            return f"{_STAGED}[{index[pointer]}]"

        def cast(pointer: str) -> str:
            type_ = types[pointer]
            return value(pointer) if type_ == "VARCHAR" else f"TRY_CAST({value(pointer)} AS {type_})"

        top_keys = {leaf.pointer: leaf.path[0] for leaf in found}

        def past_cap(plan: ParsePlan, con: Any, table: str, refused: frozenset[str]) -> ParsePlan:
            return self._past_cap(plan, con, table, refused, paths, top_keys)

        time, time_format = self.event_time(value, present)
        return ParsePlan(
            time=time,
            time_format=time_format,
            level=self.event_level(value, present),
            fields=[FieldPlan(leaf.pointer, types[leaf.pointer], cast(leaf.pointer), leaf.path) for leaf in found],
            staging={_STAGED: _extract(paths)} if found else {},
            past_cap=past_cap,
        )

    def event_time(self, value: Callable[[str], str], present: frozenset[str]) -> tuple[str, str | None]:
        """ParsePlan.time and .time_format: the first of JSON_TIME_KEYS an event gives (base.first_given).
        `value(pointer)` is the SQL text of a field of the batch (`present` holds their pointers); a format whose
        template names its time field overrides this."""
        pointers = [p for p in (f"/{key}" for key in JSON_TIME_KEYS) if p in present]
        return first_given([value(p) for p in pointers]), None

    def event_level(self, value: Callable[[str], str], present: frozenset[str]) -> str:
        """ParsePlan.level: the first of JSON_LEVEL_KEYS an event gives, normalised (arguments as event_time's)."""
        pointers = [p for p in (f"/{key}" for key in JSON_LEVEL_KEYS) if p in present]
        return f"ll_level({first_given([value(p) for p in pointers])})" if pointers else "NULL"

    def _past_cap(
        self,
        plan: ParsePlan,
        con: Any,
        table: str,
        refused: frozenset[str],
        paths: list[str],
        top_keys: dict[str, str],
    ) -> ParsePlan:
        """The plan for a table that gave no column to the `refused` fields: the staged list shrinks to the
        fields kept (and the time and level keys), renumbered, so each event is read for what is written;
        `extra` holds each top-level key holding a refused field, with its value exact as in the message."""
        kept = [f for f in plan.fields if f.source not in refused]
        texts = [plan.time, plan.level, *(f.expression for f in kept)]
        used = sorted({int(n) for text in texts for n in _POSITION.findall(text)})
        position = {old: new for new, old in enumerate(used, 1)}

        def renumber(text: str) -> str:
            return _POSITION.sub(lambda m: f"{_STAGED}[{position[int(m.group(1))]}]", text)

        staging = {k: v for k, v in plan.staging.items() if k != _STAGED}
        if used:
            staging[_STAGED] = _extract([paths[n - 1] for n in used])
        extra = quote_identifier(f"__ll_extra_{self.name}_{table}")
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {extra} AS
            SELECT rid, '{{' || string_agg(to_json(k) || ':' || v, ',' ORDER BY p) || '}}' AS x
            FROM (
                SELECT rid, k, arg_min(v, p) AS v, min(p) AS p  -- a repeated key: its first value, as columns
                FROM (
                    SELECT rid, unnest(ks) AS k, unnest(vs) AS v, unnest(range(len(ks))) AS p
                    FROM (
                        SELECT rowid AS rid, json_keys(message) AS ks, json_extract(message, '$.*') AS vs
                        FROM classified
                        WHERE format = {sql_string(self.name)} AND __ll_table = {sql_string(table)}
                    )
                )
                WHERE k IN (SELECT unnest($keys::VARCHAR[]))
                GROUP BY rid, k
            )
            WHERE json_type(v) <> 'NULL'
            GROUP BY rid
            """,
            {"keys": sorted({top_keys[source] for source in refused})},
        )
        staging[_EXTRA] = f"(SELECT x FROM {extra} WHERE {extra}.rid = classified.rowid)"
        fields = [replace(f, expression=renumber(f.expression)) for f in kept]
        fields.append(FieldPlan(EXTRA_SOURCE, "VARCHAR", _EXTRA, (EXTRA_NAME,)))
        return replace(plan, time=renumber(plan.time), level=renumber(plan.level), fields=fields, staging=staging)


def _extract(paths: list[str]) -> str:
    return f"json_extract_string(message, [{', '.join(sql_string(p) for p in paths)}])"


def _beyond_bigint(con: Any, rows: str, found: list[Leaf], types: dict[str, str]) -> set[str]:
    """Pointers of BIGINT or DOUBLE fields with an integer beyond BIGINT in some event: they become VARCHAR
    (JSON integers are unbounded, and DOUBLE would round them). One aggregate-free pass: over each event's
    values of those fields when they are few, else over the (pointer, value) pairs of the events that can
    hold such an integer, descending only into objects on the way to a field."""
    candidates = sorted(leaf.pointer for leaf in found if types[leaf.pointer] in ("BIGINT", "DOUBLE"))
    if not candidates:
        return set()
    beyond = "regexp_full_match(v::VARCHAR, '-?[0-9]+') AND TRY_CAST(v::VARCHAR AS BIGINT) IS NULL"
    if len(candidates) <= _FEW_FIELDS:  # the common case: a lookup per field per event is cheapest
        query = f"""
            SELECT DISTINCT ptr FROM (
                SELECT unnest($candidates::VARCHAR[]) AS ptr,
                       unnest(json_extract_string(message, $candidates::VARCHAR[])) AS v
                {rows}
            )
            WHERE {beyond}
        """
        return {str(row[0]) for row in con.execute(query, {"candidates": candidates}).fetchall()}
    wanted = [leaf.path for leaf in found if types[leaf.pointer] in ("BIGINT", "DOUBLE")]
    inner = sorted({Leaf(path[:n], "").pointer for path in wanted for n in range(1, len(path))})
    query = f"""
        WITH RECURSIVE pairs(ptr, v) AS (
            SELECT '/' || {_segment("k")}, v FROM (
                SELECT unnest(json_keys(message)) AS k, unnest(json_extract(message, '$.*')) AS v
                {rows} AND regexp_matches(message, {sql_string(_MAYBE_BEYOND_BIGINT)})
            )
            UNION ALL
            SELECT ptr || '/' || {_segment("k")}, v FROM (
                SELECT ptr, unnest(json_keys(object)) AS k, unnest(json_extract(object, '$.*')) AS v
                FROM (SELECT ptr, v AS object FROM pairs)
                WHERE json_type(object) = 'OBJECT' AND ptr IN (SELECT unnest($inner::VARCHAR[]))
            )
        )
        SELECT DISTINCT ptr FROM pairs WHERE ptr IN (SELECT unnest($candidates::VARCHAR[])) AND {beyond}
    """
    named = {"inner": inner, "candidates": candidates}
    return {str(row[0]) for row in con.execute(query, named).fetchall()}


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
