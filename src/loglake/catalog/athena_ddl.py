"""Athena DDL from the schema registry: clean tables with partition projection, and the raw zone.

Partition projection computes the dt/hour partitions from the table properties, so no crawler, no
MSCK REPAIR and no partition API calls are ever needed. The dt range starts at the oldest day the data
holds (the registry's earliest_dt for a clean table, the first quarantine key for quarantine): a fixed
start would hide older logs from Athena while DuckDB shows them. Identifiers are backquoted (Athena's DDL
quoting); locations and names come from the lake's own keys and the registry, never from log data
that was not already sanitised.
"""

from __future__ import annotations

from loglake.errors import ConfigError
from loglake.lake.clean_zone import ATHENA_PARTITIONS, table_prefix
from loglake.lake.formats import DEFAULT_FORMAT, OutputFormat, get_format
from loglake.lake.formats.jsonl import JSON_LINES_STORAGE
from loglake.lake.keys import QUARANTINE_PREFIX, RAW_PREFIX, partition_day, table_name
from loglake.lake.quarantine import QUARANTINE_COLUMNS
from loglake.lake.raw_zone import RAW_COLUMNS
from loglake.lake.schema_registry import TableSchema
from loglake.lake.store import Store

ATHENA_TYPES = {
    "VARCHAR": "string",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
}


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def athena_type(type_: str) -> str:
    """A registry type in Athena (Hive) DDL: STRUCT("a" VARCHAR, b INTEGER[]) → struct<a:string,b:array<int>>."""
    if type_ in ATHENA_TYPES:
        return ATHENA_TYPES[type_]
    if type_.endswith("[]"):
        return f"array<{athena_type(type_[:-2])}>"
    if type_.startswith("STRUCT(") and type_.endswith(")"):
        fields = []
        for part in _split_top_level(type_[len("STRUCT(") : -1]):
            name, _, inner = part.partition(" ")
            fields.append(f"{name.strip(chr(34))}:{athena_type(inner.strip())}")
        return f"struct<{','.join(fields)}>"
    raise ConfigError(f"no Athena type for {type_!r}")


EPOCH_DAY = "1970-01-01"
"""The oldest dt the ETL can write (event times before 1970 fall back to the record's time, and
quarantine files invalid ones under 1970-01-01): the range start when the data's own is not known."""


def _ident(name: str) -> str:
    if "`" in name:
        raise ConfigError(f"identifier {name!r} cannot be used in Athena DDL")
    return f"`{name}`"


def _string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _columns(columns: dict[str, str]) -> str:
    return ",\n".join(f"  {_ident(name)} {athena_type(type_)}" for name, type_ in columns.items())


def _columns_athena(columns: dict[str, str]) -> str:
    """Columns whose types are Athena's already (the partitions)."""
    return ",\n".join(f"  {_ident(name)} {type_}" for name, type_ in columns.items())


def _qualified(table: str, database: str | None) -> str:
    return f"{_ident(database)}.{_ident(table)}" if database else _ident(table)


def lake_location(lake_uri: str) -> str:
    if not lake_uri.startswith("s3://"):
        raise ConfigError(f"Athena reads S3: this lake is {lake_uri}; give --location s3://bucket/prefix/")
    return lake_uri if lake_uri.endswith("/") else lake_uri + "/"


def clean_table_root(schema: TableSchema, location: str) -> str:
    return f"{lake_location(location)}{table_prefix(schema.table)}"


def table_format(schema: TableSchema) -> OutputFormat:
    """The one format Athena and Glue read a table in: the registry's (the default for a table that
    recorded none); a table holding two is refused with the command that rewrites it in one."""
    if len(schema.formats) > 1:
        raise ConfigError(
            f"table {schema.table} holds files in {' and '.join(schema.formats)}; Athena needs one format per "
            f"table: re-run `loglake etl --force --output-format {DEFAULT_FORMAT}`"
        )
    return get_format(schema.formats[0] if schema.formats else DEFAULT_FORMAT)


def earliest_quarantine_dt(store: Store) -> str | None:
    """The oldest quarantine day, from the first key alone (keys list in order and dt comes first)."""
    return partition_day(next(iter(store.list(QUARANTINE_PREFIX)), ""))


