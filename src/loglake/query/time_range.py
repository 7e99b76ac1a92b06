"""Time ranges (`--since 15m|1h|2d|ISO`, `--until`): parsed once here for the CLI, the Python API and the console.

A range is half-open, [since, until), in UTC; a relative value counts back from now. Applied to a query,
every lake table the query reads is replaced by a subquery that keeps only the rows in the range:

- clean tables: `dt`/`hour` conditions (partition pruning, locally and on Athena) plus the exact
  `"timestamp"` bounds, of the column's type (lake/clean_zone.py: epoch ms in `waf_logs`, as AWS's table);
- `quarantine`: `dt` (its only partition) plus the raw record's `timestamp` (epoch ms);
- `raw_events`: its `timestamp` (epoch ms); the raw zone has no time partitions, so every raw object is read.

A query naming several tables (a join, a UNION, a subquery) has each of them filtered, each by its own
columns. A query that reads no lake table (`SELECT 1`, only VALUES) has nothing to apply the range to, and
is refused rather than answered as if the range held.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from loglake.errors import ConfigError
from loglake.lake.clean_zone import timestamp_is_epoch_ms

_RELATIVE = re.compile(r"(\d{1,9})\s*(s|secs?|m|mins?|h|hrs?|d|days?|w|wks?)", re.IGNORECASE)
"""A plural `s` only after a unit of several letters: `500ms` is no duration here (not 500 minutes)."""
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400,
                 "w": 604800, "wk": 604800}  # fmt: skip
EXAMPLES = "15m, 2d, 2026-11-29, 2026-11-29T10:00:00Z"

EPOCH_MS_TABLES = ("quarantine", "raw_events")
"""The zone views whose `timestamp` is the raw record's epoch milliseconds (clean tables: their contract's type)."""


class TimeRangeError(ConfigError):
    """A --since/--until value that is not a time, or a range that is empty or cannot apply."""


def parse_moment(text: str | datetime, *, now: datetime | None = None, flag: str = "--since") -> datetime:
    """`15m`, `1h`, `2d`, `1w` (before now), an ISO 8601 date or time (UTC unless it has a zone), or a datetime."""
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    value = text.strip()
    if match := _RELATIVE.fullmatch(value):
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower().removesuffix("s") or "s"]
        try:
            return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
        except OverflowError:
            raise TimeRangeError(f"{flag} {text!r} reaches before year 1; e.g. {flag} 1h (or {EXAMPLES})") from None
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in "zZ" and value else value)
    except ValueError:
        raise TimeRangeError(
            f"{flag} {text!r} is not a time: give a duration before now or an ISO 8601 time (UTC unless it says), "
            f"e.g. {flag} 1h (or {EXAMPLES})"
        ) from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TimeRange:
    """[since, until) in UTC; either end may be open (None)."""

    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def parse(
        cls, since: str | datetime | None, until: str | datetime | None, *, now: datetime | None = None
    ) -> TimeRange | None:
        """None when neither end is given; relative values count back from one `now` for both ends."""
        if since is None and until is None:
            return None
        moment = now or datetime.now(UTC)
        start = None if since is None else parse_moment(since, now=moment, flag="--since")
        end = None if until is None else parse_moment(until, now=moment, flag="--until")
        if start is not None and end is not None and start >= end:
            raise TimeRangeError(
                f"--since {_iso(start)} is not before --until {_iso(end)}: the range holds no time; "
                "e.g. --since 2h --until 1h"
            )
        return cls(start, end)

    def since_ms(self) -> int | None:
        return None if self.since is None else _ms(self.since)

    def until_ms(self) -> int | None:
        return None if self.until is None else _ms(self.until)

    def contains_ms(self, ms: int) -> bool:
        low, high = self.since_ms(), self.until_ms()
        return (low is None or ms >= low) and (high is None or ms < high)

    def last_hour(self) -> datetime | None:
        """The start of the last hour that can hold an event before `until` (which is excluded)."""
        if self.until is None:
            return None
        return (self.until - timedelta(microseconds=1)).replace(minute=0, second=0, microsecond=0)

    def hours_overlap(self, dt: str, hour: int) -> bool:
        """Whether the partition dt=`dt`/hour=`hour` can hold rows in the range (for file listings)."""
        start = datetime.fromisoformat(dt).replace(hour=hour, tzinfo=UTC)
        last = self.last_hour()
        return (self.since is None or start >= self._since_floor(day=False)) and (last is None or start <= last)

    def days_overlap(self, dt: str) -> bool:
        start = datetime.fromisoformat(dt).replace(tzinfo=UTC)
        last = self.last_hour()
        return (self.since is None or start >= self._since_floor(day=True)) and (last is None or start <= last)

    def _since_floor(self, *, day: bool) -> datetime:
        """The start of the UTC hour (or day) holding `since`: a partition that starts at or after it ends after
        `since`. Compared this way, not as start + 1 hour > since, because the lake's last partition
        (dt=9999-12-31/hour=23, which a line's time can reach) has no next hour in Python's datetime."""
        assert self.since is not None
        floor = self.since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        return floor.replace(hour=0) if day else floor

    def partition_sql(self, *, hourly: bool = True) -> list[str]:
        """Conditions on dt (and hour) alone: what partition pruning uses, on DuckDB and on Athena."""
        parts = []
        last = self.last_hour()
        if self.since is not None:
            day = _date(self.since)
            parts.append(f"dt >= {day}")
            if hourly:
                parts.append(f'(dt > {day} OR "hour" >= {self.since.hour})')
        if last is not None:
            day = _date(last)
            parts.append(f"dt <= {day}")
            if hourly:
                parts.append(f'(dt < {day} OR "hour" <= {last.hour})')
        return parts

    def timestamp_sql(self, *, epoch_ms: bool = False) -> list[str]:
        """The exact bounds on `timestamp` (a TIMESTAMP, or epoch ms in the raw and quarantine views)."""
        parts = []
        if self.since is not None:
            parts.append(f'"timestamp" >= {self.since_ms() if epoch_ms else timestamp_literal(self.since)}')
        if self.until is not None:
            parts.append(f'"timestamp" < {self.until_ms() if epoch_ms else timestamp_literal(self.until)}')
        return parts

    def table_sql(self, table: str) -> str:
        """The WHERE condition for one lake table or zone view."""
        if table == "raw_events":
            parts = self.timestamp_sql(epoch_ms=True)
        elif table == "quarantine":
            parts = self.partition_sql(hourly=False) + self.timestamp_sql(epoch_ms=True)
        else:
            parts = self.partition_sql() + self.timestamp_sql(epoch_ms=timestamp_is_epoch_ms(table))
        return " AND ".join(parts)

    def describe(self) -> str:
        return f"[{_iso(self.since) if self.since else '-∞'}, {_iso(self.until) if self.until else 'now+'})"

    def as_dict(self) -> dict[str, str | None]:
        return {"since": _iso(self.since) if self.since else None, "until": _iso(self.until) if self.until else None}


def apply_time_range(sql: str, time_range: TimeRange | None, tables: list[str], *, dialect: str = "athena") -> str:
    """The query with every read of a lake table in `tables` (and of quarantine, raw_events) limited to the range.

    `tables` are the lake's clean tables. A saved query's name and parameters stay with the new text.
    """
    if time_range is None:
        return sql
    from sqlglot import exp, parse_one

    from loglake.query.dialect import read_only_statement

    statement = read_only_statement(sql) if dialect == "athena" else parse_one(sql, read="duckdb")
    lake = {name.lower() for name in (*tables, *EPOCH_MS_TABLES)}  # names are case-insensitive (DuckDB, Athena)
    hits = [
        t
        for t in statement.find_all(exp.Table)
        if t.name.lower() in lake and isinstance(t.this, exp.Identifier) and not _names_a_cte(t)
    ]
    if not hits:
        raise TimeRangeError(
            "--since/--until: this query reads no lake table with a timestamp "
            f"(tables: {', '.join(sorted(set(tables) | set(EPOCH_MS_TABLES)))}); drop --since/--until"
        )
    for table in hits:
        alias = table.alias_or_name
        source = table.copy()
        source.set("alias", None)
        inner = f"SELECT * FROM {source.sql(dialect=dialect)} WHERE {time_range.table_sql(table.name.lower())}"
        subquery: Any = parse_one(f"({inner}) AS {exp.to_identifier(alias).sql(dialect=dialect)}", read=dialect)
        table.replace(subquery)
    text = str(statement.sql(dialect=dialect))
    return _keep_saved(sql, text)


def _names_a_cte(table: Any) -> bool:
    """Whether `table` reads a CTE in scope rather than the lake table of that name: a WITH of an enclosing query
    defines it, and the reference is in that query's body or in a later CTE (or any, WITH RECURSIVE); inside
    `WITH logs AS (SELECT * FROM logs)` the inner `logs` is the real table."""
    from sqlglot import exp

    if table.args.get("db") or table.args.get("catalog"):
        return False
    name = table.name.lower()
    path, node = [table], table.parent
    while node is not None:
        with_ = next((v for v in node.args.values() if isinstance(v, exp.With)), None)
        if with_ is not None:
            ctes = list(with_.expressions)
            inside = next((i for i, cte in enumerate(ctes) if any(cte is seen for seen in path)), None)
            visible = ctes if inside is None or with_.args.get("recursive") else ctes[:inside]
            if any(cte.alias_or_name.lower() == name for cte in visible):
                return True
        path.append(node)
        node = node.parent
    return False


def _keep_saved(original: str, text: str) -> str:
    """A saved query's text keeps its name and identifier parameters (the engine's error hints read them)."""
    from loglake.query.saved_queries import SavedSql

    if isinstance(original, SavedSql):
        return SavedSql(text, original.saved_query, original.identifiers)
    return text


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    """Epoch milliseconds, rounded up: `>= since` and `< until` then keep exactly the ms inside the range."""
    return -((_EPOCH - moment) // timedelta(milliseconds=1))


def _date(moment: datetime) -> str:
    return f"DATE '{moment.date().isoformat()}'"


def table_time_literal(table: str, moment: datetime) -> str:
    """`moment` as a value of clean table `table`'s `timestamp` (epoch ms, or a TIMESTAMP literal)."""
    return str(_ms(moment)) if timestamp_is_epoch_ms(table) else timestamp_literal(moment)


def timestamp_literal(moment: datetime) -> str:
    """Millisecond precision (Athena's), unless the moment has finer digits."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return f"TIMESTAMP '{text[:-3] if moment.microsecond % 1000 == 0 else text}'"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
