"""The library of saved queries: `loglake query --saved NAME [--param k=v]`, on either engine.

Each is Athena SQL with {placeholders}. Parameters are typed and validated before they reach the
text: identifiers must be plain names, numbers numbers, dates ISO 8601, strings are quoted; nothing a
user passes can change the shape of the query. `{event_time}` is the `table` parameter's event time as a
TIMESTAMP (lake/clean_zone.py: waf_logs keeps AWS's epoch milliseconds). Until the AWS format parsers
land, the Lambda, VPC and ALB queries read their fields from the raw message with regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from loglake.errors import QueryError
from loglake.lake.clean_zone import event_time_sql
from loglake.query.time_range import TimeRange
from loglake.sql_quoting import sql_string

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,127}")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
"""ASCII digits only (str.isdigit also takes '١٢' and '²'); 18 digits fit a BIGINT. Counts are never negative."""


@dataclass(frozen=True)
class Param:
    kind: str
    """identifier | integer | date | string"""
    default: str
    help: str = ""

    def render(self, name: str, value: str) -> str:
        if self.kind == "identifier":
            if not _IDENTIFIER.fullmatch(value):
                raise QueryError(f"--param {name}: {value!r} is not a plain column or table name")
            return f'"{value}"'
        if self.kind == "integer":
            if not _WHOLE_NUMBER.fullmatch(value):
                raise QueryError(
                    f"--param {name}: {value!r} is not a whole number; use ASCII digits 0-9, e.g. --param {name}=20"
                )
            return str(int(value))
        if self.kind == "date":
            try:
                day = datetime.fromisoformat(value).date()
            except ValueError:
                raise QueryError(f"--param {name}: {value!r} is not an ISO 8601 date") from None
            return f"DATE '{day.isoformat()}'"
        return sql_string(value)


class SavedSql(str):
    """A saved query's SQL text that remembers its name and identifier parameters.

    It is still a str for every engine; the embedded engine reads the extra fields to turn "column
    request_route not found" into the `--param route=<column>` that fixes it.
    """

    saved_query: str
    identifiers: dict[str, str]
    """parameter name -> the identifier it put in the text (defaults included)."""

    def __new__(cls, text: str, saved_query: str, identifiers: dict[str, str]) -> SavedSql:
        made = super().__new__(cls, text)
        made.saved_query = saved_query
        made.identifiers = identifiers
        return made


@dataclass(frozen=True)
class SavedQuery:
    name: str
    description: str
    sql: str
    params: dict[str, Param] = field(default_factory=dict)

    def render(self, values: dict[str, str]) -> SavedSql:
        unknown = set(values) - set(self.params)
        if unknown:
            raise QueryError(f"{self.name} has no parameter {sorted(unknown)[0]!r}; it takes {sorted(self.params)}")
        chosen = {name: values.get(name, p.default) for name, p in self.params.items()}
        rendered = {name: p.render(name, chosen[name]) for name, p in self.params.items()}
        identifiers = {name: chosen[name] for name, p in self.params.items() if p.kind == "identifier"}
        if "table" in chosen:  # the table's event time as a TIMESTAMP, whatever its `timestamp` holds
            rendered["event_time"] = event_time_sql(chosen["table"], dialect="athena")
        return SavedSql(self.sql.format(**rendered), self.name, identifiers)


TABLE = Param("identifier", "logs", "the clean table")
LIMIT = Param("integer", "20", "rows to show")
_ERROR_LEVELS = "level IN ('ERROR', 'FATAL')"


SAVED_QUERIES: dict[str, SavedQuery] = {
    q.name: q
    for q in [
        SavedQuery(
            "errors_per_service_per_hour",
            "ERROR and FATAL events per log group and hour (hours come from the partitions: no bytes scanned)",
            f"""SELECT log_group AS service, date_add('hour', "hour", CAST(dt AS TIMESTAMP)) AS hour, count(*) AS errors
FROM {{table}}
WHERE {_ERROR_LEVELS} AND dt >= {{since}}
GROUP BY log_group, dt, "hour"
ORDER BY 2, 1""",
            {"table": TABLE, "since": Param("date", "1970-01-01", "first day to count (prunes partitions)")},
        ),
        SavedQuery(
            "top_error_fingerprints",
            "the most frequent error messages, with numbers and ids masked",
            f"""SELECT regexp_replace(regexp_replace(split_part({{text}}, chr(10), 1),
           '[0-9a-fA-F]{{{{8}}}}(-[0-9a-fA-F]{{{{4}}}}){{{{3}}}}-[0-9a-fA-F]{{{{12}}}}', '<id>'), '[0-9]+', '<n>')
           AS fingerprint,
       count(*) AS events, min({{event_time}}) AS first_seen, max({{event_time}}) AS last_seen
