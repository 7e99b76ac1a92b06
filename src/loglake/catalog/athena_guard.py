"""`loglake compact` refuses a table that Athena reads as hive: Athena would count compacted events twice.

DuckDB reads compaction's committed file list (lake/compaction.py), but Athena's hive table over
clean/<table>/ reads every object of an hour's prefix: from the compacted file's write until the inputs are
deleted (the grace period) it counts each compacted event twice, a silent wrong answer. An Iceberg Glue table
is read through its snapshot (Athena's OPTIMIZE compacts it exactly once), so it is left out; a hive Glue
table over an Iceberg table's prefix is not (it reads replaced and uncommitted files too). Local lakes are not
on S3, so only S3 lakes are checked.

The signal is the Glue Data Catalog itself, the catalog Athena reads through: a table of the Glue database
(glue_names.glue_database: --database, $LOGLAKE_GLUE_DATABASE, loglake.toml, `loglake`) whose location is the
clean table's prefix, or a folder above or below it. It catches tables any loglake version registered and
tables made by hand from `loglake ddl`, and needs only the caller's `glue:GetTables` on that database (the
stack's RawQueryPolicy has it). Only that one database is checked: listing every database needs
glue:GetDatabases, which the query policies lack. A lake Athena does not read says so with
`--not-read-by-athena`. When Glue cannot answer (no credentials, access denied, an endpoint without Glue, a
database that does not exist), loglake cannot tell, so it refuses too, naming the flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loglake.aws_calls import glue_tables
from loglake.catalog.athena_ddl import lake_location
from loglake.catalog.glue_names import GLUE_DATABASE_ENV, checked_database
from loglake.errors import AthenaReadsTableError, CatalogError
from loglake.lake.clean_zone import table_prefix

NOT_READ_FLAG = "--not-read-by-athena"
DOCS = 'docs/lake-layout.md, "Compaction and Athena"'
LOCATION_TEMPLATE = "storage.location.template"
"""Partition projection's location parameter (catalog/athena_ddl.py): Athena reads where it points."""


@dataclass(frozen=True)
class AthenaRead:
    """A clean table of the lake, the Glue table Athena reads it through, and that table's location."""

    table: str
    glue_table: str
    location: str


def _folder(uri: str) -> str:
    uri = uri.strip()
    scheme, sep, rest = uri.partition("://")
    if sep and scheme.lower() in ("s3", "s3a", "s3n"):
        uri = f"s3://{rest}"  # Athena takes the scheme in any case; bucket names are lowercase
    return uri if uri.endswith("/") else uri + "/"


def _covers(location: str, root: str) -> bool:
    """Whether a Glue location reads files under `root` (the table's prefix, a folder above it, or one of its
    partitions)."""
    if not location.strip():
        return False
    folder = _folder(location)
    return folder.startswith(root) or root.startswith(folder)


def athena_reads(glue: Any, database: str, lake_uri: str, tables: list[str]) -> list[AthenaRead] | None:
    """The hive Glue tables of `database` over `tables` of the S3 lake at `lake_uri` (Iceberg Glue tables are
    read through their snapshot, so they are left out); None when the database does not exist. A Glue
    failure is a CatalogError."""
    roots = {table: f"{lake_location(lake_uri)}{table_prefix(table)}" for table in tables}
    found = glue_tables(glue, database, CatalogError, missing_ok=True)
    if found is None:
        return None
    reads = []
    for glue_table in found:
        parameters = glue_table.get("Parameters", {})
        if str(parameters.get("table_type", "")).upper() == "ICEBERG":
            continue
        locations = [glue_table.get("StorageDescriptor", {}).get("Location", ""), parameters.get(LOCATION_TEMPLATE, "")]
        for table, root in roots.items():
            where = next((loc for loc in locations if loc and _covers(str(loc), root)), None)
            if where is not None:
                reads.append(AthenaRead(table, f"{database}.{glue_table['Name']}", str(where)))
    return sorted(reads, key=lambda read: (read.table, read.glue_table))


def _region(glue: Any) -> str:
    return str(getattr(getattr(glue, "meta", None), "region_name", None) or "the default region")


def check_not_read_by_athena(lake_uri: str, tables: list[str], database: str, command: str, glue: Any = None) -> None:
    """Refuse (AthenaReadsTableError) to compact `tables` when Athena reads one of them as a hive table, or
    when Glue cannot say; `command` is the user's compact command, to which the message adds NOT_READ_FLAG."""
    if not lake_uri.startswith("s3://") or not tables:
        return  # a local lake: Athena reads S3 only
    checked_database(database)  # only where the name reaches AWS: a local lake never uses it
    fix = f"if Athena does not read this lake, run `{command} {NOT_READ_FLAG}` ({DOCS})"
    names = ", ".join(tables)
    try:
        if glue is None:
            import boto3
            from botocore.exceptions import BotoCoreError

            try:
                glue = boto3.client("glue")
            except BotoCoreError as exc:
                raise CatalogError(f"Glue client: {exc}") from None
        reads = athena_reads(glue, database, lake_uri, tables)
    except CatalogError as exc:
        raise AthenaReadsTableError(
            f"cannot tell whether Athena reads the tables {names} of {lake_uri} as hive tables: {exc} (Glue "
            f"database {database}); compacting them would make Athena count compacted events twice until the "
            f"replaced files are deleted. Give the database Athena reads them through (--database), or, {fix}"
        ) from None
    if reads is None:
        raise AthenaReadsTableError(
            f"Glue database {database} does not exist in {_region(glue)}, so loglake cannot tell whether Athena "
            f"reads the tables {names} of {lake_uri} (it checks that one database): pass the one Athena reads "
            f"with --database (default: ${GLUE_DATABASE_ENV}, then loglake.toml's [athena] database, then "
            f"loglake), or, {fix}"
        )
    if not reads:
        return
    read_tables = sorted({read.table for read in reads})
    first = reads[0]
    also = f" and {len(reads) - 1} more" if len(reads) > 1 else ""
    raise AthenaReadsTableError(
        f"table{'s' if len(read_tables) > 1 else ''} {', '.join(read_tables)} of this lake "
        f"{'are' if len(read_tables) > 1 else 'is'}"
        f" read by Athena as hive (Glue table {first.glue_table} over {first.location}{also}): compacting would "
        "make Athena count compacted events twice until the replaced files are deleted. Make new tables Iceberg, "
        "which Athena compacts exactly once with OPTIMIZE (`loglake deploy --table-format iceberg`), or, "
        f"{fix}"
    )
