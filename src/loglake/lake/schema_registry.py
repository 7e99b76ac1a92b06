"""The schema registry: one JSON document per clean table, in `schema/<table>.json`.

It only ever grows. A new field adds a column; a type conflict widens the column (INTEGER+BIGINT →
BIGINT, BIGINT+DOUBLE → DOUBLE, any other pair → VARCHAR); every change is kept in the column's
history with the raw object that caused it, so a column's type can be explained. Names for JSON
fields are reserved here *before* data is written (compare-and-swap on the document), so two ETL
runs in parallel can never give one name to two different fields.

A table gets at most `max_columns` columns from keys found in the data (JSON). Past it, new keys get
no column: their values go, exact, to one JSON column (`extra`), and the table records that the cap
was reached (`column_cap`). Which keys fit is decided here, in sorted JSON Pointer order, so a retry
decides the same. Every step is linear in the number of columns.

Envelope columns (source `envelope:<name>`) have the types the clean-zone contract declares and never
widen: a different type means the contract changed since the table was written (`waf_logs.timestamp`,
TIMESTAMP before it became AWS's epoch milliseconds). `merge` refuses that; only `loglake compact
--rewrite-stale` `retype`s the column, recorded in its history, once it has rewritten every file of the table
(lake/compaction.py `rewrite_stale`); an ETL run never does, forced or not: it rewrites one object's files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields

import orjson

from loglake.errors import InvariantError
from loglake.lake.keys import SCHEMA_PREFIX, schema_key
from loglake.lake.store import Store

_MAX_CAS_ATTEMPTS = 20
TYPES = ("BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "DATE", "TIMESTAMP")
"""Scalar column types; AWS formats also declare STRUCT(...) and LIST (`T[]`) columns."""
_NUMBERS = ("INTEGER", "BIGINT", "DOUBLE")
EXTRA_SOURCE = "extra:max_columns"
"""The source of a table's `extra` column: the fields that got no column because the table had max_columns."""
EXTRA_NAME = "extra"
ENVELOPE_SOURCE = "envelope:"
"""The source prefix of the envelope's columns (the contract's, lake/clean_zone.py)."""


def is_column_type(type_: str) -> bool:
    return type_ in TYPES or type_.endswith("[]") or (type_.startswith("STRUCT(") and type_.endswith(")"))


def is_nested(type_: str) -> bool:
    """A LIST, STRUCT or MAP type: as VARCHAR its values are JSON text (`to_json`), as the ETL writes the
    nested values of JSON records, never DuckDB's own `[{'name': x}]` text."""
    return type_.endswith("]") or type_.startswith(("STRUCT(", "MAP("))


def as_varchar_sql(expression: str, type_: str) -> str:
    """SQL: a value of `type_` as the VARCHAR a widened column holds (nested values as JSON text)."""
    return f"CAST(to_json({expression}) AS VARCHAR)" if is_nested(type_) else f"CAST({expression} AS VARCHAR)"


def widen(old: str, new: str) -> str:
    """The narrowest type holding both: INTEGER < BIGINT < DOUBLE; any other pair → VARCHAR."""
    if old == new:
        return old
    if old in _NUMBERS and new in _NUMBERS:
        return max(old, new, key=_NUMBERS.index)
    return "VARCHAR"


@dataclass
class Column:
    name: str
    type: str
    source: str
    """Where the value comes from: 'envelope:<field>' or a JSON pointer into the message ('/request/route')."""
    history: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ColumnCap:
    """The table reached `max_columns`: fields past it are in its `extra` column (source EXTRA_SOURCE)."""

    max_columns: int
    by: str
    """The raw object whose fields first found the table full (at this max_columns)."""
    version: int
    """The registry version that recorded it."""
    column: str = EXTRA_NAME
    """The name of the `extra` column (`extra_2`, ... when a field of an older table holds `extra`)."""