FROM {{table}}
WHERE {_ERROR_LEVELS} AND {{text}} IS NOT NULL
GROUP BY 1
ORDER BY events DESC, fingerprint
LIMIT {{limit}}""",
            {
                "table": TABLE,
                "limit": LIMIT,
                "text": Param("identifier", "message", "the column with the error text (msg for JSON logs)"),
            },
        ),
        SavedQuery(
            "latency_by_route",
            "p50, p95 and p99 latency per route",
            """SELECT {route} AS route, count(*) AS requests,
       approx_percentile({latency}, 0.5) AS p50, approx_percentile({latency}, 0.95) AS p95,
       approx_percentile({latency}, 0.99) AS p99
FROM {table}
WHERE {route} IS NOT NULL AND {latency} IS NOT NULL
GROUP BY 1
ORDER BY p95 DESC, route""",
            {
                "table": TABLE,
                "route": Param("identifier", "request_route", "the route column"),
                "latency": Param("identifier", "request_latency_ms", "the latency column"),
            },
        ),
        SavedQuery(
            "lambda_cold_starts",
            "Lambda invocations, cold starts, durations and memory headroom from REPORT lines",
            """SELECT log_group AS function, count(*) AS invocations,
       count(init_duration_ms) AS cold_starts,
       avg(duration_ms) AS avg_duration_ms,
       max(init_duration_ms) AS max_init_ms,
       max(memory_size_mb) AS memory_size_mb,
       max(max_memory_used_mb) AS max_memory_used_mb,
       round(min(100 - 100.0 * max_memory_used_mb / memory_size_mb), 1) AS min_headroom_pct
FROM lambda_platform
WHERE type IN ('REPORT', 'platform.report')
GROUP BY 1
ORDER BY 1""",
            {},
        ),
        SavedQuery(
            "vpc_top_talkers",
            "VPC flow logs: flows, rejected flows and bytes per source address",
            """SELECT srcaddr, count(*) AS flows,
       count_if(action = 'REJECT') AS rejected_flows,
       sum(bytes) AS bytes
FROM vpc_flow_logs
WHERE srcaddr IS NOT NULL
GROUP BY 1
ORDER BY bytes DESC, srcaddr
LIMIT {limit}""",
            {"limit": LIMIT},
        ),
        SavedQuery(
            "alb_5xx_rate",
            "ALB requests and the share answered 5xx by the load balancer, per hour",
            """SELECT date_trunc('hour', from_iso8601_timestamp(time)) AS hour,
       count(*) AS requests, count_if(elb_status_code >= 500) AS elb_5xx,
       round(100.0 * count_if(elb_status_code >= 500) / count(*), 2) AS pct_5xx
FROM alb_logs
GROUP BY 1
ORDER BY 1""",
            {},
        ),
        SavedQuery(
            "ingestion_lag",
            "delay between an event's time and its arrival (ingestion time), per log group",
            """SELECT log_group, count(*) AS events,
       approx_percentile(date_diff('millisecond', {event_time}, ingestion_time), 0.5) AS p50_lag_ms,
       approx_percentile(date_diff('millisecond', {event_time}, ingestion_time), 0.95) AS p95_lag_ms,
       max(date_diff('millisecond', {event_time}, ingestion_time)) AS max_lag_ms
FROM {table}
WHERE ingestion_time IS NOT NULL
GROUP BY 1
ORDER BY 1""",
            {"table": TABLE},
        ),
    ]
}


def saved_query(name: str, values: dict[str, str] | None = None, time_range: TimeRange | None = None) -> SavedSql:
    """The query's text; with `time_range`, each table it reads keeps only the rows in the range (every saved
    query reads lake tables only, so every one accepts --since/--until)."""
    if name not in SAVED_QUERIES:
        raise QueryError(f"no saved query {name!r}; saved queries: {', '.join(sorted(SAVED_QUERIES))}")
    rendered = SAVED_QUERIES[name].render(values or {})
    if time_range is None:
        return rendered
    from loglake.query.dialect import referenced_tables
    from loglake.query.time_range import apply_time_range

    ranged = apply_time_range(rendered, time_range, sorted(referenced_tables(rendered)))
    return SavedSql(ranged, rendered.saved_query, rendered.identifiers)


def parse_params(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise QueryError(f"--param takes name=value, not {pair!r}")
        values[name.strip()] = value
    return values
