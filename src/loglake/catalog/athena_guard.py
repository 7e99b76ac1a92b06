"""`loglake compact` refuses a hive table that Athena reads: Athena would count compacted events twice.

DuckDB reads compaction's committed file list (lake/compaction.py), but Athena's hive table over
clean/<table>/ reads every object of an hour's prefix: from the compacted file's write until the inputs are
deleted (the grace period) it counts each compacted event twice, a silent wrong answer. Iceberg tables are
read through their snapshot (Athena's OPTIMIZE compacts them exactly once) and local lakes are not on S3,
so only hive tables of an S3 lake are checked.

The signal is the Glue Data Catalog itself, the catalog Athena reads through: a table of the Glue database
(the one `catalog sync`, the ETL's sync and the stack use) whose location is the clean table's prefix, or a
folder above or below it. It catches tables any loglake version registered and tables made by hand from
`loglake ddl`, and needs only the caller's `glue:GetTables` on that database (the stack's RawQueryPolicy has
it); the ETL needs no new permission, as a record the ETL would keep in the lake would. A lake Athena does
not read says so with `--not-read-by-athena`. When Glue cannot answer (no credentials, access denied, an
endpoint without Glue), loglake cannot tell, so it refuses too, naming the flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loglake.catalog.athena_ddl import lake_location
from loglake.catalog.glue_names import checked_database
from loglake.errors import AthenaReadsTableError
from loglake.lake.clean_zone import table_prefix
from loglake.lake.iceberg import is_iceberg
from loglake.lake.store import Store

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
    for scheme in ("s3a://", "s3n://"):
        if uri.startswith(scheme):
            uri = "s3://" + uri[len(scheme) :]
    return uri if uri.endswith("/") else uri + "/"


def _covers(location: str, root: str) -> bool:
    """Whether a Glue location reads files under `root` (the table's prefix, a folder above it, or one of its
    partitions)."""
    if not location.strip():
        return False
    folder = _folder(location)
    return folder.startswith(root) or root.startswith(folder)


def _glue_tables(glue: Any, database: str) -> list[dict[str, Any]]:
    """Every table of `database` (none when the database does not exist); botocore's errors pass through."""
    from botocore.exceptions import ClientError

    found: list[dict[str, Any]] = []
    token = None
    while True:
        try:
            page = glue.get_tables(DatabaseName=database, **({"NextToken": token} if token else {}))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "EntityNotFoundException":
                return []
            raise
        found += page.get("TableList", [])
        token = page.get("NextToken")
        if not token:
            return found


def athena_reads(glue: Any, database: str, lake_uri: str, tables: list[str]) -> list[AthenaRead]:
    """The hive Glue tables of `database` over `tables` of the S3 lake at `lake_uri` (Iceberg Glue tables are
    read through their snapshot, so they are left out)."""
    roots = {table: f"{lake_location(lake_uri)}{table_prefix(table)}" for table in tables}
    reads = []
    for glue_table in _glue_tables(glue, database):
        parameters = glue_table.get("Parameters", {})
        if str(parameters.get("table_type", "")).upper() == "ICEBERG":
            continue
        locations = [glue_table.get("StorageDescriptor", {}).get("Location", ""), parameters.get(LOCATION_TEMPLATE, "")]
        for table, root in roots.items():
            where = next((loc for loc in locations if loc and _covers(str(loc), root)), None)
            if where is not None:
                reads.append(AthenaRead(table, f"{database}.{glue_table['Name']}", str(where)))
    return sorted(reads, key=lambda read: (read.table, read.glue_table))


def _reason(exc: Exception) -> str:
    """AWS's error code and message (as aws_calls.call_aws words them), or botocore's own, on one line."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        details = exc.response.get("Error", {})
        text = f"{details.get('Code')}: {details.get('Message', '')}"
    else:
        text = str(exc)
    return " ".join(text.split())[:300]


def check_not_read_by_athena(
    store: Store, lake_uri: str, tables: list[str], database: str, command: str, glue: Any = None
) -> None:
    """Refuse (AthenaReadsTableError) to compact `tables` when Athena reads one of their hive tables, or when
    Glue cannot say; `command` is the user's compact command, to which the message adds NOT_READ_FLAG."""
    checked_database(database)
    if not lake_uri.startswith("s3://"):
        return  # a local lake: Athena reads S3 only
    hive = [table for table in tables if not is_iceberg(store, table)]
    if not hive:
        return
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if glue is None:
            import boto3

            glue = boto3.client("glue")
        reads = athena_reads(glue, database, lake_uri, hive)
    except (BotoCoreError, ClientError) as exc:
        why = _reason(exc)
        raise AthenaReadsTableError(
            f"cannot tell whether Athena reads the hive tables {', '.join(hive)} of {lake_uri}: Glue GetTables on "
            f"database {database} failed ({why}); compacting them would make Athena count compacted events twice "
            f"until the replaced files are deleted. Give the database Athena reads them through (--database), or, "
            f"if Athena does not read this lake, run `{command} {NOT_READ_FLAG}` ({DOCS})"
        ) from None
    if not reads:
        return
    names = sorted({read.table for read in reads})
    first = reads[0]
    also = f" and {len(reads) - 1} more" if len(reads) > 1 else ""
    raise AthenaReadsTableError(
        f"hive table{'s' if len(names) > 1 else ''} {', '.join(names)} of this lake {'are' if len(names) > 1 else 'is'}"
        f" read by Athena (Glue table {first.glue_table} over {first.location}{also}): compacting would make Athena "
        "count compacted events twice until the replaced files are deleted. Make new tables Iceberg, which Athena "
        "compacts exactly once with OPTIMIZE (`loglake deploy --table-format iceberg`), or, if Athena does not "
        f"read this lake, run `{command} {NOT_READ_FLAG}` ({DOCS})"
    )