def _dt_projection(first_day: str | None) -> dict[str, str]:
    """`first_day` None (unknown: a registry from before earliest_dt was kept) projects from EPOCH_DAY,
    which hides nothing and costs Athena more empty partitions to skip."""
    return {
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": f"{first_day or EPOCH_DAY},NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
    }


def quarantine_table_properties(root: str, earliest: str | None = None) -> dict[str, str]:
    return {**_dt_projection(earliest), "storage.location.template": f"{root}dt=${{dt}}/"}


def clean_table_properties(schema: TableSchema, root: str) -> dict[str, str]:
    """Partition projection for dt (date) and hour (int), pointing at the keys the ETL writes."""
    properties = {
        **_dt_projection(schema.earliest_dt),
        "projection.hour.type": "integer",
        "projection.hour.range": "0,23",
        "projection.hour.digits": "2",
        "storage.location.template": f"{root}dt=${{dt}}/hour=${{hour}}/",
    }
    return {**properties, **table_format(schema).athena.properties}


def clean_table_ddl(schema: TableSchema, location: str, database: str | None = None) -> str:
    """CREATE EXTERNAL TABLE for one clean table, partitioned by dt (date) and hour (int), projected."""
    table = table_name(schema.table)
    root = clean_table_root(schema, location)
    storage = table_format(schema).athena.ddl
    properties = clean_table_properties(schema, root)
    props = ",\n".join(f"  {_string(k)} = {_string(v)}" for k, v in properties.items())
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {_qualified(table, database)} (\n"
        f"{_columns({c.name: c.type for c in schema.columns})}\n)\n"
        f"PARTITIONED BY (\n{_columns_athena(ATHENA_PARTITIONS)}\n)\n"
        f"{storage}\nLOCATION {_string(root)}\nTBLPROPERTIES (\n{props}\n);"
    )


def raw_table_ddl(location: str, database: str | None = None, table: str = "raw_events") -> str:
    """The raw zone as it is (gzip JSON lines), for forensic queries; Athena reads every object below it."""
    root = f"{lake_location(location)}{RAW_PREFIX}"
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {_qualified(table, database)} (\n{_columns(RAW_COLUMNS)}\n)\n"
        f"{JSON_LINES_STORAGE.ddl}\nLOCATION {_string(root)};"
    )


def quarantine_table_ddl(location: str, database: str | None = None, earliest: str | None = None) -> str:
    """`earliest`: the oldest quarantine day (earliest_quarantine_dt), where the dt projection starts."""
    root = f"{lake_location(location)}quarantine/"
    properties = quarantine_table_properties(root, earliest)
    props = ",\n".join(f"  {_string(k)} = {_string(v)}" for k, v in properties.items())
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {_qualified('quarantine', database)} (\n"
        f"{_columns(QUARANTINE_COLUMNS)}\n)\n"
        f"PARTITIONED BY (\n  `dt` date\n)\n{JSON_LINES_STORAGE.ddl}\n"
        f"LOCATION {_string(root)}\nTBLPROPERTIES (\n{props}\n);"
    )


def schema_changes_ddl(schema: TableSchema, since_version: int, database: str | None = None) -> list[str]:
    """What to run on a table created at registry version `since_version` to reach the current schema."""
    added = {c.name: c.type for c in schema.columns if int(c.history[0].get("version", "0")) > since_version}
    widened = [
        c.name
        for c in schema.columns
        if any(h["change"].startswith("widened") and int(h.get("version", "0")) > since_version for h in c.history)
    ]
    statements = []
    if added:
        statements.append(f"ALTER TABLE {_qualified(schema.table, database)} ADD COLUMNS (\n{_columns(added)}\n);")
    if widened:
        statements.append(
            f"-- {', '.join(widened)} widened since version {since_version}: Athena cannot change a column's type "
            "in place. Drop and re-create the table (it is EXTERNAL: no data is touched):\n"
            f"DROP TABLE IF EXISTS {_qualified(schema.table, database)};"
        )
    return statements
