"""Athena SQL for the lake's Iceberg tables: the CREATE TABLE (`loglake ddl`), and compaction and expiry on
AWS, where the engine that owns the table does them (`OPTIMIZE ... REWRITE DATA USING BIN_PACK`, `VACUUM`).

On AWS the ETL's commits go through the Glue Data Catalog (lake/iceberg_glue.py), so Athena reads the
tables without any DDL; the CREATE TABLE is for a catalog that does not have them yet. VACUUM expires
snapshots older than the table's `vacuum_max_snapshot_age_seconds` (set to the grace period here) and
deletes the files no snapshot references; OPTIMIZE rewrites only the closed hours it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from loglake.catalog.athena_ddl import _columns, _ident, _qualified, _string, clean_table_root
from loglake.catalog.glue_names import checked_database
from loglake.lake.clean_zone import ATHENA_PARTITIONS
from loglake.lake.keys import table_name
from loglake.lake.schema_registry import TableSchema

DEFAULT_GRACE_S = 3600
"""As compaction's: longer than a query that planned before a commit takes."""

MIN_GRACE_S = 900
"""The least grace VACUUM may be given: Lambda's longest timeout (the template's EtlTimeout MaxValue), so a
file an ETL invocation wrote but has not committed yet is never an orphan old enough to delete."""

DEFAULT_DAYS = 2
"""OPTIMIZE covers the closed hours of this many days back (plus the current day's): a bounded rewrite each
run, so a backlog does not make every run rewrite the table's whole history."""

GRACE_PROPERTY = "vacuum_max_snapshot_age_seconds"


def table_properties(grace_s: int = DEFAULT_GRACE_S) -> dict[str, str]:
    return {
        "table_type": "ICEBERG",
        "format": "parquet",
        "write_compression": "zstd",
        GRACE_PROPERTY: str(int(grace_s)),
        "vacuum_min_snapshots_to_keep": "1",
    }


def table_ddl(schema: TableSchema, location: str, database: str | None = None, grace_s: int = DEFAULT_GRACE_S) -> str:
    """CREATE TABLE for an Iceberg clean table: the registry's columns, then dt (date) and hour (int), which
    the files hold (Iceberg partitions are columns of the data, identity-partitioned here)."""
    table = table_name(schema.table)
    columns = _columns({c.name: c.type for c in schema.columns})
    partitions = ",\n".join(f"  {_ident(name)} {type_}" for name, type_ in ATHENA_PARTITIONS.items())
    props = ",\n".join(f"  {_string(k)} = {_string(v)}" for k, v in table_properties(grace_s).items())
    return (
        f"CREATE TABLE IF NOT EXISTS {_qualified(table, database)} (\n{columns},\n{partitions}\n)\n"
        f"PARTITIONED BY ({', '.join(_ident(p) for p in ATHENA_PARTITIONS)})\n"
        f"LOCATION {_string(clean_table_root(schema, location))}\n"
        f"TBLPROPERTIES (\n{props}\n);"
    )


def maintained_name(table: str, database: str | None) -> str:
    """`database.table`, unquoted, as all three maintenance statements take it: AWS's VACUUM page says not to
    enclose the database name in backticks, and OPTIMIZE is Trino SQL, where backticks are refused. Table names
    are plain identifiers already (keys.table_name); a database name must be one too."""
    name = table_name(table)
    if database is None:
        return name
    return f"{checked_database(database)}.{name}"  # the template's GlueDatabase rule (catalog/glue_names.py)


def closed_before(older_than_s: float, now: datetime | None = None) -> tuple[str, int]:
    """The first (dt, hour) that is not yet closed: hours that ended `older_than_s` ago or more are before it."""
    cut = (now or datetime.now(UTC)) - timedelta(seconds=older_than_s)
    return cut.strftime("%Y-%m-%d"), cut.hour


def optimize_sql(
    table: str, database: str | None, older_than_s: float, now: datetime | None = None, days: int = DEFAULT_DAYS
) -> str:
    """Bin-pack the closed hours' small files into files of Athena's target size (one Iceberg commit), from
    `days` days before the last closed hour's day: older hours are left to `loglake compact` or a run with more."""
    day, hour = closed_before(older_than_s, now)
    first = (datetime.strptime(day, "%Y-%m-%d") - timedelta(days=days)).strftime("%Y-%m-%d")
    name, cut = maintained_name(table, database), _string(day)
    return (
        f"OPTIMIZE {name} REWRITE DATA USING BIN_PACK\n"
        f"WHERE dt >= DATE {_string(first)} AND (dt < DATE {cut} OR (dt = DATE {cut} AND hour < {hour}))"
    )


def vacuum_sql(table: str, database: str | None) -> str:
    """Expire snapshots older than vacuum_max_snapshot_age_seconds and delete files nothing references."""
    return f"VACUUM {maintained_name(table, database)}"


def maintenance_sql(
    table: str,
    database: str | None,
    older_than_s: float,
    grace_s: int = DEFAULT_GRACE_S,
    now: datetime | None = None,
    *,
    days: int = DEFAULT_DAYS,
    properties: Mapping[str, str] | None = None,
) -> list[str]:
    """What `loglake compact` is on AWS for an Iceberg table, in order: the grace period, OPTIMIZE, VACUUM.
    The ALTER TABLE is left out when `properties` (the Glue table's Parameters) already hold the grace: each
    one is an Iceberg commit and a Glue table version, and may conflict with an ETL commit."""
    qualified = maintained_name(table, database)
    statements = [optimize_sql(table, database, older_than_s, now, days), vacuum_sql(table, database)]
    if properties is not None and str(properties.get(GRACE_PROPERTY, "")) == str(int(grace_s)):
        return statements
    return [f"ALTER TABLE {qualified} SET TBLPROPERTIES ('{GRACE_PROPERTY}' = '{int(grace_s)}')", *statements]
