"""logfmt: `key=value key2="quoted value"` lines, into `logs`, one column per key.

A line is logfmt when it is nothing but such pairs, with distinct keys (a repeated key leaves the line
to plain text rather than lose a value). Quoted values are unescaped; `key=` is an empty string. The
pairs become a JSON object and are planned like JSON fields, then typed from their values: a key whose
values all read as integers is BIGINT, as numbers DOUBLE, as true/false BOOLEAN, else VARCHAR (an
integer beyond BIGINT stays VARCHAR, never a rounded DOUBLE).
Keys are also where the time (`time`, `ts`, ...) and the level (`level`, `lvl`, ...) are looked up.
"""

from __future__ import annotations

from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import DEFAULT_TABLE, LINE, Example, FieldPlan, ParsePlan
from loglake.transform.parsers.json_object import JsonObjectParser

PAIR = r'([A-Za-z_@][\w.\-/@#]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)'
LINE_PATTERN = rf"\s*(?:{PAIR}\s*)+"
_TYPES = ("BIGINT", "DOUBLE", "BOOLEAN")


def _pairs(message: str, group: int) -> str:
    return f"regexp_extract_all({LINE.format(m=message)}, {sql_string(PAIR)}, {group})"


class LogfmtParser(JsonObjectParser):
    name = "logfmt"
    table = DEFAULT_TABLE

    def detect(self, message: str) -> str:
        keys = _pairs(message, 1)
        line = LINE.format(m=message)
        return (
            f"(CASE WHEN NOT contains({message}, '=') THEN false "
            f"WHEN NOT (lower(substr(ltrim({message}), 1, 1)) BETWEEN 'a' AND 'z' "
            f"OR substr(ltrim({message}), 1, 1) IN ('_', '@')) THEN false "
            f"WHEN NOT regexp_full_match({line}, {sql_string(LINE_PATTERN)}) THEN false "
            f"ELSE len(list_distinct({keys})) = len({keys}) END)"
        )

    def reject(self, message: str) -> None:
        return None

    def document(self, message: str) -> str:
        unquote = (
            "lambda v: CASE WHEN starts_with(v, '\"') "
            "THEN replace(replace(v[2:-2], '\\\"', '\"'), '\\\\', '\\') ELSE v END"
        )
        return f"to_json(map({_pairs(message, 1)}, list_transform({_pairs(message, 2)}, {unquote})))"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        plan = super().plan(con, max_depth)
        texts = [i for i, f in enumerate(plan.fields) if f.type == "VARCHAR"]
        if not texts:
            return plan
        checks = []
        for i in texts:
            v = plan.fields[i].expression
            checks += [
                f"bool_and({v} IS NULL OR (regexp_full_match({v}, '[+-]?[0-9]+') "
                f"AND TRY_CAST({v} AS BIGINT) IS NOT NULL)) AND count({v}) > 0",
                # An integer too big for BIGINT stays text: DOUBLE would silently round it.
                f"bool_and({v} IS NULL OR (TRY_CAST({v} AS DOUBLE) IS NOT NULL AND NOT "
                f"(regexp_full_match({v}, '[+-]?[0-9]+') AND TRY_CAST({v} AS BIGINT) IS NULL))) AND count({v}) > 0",
                f"bool_and({v} IS NULL OR lower({v}) IN ('true', 'false')) AND count({v}) > 0",
            ]
        staging = ", ".join(f"{e} AS {c}" for c, e in plan.staging.items())
        rows = f"FROM (SELECT {staging} FROM classified WHERE format = {sql_string(self.name)})"
        verdicts = con.execute(f"SELECT {', '.join(checks)} {rows}").fetchall()[0]
        for n, i in enumerate(texts):
            found = [t for t, ok in zip(_TYPES, verdicts[3 * n : 3 * n + 3], strict=True) if ok]
            if found:
                f = plan.fields[i]
                plan.fields[i] = FieldPlan(f.source, found[0], f"TRY_CAST({f.expression} AS {found[0]})", f.path)
        return plan


EXAMPLES = [
    Example(
        'level=info msg="Stopping all fetchers" tag=stopping_fetchers id=ConsumerFetcherManager-1382721708341 '
        "module=kafka.consumer.ConsumerFetcherManager",
        {
            "msg": "Stopping all fetchers",
            "tag": "stopping_fetchers",
            "module": "kafka.consumer.ConsumerFetcherManager",
            "level": "INFO",
        },
    ),
    Example(
        'ts=2026-11-26T10:00:00Z level=warn latency_ms=12 ratio=0.5 cached=true note="say \\"hi\\""',
        {
            "latency_ms": 12,
            "ratio": 0.5,
            "cached": True,
            "note": 'say "hi"',
            "level": "WARN",
            "timestamp": "2026-11-26 10:00:00",
        },
    ),
]