@dataclass
class TableSchema:
    table: str
    columns: list[Column] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    version: int = 0
    earliest_dt: str | None = None
    """The oldest dt partition (YYYY-MM-DD) the table holds, where Athena's partition projection must start;
    None in a registry written before it was kept."""
    column_cap: ColumnCap | None = None
    """Set once the table reached max_columns, and kept: the table only grows."""

    def note_earliest_dt(self, dt: str) -> bool:
        """Move earliest_dt back to `dt` when that is older (it never moves forward); True when it changed."""
        if self.earliest_dt is not None and self.earliest_dt <= dt:
            return False
        self.earliest_dt = dt
        return True

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def pointer_names(self) -> dict[str, str]:
        """Source → name for the fields of the message: JSON pointers, and EXTRA_SOURCE once the cap was hit."""
        names = {c.source: c.name for c in self.columns if c.source.startswith("/")}
        if self.column_cap is not None:
            names[EXTRA_SOURCE] = self.column_cap.column
        return names

    def apply_cap(
        self, declared: set[str], found: set[str], max_columns: int, cause: str, withheld: frozenset[str] = frozenset()
    ) -> tuple[frozenset[str], bool]:
        """The sources that get no column, and whether the schema changed. `declared` fields (a fixed format's
        columns) always get one; new `found` fields (JSON keys) get one, in sorted order, while the table has
        fewer than `max_columns` payload columns; new `withheld` fields (keys that hold a redacted value) get
        none. The first refusal records `column_cap`, and `merge` then adds the `extra` column after the others."""
        known = self.pointer_names()
        payload = sum(1 for c in self.columns if c.source.startswith("/"))
        room = max_columns - payload - sum(1 for s in declared if s not in known)
        new = sorted(s for s in found if s not in known and s not in declared and s not in withheld)
        # Keys holding a redacted value never become names; they do not take room.
        refused = frozenset(new[max(room, 0) :]) | {s for s in withheld if s in found and s not in known}
        if not refused or (self.column_cap is not None and self.column_cap.max_columns == max_columns):
            return refused, False
        if self.column_cap is not None:
            name = self.column_cap.column
        else:
            used = {c.name for c in self.columns}
            name, n = EXTRA_NAME, 2
            while name in used:  # a JSON key of an older table may hold the name: extra_2, ...
                name, n = f"{EXTRA_NAME}_{n}", n + 1
        self.column_cap = ColumnCap(max_columns, cause, self.version + 1, name)
        return refused, True

    def merge(self, incoming: list[tuple[str, str, str]], output_format: str, cause: str) -> bool:
        """Add or widen (name, type, source) columns; True when anything changed."""
        changed = False
        by_name = {c.name: c for c in self.columns}  # one lookup per column: linear in the columns
        for name, type_, source in incoming:
            if not is_column_type(type_):
                raise InvariantError(f"unknown column type {type_!r} for {self.table}.{name}")
            current = by_name.get(name)
            version = str(self.version + 1)  # the version this merge will be stored as
            if current is None:
                by_name[name] = Column(
                    name, type_, source, [{"type": type_, "by": cause, "change": "added", "version": version}]
                )
                self.columns.append(by_name[name])
                changed = True
            elif current.source != source:
                raise InvariantError(
                    f"column {self.table}.{name} already holds {current.source}, not {source}: naming bug"
                )
            elif source.startswith(ENVELOPE_SOURCE) and current.type != type_:
                raise InvariantError(
                    f"envelope column {self.table}.{name} is {current.type}, not {type_}: the contract's types "
                    "never widen; the table must be rewritten (lake/clean_zone.py check_timestamp)"
                )
            elif (wider := widen(current.type, type_)) != current.type:
                current.history.append(
                    {
                        "type": wider,
                        "by": cause,
                        "change": f"widened {current.type} + {type_} -> {wider}",
                        "version": version,
                    }
                )
                current.type = wider
                changed = True
        cap = self.column_cap
        if cap is not None and cap.column not in by_name:  # last: after the envelope of a new table
            history = {"type": "VARCHAR", "by": cause, "change": "added", "version": str(self.version + 1)}
            self.columns.append(Column(cap.column, "VARCHAR", EXTRA_SOURCE, [history]))
            changed = True
        if output_format not in self.formats:
            self.formats.append(output_format)
            changed = True
        return changed

    def retype(self, name: str, type_: str, cause: str) -> bool:
        """Give an envelope column the type the contract now declares; True when it changed. Not a widening:
        the files written before hold the old type, so only compaction.rewrite_stale, once it has rewritten
        every one of them, calls it."""
        current = self.column(name)
        if current is None or current.type == type_:
            return False
        if not current.source.startswith(ENVELOPE_SOURCE):
            raise InvariantError(f"column {self.table}.{name} is no envelope column; only those are retyped")
        current.history.append(
            {
                "type": type_,
                "by": cause,
                "change": f"retyped {current.type} -> {type_} (the contract's type; files rewritten)",
                "version": str(self.version + 1),
            }
        )
        current.type = type_
        return True

    def to_json(self) -> bytes:
        """orjson writes the dataclasses itself: `asdict` deep-copied every history entry (2 s at 20,000 columns)."""
        doc = {f.name: getattr(self, f.name) for f in fields(self)}
        if doc["column_cap"] is None:  # documents of tables under the cap read as they always did
            del doc["column_cap"]
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, data: bytes) -> TableSchema:
        doc = orjson.loads(data)
        return cls(
            table=doc["table"],
            columns=[Column(**c) for c in doc["columns"]],
            formats=list(doc.get("formats", [])),
            version=int(doc.get("version", 0)),
            earliest_dt=doc.get("earliest_dt"),
            column_cap=ColumnCap(**doc["column_cap"]) if doc.get("column_cap") else None,
        )


class SchemaRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, table: str) -> TableSchema | None:
        data, _version = self.store.read_versioned(schema_key(table))
        return TableSchema.from_json(data) if data else None

    def tables(self) -> Iterator[str]:
        for key in self.store.list(SCHEMA_PREFIX):
            if key.endswith(".json"):
                yield key[len(SCHEMA_PREFIX) : -len(".json")]

    def update(self, table: str, change: Callable[[TableSchema], bool]) -> TableSchema:
        """Apply `change` with compare-and-swap, retrying on a concurrent writer; return the stored schema."""
        key = schema_key(table)
        for _attempt in range(_MAX_CAS_ATTEMPTS):
            data, version = self.store.read_versioned(key)
            schema = TableSchema.from_json(data) if data else TableSchema(table)
            if not change(schema):
                return schema
            schema.version += 1
            if self.store.put_if(key, schema.to_json(), version):
                return schema
        raise InvariantError(f"schema registry for {table!r} is changing too fast: gave up after retries")
