"""Apache Iceberg tables (`table_format = "iceberg"`): the clean files the ETL writes, committed to an
Iceberg table instead of being found by listing, in the embedded mode with a catalog inside the lake.

    catalog     a pyiceberg SqlCatalog on SQLite, `<lake>/state/iceberg/catalog.db`; table `loglake.<table>`
                at `<lake>/clean/<table>/` (metadata in its `metadata/` folder, data files in dt=/hour=)
    marker      `state/iceberg/tables/<table>.json`: the table is Iceberg (readers and the ETL look here
                first, so a hive lake never imports pyiceberg)
    data files  written by DuckDB as today, plus typed dt (DATE) and hour (INTEGER) columns, named
                `<object id>-r<ms><hex>.parquet`: every run writes new names, so a committed file is never
                overwritten (its size and statistics are in the table's manifests)

One ETL run of one raw object is ONE Iceberg commit per table it touches (a transaction that deletes the rows
whose raw_object is the key, then adds the new files), with `loglake.raw_object`, `loglake.raw_version` and
`loglake.etl_version` in the snapshot summary. A retry of an identical run finds that summary and adds
nothing; a re-run of a changed object replaces its rows. Readers read the current snapshot's file list
(`live_files`), so every event is read exactly once by construction.

Concurrency: every commit to a table (ETL, compaction, expiry) holds the store's lease
`iceberg/<table>` (an flock on a local lake), so commits of parallel ETL workers are serialised while their
reads and writes run side by side; the catalog's compare-and-swap on the metadata location is the second
guard, and a lost race is retried on the fresh table.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson

from loglake.catalog.glue_names import checked_database, glue_database
from loglake.errors import ConfigError, InvariantError, StoreError
from loglake.lake import iceberg_files, skip_index
from loglake.lake.clean_zone import envelope, table_prefix
from loglake.lake.formats import format_of_key
from loglake.lake.formats.parquet import PARQUET
from loglake.lake.keys import CLEAN_PREFIX, STATE_PREFIX, clean_key, table_name
from loglake.lake.store import Store, glob_escape
from loglake.lake.table_bucket_store import S3TABLES
from loglake.sql_quoting import quote_identifier, sql_string

if TYPE_CHECKING:  # compaction imports this module; its result type is imported where it is made
    from loglake.lake.compaction import PartitionResult

TABLE_FORMATS = ("hive", "iceberg")
"""`hive`: Parquet (or JSON lines) files in dt=/hour= folders, read through compaction's live file list
(the default). `iceberg`: the same Parquet files committed to an Iceberg table."""
DEFAULT_TABLE_FORMAT = "hive"
EXTRA = "iceberg"
INSTALL = "pip install 'loglake[iceberg]'"
NAMESPACE = "loglake"
MARKER_PREFIX = f"{STATE_PREFIX}iceberg/tables/"
CATALOG_FILE = f"{STATE_PREFIX}iceberg/catalog.db"
LEASE_WAIT_S = 600.0
RAW_OBJECT = "loglake.raw_object"
RAW_VERSION = "loglake.raw_version"
ETL_VERSION = "loglake.etl_version"
OPERATION = "loglake.operation"
_COMMIT_ATTEMPTS = 5
_STAMPED = re.compile(r"(?:-r|/c-)(?P<ms>\d{13})[0-9a-f]{8}(?:-\d+)?\.parquet$")
_RUN = re.compile(r"/[0-9a-f]{24}-r\d{13}[0-9a-f]{8}(?:-\d+)?\.parquet$")
"""An ETL run's Iceberg data file (run_name)."""
_FOLDER = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})/hour=(\d{1,2})$")
PY_IO_IMPL = "py-io-impl"
FILE_IO = "loglake.lake.iceberg_io.LakeFileIO"
"""The FileIO of every catalog: no pyarrow, boto3 for S3 (lake/iceberg_io.py)."""
NAME_MAPPING = "schema.name-mapping.default"
TABLE_PROPERTIES = {
    "format-version": "2",
    # Full bounds for raw_object (not the default 16-character prefix, which every raw key shares), so a
    # re-run's delete reads only the files that can hold the object's rows.
    "write.metadata.metrics.column.raw_object": "full",
    "write.parquet.compression-codec": "zstd",
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "100",
}


def check_available(local: bool = True) -> None:
    """A one-line error naming the extra when pyiceberg (or, for a local lake's SQLite catalog, sqlalchemy)
    is missing. pyarrow is not needed: commits are built from DuckDB's footers (lake/iceberg_files.py)."""
    try:
        import pyiceberg  # noqa: F401

        if local:
            import sqlalchemy  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"table_format = 'iceberg' needs the {EXTRA} extra ({exc.name} is not installed): {INSTALL}"
        ) from None


def check_table_format(name: str, output_format: str) -> None:
    if name not in TABLE_FORMATS:
        raise ConfigError(f"table_format must be one of {list(TABLE_FORMATS)}, not {name!r}")
    if name == "iceberg" and output_format != "parquet":
        raise ConfigError(
            f"table_format = 'iceberg' writes Parquet: set output_format = 'parquet', not {output_format!r}"
        )


def marker_key(table: str) -> str:
    return f"{MARKER_PREFIX}{table_name(table)}.json"


_MARKERS: weakref.WeakKeyDictionary[Any, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()
"""store -> marker key -> the marker as read or written: a marker, once there, is never changed or removed
(_put_marker), so each is read once per store. An absence is not remembered (another worker may create it)."""


def _known_markers(store: Store) -> dict[str, dict[str, Any]] | None:
    try:
        return _MARKERS.setdefault(store, {})
    except TypeError:  # a store that cannot be weakly referenced: read every time
        return None


def forget_marker(store: Store, table: str) -> None:
    """Drop what this process remembers of `table`'s marker, so the next look reads it again: an operator
    deletes the marker of a table deleted in S3 Tables (docs/lake-layout.md), and a warm Lambda container
    that remembered it would otherwise fail every run."""
    known = _known_markers(store)
    if known is not None:
        known.pop(marker_key(table), None)
    forget = getattr(store, "forget", None)
    if forget is not None:
        forget(table_name(table))


def _marker_removed(store: Store, table: str) -> StoreError:
    return StoreError(
        f"the marker {marker_key(table)} of the Iceberg table {table!r} was deleted since this process read it; "
        "nothing committed: run the command again"
    )


def _missing_or_removed(store: Store, table: str) -> StoreError:
    """A catalog lookup found no table: the marker is read again (not the remembered copy), and only a marker
    still there is the table deleted in S3 Tables; one deleted since is said, and forgotten."""
    forget_marker(store, table)
    if in_s3tables(store, table):
        return _missing_from_s3tables(store, table)
    return _marker_removed(store, table)


def is_iceberg(store: Store, table: str) -> bool:
    """Whether `table` is an Iceberg table of this lake (a marker read before, or one stat or HEAD; no
    pyiceberg import)."""
    known = _known_markers(store)
    if known is not None and marker_key(table) in known:
        return True
    return store.exists(marker_key(table))


def marker_table(key: str) -> str | None:
    """The table whose marker `key` is, or None."""
    return key[len(MARKER_PREFIX) : -len(".json")] if key.startswith(MARKER_PREFIX) and key.endswith(".json") else None


def iceberg_tables(store: Store) -> list[str]:
    return sorted(t for k in store.list(MARKER_PREFIX) if (t := marker_table(k)) is not None)


def _root(store: Store) -> Path | None:
    """The folder of a local lake (the embedded catalog lives in it); None for an S3 lake."""
    root = getattr(store, "root", None) or getattr(getattr(store, "main", None), "root", None)
    return root if isinstance(root, Path) else None


def _base(store: Store) -> str:
    """What precedes a lake key in a data file's URI: file:///lake or s3://bucket/prefix."""
    root = _root(store)
    if root is not None:
        return _file_uri(root)
    # a lake with its own raw zone (a deployed stack): the lake's URI, not ZonedStore's description of both
    uri = str(getattr(getattr(store, "main", None), "uri", "") or getattr(store, "uri", ""))
    if not uri.startswith("s3://"):
        raise ConfigError(f"Iceberg tables need a local lake or an S3 lake, not {uri or store!r}")
    return uri.rstrip("/")


def _one_pyiceberg_thread() -> None:
    """Evaluate manifests on one thread. An overwrite in pyiceberg (0.12) maps the parent's manifests over a
    shared pool with one evaluator per partition spec, whose eval() keeps the manifest it evaluates in an
    attribute (_ManifestEvalVisitor): two threads can each test the other's partition summaries and leave out
    the manifest that holds a file to delete, and the re-run fails with "Missing required files to delete" (CI
    met that once). Scans evaluate manifests in one thread; a lake's table has few, small manifests, so one
    worker costs little."""
    from pyiceberg.utils.concurrent import ExecutorFactory

    os.environ["PYICEBERG_MAX_WORKERS"] = "1"  # pools made later (a new process) get one worker too
    if getattr(ExecutorFactory.get_or_create(), "_max_workers", 1) != 1:
        ExecutorFactory._instance = ThreadPoolExecutor(max_workers=1)


def catalog(store: Store, table: str | None = None) -> Any:
    """The catalog of `table` (of new tables when None): on a local lake the embedded one (pyiceberg
    SqlCatalog on SQLite in state/); on an S3 lake the Glue Data Catalog (lake/iceberg_glue.py), database
    $LOGLAKE_GLUE_DATABASE or `loglake`, or S3 Tables (lake/iceberg_s3tables.py) for a table whose marker says
    so, and for new tables when the lake is configured with a table bucket."""
    root = _root(store)
    check_available(local=root is not None)
    _one_pyiceberg_thread()
    if root is None and catalog_kind(store, table) == S3TABLES:
        from loglake.lake.iceberg_s3tables import s3tables_catalog

        bucket = str(getattr(store, "table_bucket_arn", ""))
        # an existing table's own bucket (the store refused a marker naming another: table_bucket_store.py)
        return s3tables_catalog(str(_marker(store, table).get("table_bucket_arn") or bucket) if table else bucket)
    if root is None:
        from loglake.lake.iceberg_glue import glue_catalog

        return glue_catalog(f"{_base(store)}/{CLEAN_PREFIX.rstrip('/')}")
    from pyiceberg.catalog.sql import SqlCatalog

    path = root / CATALOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    cat = SqlCatalog(
        NAMESPACE, uri=f"sqlite:///{path}", warehouse=_file_uri(root / CLEAN_PREFIX), **{PY_IO_IMPL: FILE_IO}
    )
    cat.create_namespace_if_not_exists(namespace(store))
    return cat


def catalog_kind(store: Store, table: str | None) -> str:
    """`s3tables` for a table in S3 Tables (its marker, or a new table of a lake with a table bucket), else
    the lake's own (sql or glue). A table in S3 Tables read without the table bucket configured is refused
    with the setting that fixes it."""
    bucket = getattr(store, "table_bucket_arn", None)
    own = "sql" if _root(store) is not None else "glue"
    if table is None:
        return S3TABLES if bucket is not None else own
    if bucket is None:
        if _root(store) is None:  # an S3 lake: the marker (read once per store) says where the table lives
            marker = _marker(store, table)
            if marker.get("catalog") == S3TABLES:
                raise ConfigError(
                    f"the Iceberg table {table!r} lives in S3 Tables ({marker.get('table_bucket_arn')}): "
                    'set [iceberg] catalog = "s3tables" and table_bucket_arn in loglake.toml '
                    "(or LOGLAKE_ICEBERG_CATALOG and LOGLAKE_TABLE_BUCKET_ARN)"
                )
        return own
    known = is_iceberg(store, table)  # first: a marker seen replaces the store's remembered absence
    if getattr(store, "warehouse")(table_name(table)) is not None:  # noqa: B009
        return S3TABLES
    return own if known else S3TABLES


def namespace(store: Store) -> str:
    """The catalog namespace of the lake's tables: `loglake` (on Glue: the database, $LOGLAKE_GLUE_DATABASE, a
    name checked as every loglake command checks it: glue_names.py)."""
    if _root(store) is None:
        return checked_database(glue_database())
    return NAMESPACE


def _file_uri(path: Path) -> str:
    """pyiceberg's file IO takes the path after file:// as is (no percent-decoding): dt=... stays dt=..."""
    return f"file://{path}"


def _marker(store: Store, table: str) -> dict[str, Any]:
    """`table`'s marker ({} when none): the store's remembered copy where it keeps one, else one read."""
    remembered = getattr(store, "marker", None)
    if remembered is not None:
        return cast(dict[str, Any], remembered(table))
    known = _known_markers(store)
    key = marker_key(table)
    if known is not None and key in known:
        return known[key]
    data, _version = store.read_versioned(key)
    marker = cast(dict[str, Any], orjson.loads(data)) if data else {}
    if marker and known is not None:
        known[key] = marker
    return marker


def s3tables_marker(store: Store, table: str) -> dict[str, Any] | None:
    """The marker of `table` when it lives in S3 Tables (its files in a warehouse that cannot be listed), read
    from the lake whatever the store's settings: a process opened without the table bucket (the scheduled
    conservation check, a laptop's CLI) must not take it for a table of the lake's own catalog."""
    if _root(store) is not None:
        return None  # S3 Tables needs an S3 lake (open.py)
    marker = _marker(store, table)
    return marker if marker.get("catalog") == S3TABLES else None


def in_s3tables(store: Store, table: str) -> bool:
    """Whether `table` lives in S3 Tables (its marker says so)."""
    return s3tables_marker(store, table) is not None


def _missing_from_s3tables(store: Store, table: str) -> StoreError:
    marker = _marker(store, table)
    return StoreError(
        f"the Iceberg table {table!r} is not in S3 Tables, though its marker {marker_key(table)} says it lives there "
        f"as {marker.get('identifier')} in {marker.get('table_bucket_arn')} (deleted there?): restore it "
        f"(aws s3tables get-table --table-bucket-arn {marker.get('table_bucket_arn')} --namespace "
        f"{namespace(store)} --name {table_name(table)}), or to start it over delete that marker and re-run "
        "`loglake etl --force` on its raw objects"
    )


def _warehouse(store: Store, table: str | None) -> Any:
    """The S3Store of the warehouse of a table in S3 Tables (lake/table_bucket_store.py), else None."""
    find = getattr(store, "warehouse", None)
    return find(table) if find is not None and table is not None else None


def _uri(store: Store, key: str) -> str:
    """A data file's URI: under the lake, or in its S3 Tables table's warehouse (lake/table_bucket_store.py)."""
    from loglake.lake.table_bucket_store import warehouse_key

    warehouse = _warehouse(store, table_of(key))
    return f"s3://{warehouse.bucket}/{warehouse_key(key)}" if warehouse is not None else f"{_base(store)}/{key}"


def _key(store: Store, uri: str, table: str) -> str:
    """The lake key of a data file of `table`. In S3 Tables any object of the table's warehouse: the service's
    own compaction writes its files under data/, which the lake names clean/<table>/@warehouse/data/..."""
    prefix = _base(store) + "/"
    if uri.startswith(prefix):
        return uri[len(prefix) :]
    warehouse = _warehouse(store, table)
    if warehouse is not None and uri.startswith(f"s3://{warehouse.bucket}/"):
        from loglake.lake.table_bucket_store import lake_key

        return lake_key(table_name(table), uri[len(f"s3://{warehouse.bucket}/") :])
    raise InvariantError(f"Iceberg data file {uri} of table {table!r} is outside the lake {prefix}")


def _load(store: Store, table: str) -> Any:
    return catalog(store, table).load_table((namespace(store), table_name(table)))


# --- the ETL's side ---------------------------------------------------------------------------------


def uses_iceberg(store: Store, table: str, table_format: str) -> bool:
    """Whether this run writes `table` as Iceberg: it is one already, or the setting makes new tables so.

    A table that already holds hive files is not converted silently: its files would vanish from readers."""
    if is_iceberg(store, table):
        return True
    if table_format != "iceberg":
        return False
    check_available(local=_root(store) is not None)
    # Files named as this module names them are another worker's, not yet committed (the table's first).
    # Hive files live only in the lake (not in an S3 Tables warehouse, which refuses listing): a table another
    # worker created in S3 Tables since is_iceberg looked must not fail this check.
    lake = getattr(store, "inner", store)
    hive = [k for k in lake.list(table_prefix(table)) if format_of_key(k) is not None and not _RUN.search(k)]
    if hive:
        raise ConfigError(
            f"clean table {table!r} already holds {len(hive)} parquet-hive files, and table_format = 'iceberg' "
            "applies to new tables: route these log groups to a new table ([etl] routes) or set "
            "table_format = 'hive'"
        )
    if catalog_kind(store, table) == S3TABLES:
        _create_in_s3tables(store, table)
    return True


def _create_in_s3tables(store: Store, table: str) -> None:
    """The S3 Tables table (without metadata yet) and its marker, before the ETL writes its first files: they
    go to the table's warehouse, which the service names only once the table exists. Readers see no
    snapshot until the first commit (data_files: none)."""
    cat = catalog(store, None)
    ident = (namespace(store), table_name(table))  # namespace() checks the name
    warehouse = cat.warehouse_location(ident)
    marker = {
        "catalog": S3TABLES,
        "identifier": ".".join(ident),
        "table_bucket_arn": cat.table_bucket_arn,
        "warehouse": warehouse,
    }
    _put_marker(store, table, marker)


def _put_marker(store: Store, table: str, marker: dict[str, str]) -> None:
    """Write `table`'s marker only where there is none: two workers creating the table write the same one; a
    marker that says otherwise (another catalog, bucket or warehouse) is never overwritten, and is refused."""
    key = marker_key(table)
    if store.put_if(key, orjson.dumps(marker), None):
        known = _known_markers(store)
        if known is not None:
            known[key] = marker
        return
    data, _version = store.read_versioned(key)
    found = orjson.loads(data) if data else None
    if found != marker:
        raise ConfigError(
            f"the Iceberg table {table!r} already has a marker {key} ({found}) other than this run's ({marker}): "
            "another loglake with other settings created it; open the lake with the settings that marker names"
        )


def run_name(object_id: str) -> str:
    """A new name per run: a committed file is never overwritten."""
    return f"{object_id}-r{int(time.time() * 1000):013d}{secrets.token_hex(4)}"


def write_files(con: Any, clean_query: str, tmp: Path, store: Store, table: str, object_id: str) -> list[str]:
    """The ETL's clean rows of one table as Parquet with typed dt and hour columns (Iceberg's partition
    source columns), put under clean/<table>/dt=/hour=; returns their keys (not yet committed)."""
    folder = tmp / "clean" / table
    folder.parent.mkdir(exist_ok=True)
    # Every column typed (Iceberg has no NULL type: a level no parser found is a NULL VARCHAR, not NULL).
    columns = envelope(table).items()
    typed = ", ".join(f"CAST({quote_identifier(n)} AS {t}) AS {quote_identifier(n)}" for n, t in columns)
    con.execute(
        f"COPY (SELECT * REPLACE ({typed}, CAST(dt AS DATE) AS dt, CAST(hour AS INTEGER) AS hour) "
        f"FROM ({clean_query})) "
        f"TO {sql_string(str(folder))} "
        f"({PARQUET.ingest_copy_options}, PARTITION_BY (dt, hour), WRITE_PARTITION_COLUMNS true)"
    )
    keys: list[str] = []
    if not folder.exists():
        return keys
    name = run_name(object_id)
    for partition in sorted({p.parent for p in folder.rglob("*") if p.is_file()}):
        match = _FOLDER.match(partition.relative_to(folder).as_posix())
        if match is None:
            raise InvariantError(f"unexpected partition folder {partition}")
        part = f"dt={match[1]}/hour={int(match[2]):02d}"
        for n, file in enumerate(sorted(f for f in partition.iterdir() if f.is_file())):
            key = clean_key(table, part, name if n == 0 else f"{name}-{n}", ".parquet")
            store.put_file(key, file)
            keys.append(key)
    return keys


def table_of(key: str) -> str | None:
    if not key.startswith(CLEAN_PREFIX):
        return None
    return key[len(CLEAN_PREFIX) :].split("/", 1)[0]


@dataclass(frozen=True)
class Commit:
    table: str
    committed: bool
    """False: an identical run had committed this object already; the new files were deleted unused."""
    files: int = 0


def commit_outputs(
    store: Store,
    raw_key: str,
    raw_version: str | None,
    etl_version: str,
    outputs: Sequence[str],
    previous: Any,
    *,
    force: bool,
) -> set[str]:
    """The ETL's commit step for Iceberg tables (those this run wrote, or an earlier run of the object did):
    returns the keys, new and earlier, that belong to Iceberg tables (the hive steps leave them alone)."""
    earlier: Sequence[str] = previous.outputs if previous is not None else ()
    written = {table_of(k) for k in outputs if _RUN.search(k)}
    before = set(previous.tables) if previous is not None else set()
    before |= {t for k in earlier if (t := table_of(k)) is not None}
    tables = {t for t in written if t is not None} | {t for t in before if is_iceberg(store, t)}
    if not tables:
        return set()
    commit_object(store, raw_key, raw_version, etl_version, outputs, tables, force=force)
    return {k for k in [*outputs, *earlier] if table_of(k) in tables}


def commit_object(
    store: Store,
    raw_key: str,
    raw_version: str | None,
    etl_version: str,
    outputs: Sequence[str],
    tables: Iterable[str],
    *,
    force: bool,
) -> list[Commit]:
    """One Iceberg commit per table of `tables` (the Iceberg ones this run wrote, and those an earlier run
    of the object wrote): delete the object's rows, add its new files. Idempotent per (key, version)."""
    commits = []
    for table in sorted(set(tables)):
        mine = sorted(k for k in outputs if table_of(k) == table)
        commits.append(_commit_table(store, table, raw_key, raw_version, etl_version, mine, force=force))
    return commits


def _commit_table(
    store: Store,
    table: str,
    raw_key: str,
    raw_version: str | None,
    etl_version: str,
    files: list[str],
    *,
    force: bool,
) -> Commit:
    from pyiceberg.exceptions import CommitFailedException

    props = {RAW_OBJECT: raw_key, RAW_VERSION: str(raw_version), ETL_VERSION: etl_version, OPERATION: "etl"}
    with _lease(store, table):
        for _attempt in range(_COMMIT_ATTEMPTS):
            tbl = _load_or_create(store, table, files)
            if tbl is None:
                return Commit(table, committed=False)  # nothing to add to a table that does not exist
            last = last_commit(tbl, raw_key)
            if not force and last is not None and (last[RAW_VERSION], last[ETL_VERSION]) == props_key(props):
                for key in files:  # never referenced: a retry of a run that committed
                    _delete(store, key)
                return Commit(table, committed=False)
            try:
                _transaction(store, tbl, table, raw_key, files, props)
            except CommitFailedException:
                continue  # the catalog's compare-and-swap lost (a writer outside the lease): again, on the fresh table
            return Commit(table, committed=True, files=len(files))
    raise StoreError(
        f"the Iceberg table {table!r} kept changing under its lease; nothing committed: run loglake etl again"
    )


def props_key(props: dict[str, str]) -> tuple[str, str]:
    return props[RAW_VERSION], props[ETL_VERSION]


def _transaction(store: Store, tbl: Any, table: str, raw_key: str, files: list[str], props: dict[str, str]) -> None:
    """One commit: the new files' columns added to the schema, the object's earlier rows removed (whole files
    whose rows are all the object's; a shared file rewritten by DuckDB without them), the new files added.
    Every entry is built from DuckDB's footers (lake/iceberg_files.py): no pyarrow."""
    import duckdb
    from pyiceberg.exceptions import ValidationError

    with tempfile.TemporaryDirectory(prefix="loglake-iceberg-") as tmp, contextlib.ExitStack() as stack:
        local = {k: str(stack.enter_context(store.local_file(k))) for k in files}
        con = duckdb.connect(config={"threads": 1, "temp_directory": str(Path(tmp) / "spill")})
        try:
            con.execute("SET TimeZone = 'UTC'")
            schema = iceberg_files.file_schema(con, list(local.values())) if files else None
            with tbl.transaction() as txn:
                if schema is not None:
                    try:
                        with txn.update_schema() as update:
                            update.union_by_name(schema)
                    except ValidationError as exc:
                        raise ConfigError(
                            f"Iceberg table {table!r} cannot take {raw_key}: {exc} (Iceberg promotes only "
                            "int->long, float->double and decimal precision; a widening to VARCHAR is refused). "
                            "Nothing committed: route these log groups to a new table ([etl] routes) or keep this "
                            "table as table_format = 'hive'"
                        ) from None
                metadata = txn.table_metadata
                removed, rewritten = _remove_object(store, con, tbl, table, metadata, raw_key, Path(tmp))
                added = rewritten + [
                    iceberg_files.data_file(con, local[k], _uri(store, k), Path(local[k]).stat().st_size, metadata)
                    for k in files
                ]
                if added and metadata.name_mapping() is None:  # readers of files without field ids (Athena)
                    txn.set_properties(**{NAME_MAPPING: metadata.schema().name_mapping.model_dump_json()})
                if removed:
                    with txn.update_snapshot(snapshot_properties=props).overwrite() as overwrite:
                        for entry in removed:
                            overwrite.delete_data_file(entry)
                        for entry in added:
                            overwrite.append_data_file(entry)
                elif added:
                    with txn.update_snapshot(snapshot_properties=props).fast_append() as append:
                        for entry in added:
                            append.append_data_file(entry)
        finally:
            con.close()


def _remove_object(
    store: Store, con: Any, tbl: Any, table: str, metadata: Any, raw_key: str, tmp: Path
) -> tuple[list[Any], list[Any]]:
    """The data files of the current snapshot that hold rows of `raw_key` (to delete), and the DataFiles of
    the rewrites of those that hold other rows too (to add). An ETL run's file holds one object's rows, so
    its raw_object bounds (full, TABLE_PROPERTIES) are both the key and it goes whole; a compacted file
    shared with other objects is read, and rewritten by DuckDB without the object's rows."""
    from pyiceberg.expressions import EqualTo

    removed: list[Any] = []
    rewritten: list[Any] = []
    if tbl.current_snapshot() is None:
        return removed, rewritten
    field = metadata.schema().find_field("raw_object")
    for task in tbl.scan(row_filter=cast(Any, EqualTo)("raw_object", raw_key)).plan_files():
        if task.delete_files:
            raise InvariantError(
                f"Iceberg table has delete files (merge-on-read, written by another engine) next to "
                f"{task.file.file_path}; nothing committed: rewrite the table (Athena OPTIMIZE ... REWRITE DATA) first"
            )
        entry = task.file
        low, high = entry.lower_bounds.get(field.field_id), entry.upper_bounds.get(field.field_id)
        only = raw_key.encode()
        if low == only and high == only and entry.null_value_counts.get(field.field_id) == 0:
            removed.append(entry)
            continue
        key = _key(store, entry.file_path, table)
        with store.local_file(key) as path:
            source = f"read_parquet({sql_string(glob_escape(str(path)))}, hive_partitioning = false)"
            mine, total = con.execute(
                f"SELECT count(*) FILTER (WHERE raw_object = {sql_string(raw_key)}), count(*) FROM {source}"
            ).fetchall()[0]
            if mine == 0:
                continue
            removed.append(entry)
            if mine == total:
                continue
            name = f"c-{int(time.time() * 1000):013d}{secrets.token_hex(4)}"
            out = tmp / f"{name}.parquet"
            (kept,) = con.execute(
                f"COPY (SELECT * FROM {source} WHERE raw_object IS DISTINCT FROM {sql_string(raw_key)}) "
                f"TO {sql_string(str(out))} (FORMAT parquet, COMPRESSION zstd)"
            ).fetchall()[0]
        if kept != total - mine:
            raise InvariantError(f"{key}: kept {kept} of {total} rows, not {total - mine}; nothing committed")
        new_key = f"{key.rsplit('/', 1)[0]}/{name}.parquet"
        store.put_file(new_key, out)
        skip_index.write_for_all(store, [new_key])
        rewritten.append(iceberg_files.data_file(con, str(out), _uri(store, new_key), out.stat().st_size, metadata))
    return removed, rewritten


def _files_schema(store: Store, files: list[str]) -> Any:
    """The union of the new files' schemas (each has the columns its rows had), as DuckDB reads them."""
    import duckdb

    if not files:
        return None
    with contextlib.ExitStack() as stack:
        paths = [str(stack.enter_context(store.local_file(k))) for k in files]
        con = duckdb.connect(config={"threads": 1})
        try:
            return iceberg_files.file_schema(con, paths)
        finally:
            con.close()


def _load_or_create(store: Store, table: str, files: list[str]) -> Any:
    from pyiceberg.exceptions import NoSuchTableError

    cat = catalog(store, table)
    ident = (namespace(store), table_name(table))
    try:
        return cat.load_table(ident)
    except NoSuchTableError as exc:
        if _warehouse(store, table) is not None and type(exc) is NoSuchTableError:
            raise _missing_or_removed(store, table) from None  # never a new table in another warehouse
        if not files:
            return None
    warehouse = _warehouse(store, table)
    if warehouse is None:  # before anything is created: a marker naming another table is refused
        _check_marker_names(store, table, "sql" if _root(store) is not None else "glue", ".".join(ident))
    cat.create_namespace_if_not_exists(ident[0])  # on Glue: the database
    schema = _files_schema(store, files)
    location = f"s3://{warehouse.bucket}" if warehouse is not None else _uri(store, table_prefix(table).rstrip("/"))
    txn = cat.create_table_transaction(ident, schema=schema, location=location, properties=TABLE_PROPERTIES)
    with txn.update_spec() as spec:
        spec.add_identity("dt")
        spec.add_identity("hour")
    txn.commit_transaction()
    if warehouse is None:  # a table in S3 Tables has had its marker since before its first files
        kind = "sql" if _root(store) is not None else "glue"
        _put_marker(store, table, {"catalog": kind, "identifier": ".".join(ident)})
    return cat.load_table(ident)


def _check_marker_names(store: Store, table: str, kind: str, identifier: str) -> None:
    """A table whose marker names another catalog table (a CLI run with another LOGLAKE_GLUE_DATABASE) is
    refused before a stray table is created there and rows committed to it."""
    marker = _marker(store, table)
    if marker and (marker.get("catalog"), marker.get("identifier")) != (kind, identifier):
        raise ConfigError(
            f"the Iceberg table {table!r} is {marker.get('catalog')}:{marker.get('identifier')} (its marker "
            f"{marker_key(table)}), not {kind}:{identifier} as this run would create it; nothing created: open "
            "the lake with the settings that marker names (LOGLAKE_GLUE_DATABASE for a Glue database)"
        )


def last_commit(tbl: Any, raw_key: str) -> dict[str, str] | None:
    """The summary of the newest snapshot (of the current history) that committed `raw_key`."""
    from pyiceberg.table.snapshots import ancestors_of

    for snapshot in ancestors_of(tbl.current_snapshot(), tbl.metadata):
        summary = snapshot.summary.additional_properties if snapshot.summary is not None else {}
        if summary.get(RAW_OBJECT) == raw_key and summary.get(OPERATION) == "etl":
            return {RAW_VERSION: str(summary.get(RAW_VERSION)), ETL_VERSION: str(summary.get(ETL_VERSION))}
    return None


@contextlib.contextmanager
def _lease(store: Store, table: str) -> Iterator[None]:
    with store.lease(f"iceberg/{table_name(table)}", wait=LEASE_WAIT_S) as held:
        if not held:
            raise StoreError(
                f"another commit to the Iceberg table {table!r} held it for {LEASE_WAIT_S:.0f} s; "
                "nothing committed: run the command again"
            )
        yield


def _delete(store: Store, key: str) -> None:
    """A file loglake named (stamped, `-r<ms>`/`c-<ms>`), its index first: a run killed between the two leaves
    the file, which the next expiry deletes (it lists files and goes by the stamp); the other way round an index
    with no file would stay for good. Unstamped files (pyiceberg's, Athena's) have no index: expire deletes
    only the file. A table in S3 Tables keeps the file: its storage refuses DeleteObject, and the service's
    unreferenced-file removal deletes files no snapshot references."""
    skip_index.delete_for(store, key)
    if not in_s3tables(store, table_of(key) or ""):
        store.delete(key)


# --- readers ----------------------------------------------------------------------------------------


def _partition_dir(partition: Any) -> str:
    day, hour = partition[0], partition[1]
    if isinstance(day, int):
        day = date(1970, 1, 1) + timedelta(days=day)
    return f"dt={day}/hour={int(hour):02d}"


def data_files(store: Store, table: str) -> list[tuple[str, str, int, int]]:
    """(key, 'dt=D/hour=HH', rows, bytes) of every data file of the current snapshot."""
    from pyiceberg.exceptions import NoSuchTableError

    from loglake.lake.iceberg_s3tables import NoMetadataYetError

    try:
        tbl = _load(store, table)
    except NoMetadataYetError:
        return []  # in S3 Tables, created before its first commit
    except NoSuchTableError:
        if _warehouse(store, table) is None:
            raise
        raise _missing_or_removed(store, table) from None
    found = []
    for task in tbl.scan().plan_files():
        if task.delete_files:
            raise InvariantError(
                f"Iceberg table {table!r} has delete files (merge-on-read, written by another engine), which "
                "DuckDB's reader cannot apply: rewrite the table (Athena OPTIMIZE ... REWRITE DATA) first"
            )
        f = task.file
        key = _key(store, f.file_path, table)
        found.append((key, _partition_dir(f.partition), f.record_count, f.file_size_in_bytes))
    return sorted(found)


def live_files(store: Store, table: str, keep: Callable[[str], bool] | None = None) -> list[str]:
    """The current snapshot's data files: what every reader of an Iceberg table reads. `keep` (a filter from
    query pruning) sees each file's real key, the one its skip index is of; the engine's partition filter
    takes an Iceberg file's partition from the snapshot (query/engine.py), not from its path."""
    return [key for key, _part, _rows, _bytes in data_files(store, table) if keep is None or keep(key)]


# --- compaction and expiry --------------------------------------------------------------------------


def compact(
    store: Store,
    table: str,
    *,
    older_than_s: float,
    target_bytes: int,
    grace_s: float,
    now: datetime | None = None,
) -> list[PartitionResult]:
    """Closed partitions with more than one file, rewritten into files of `target_bytes` by ONE replace
    commit each (the inputs' entries deleted, the outputs' added); then snapshots older than `grace_s`
    expire and the data files no retained snapshot references are deleted."""
    from loglake.lake.compaction import PartitionResult

    refuse_maintenance(store, table, "loglake compact")
    now = now or datetime.now(UTC)
    results = []
    with _lease(store, table):
        by_part: dict[str, list[tuple[str, int, int]]] = {}
        for key, part, rows, size in data_files(store, table):
            by_part.setdefault(part, []).append((key, rows, size))
        for part, files in sorted(by_part.items()):
            day, hour = part[3:13], int(part[-2:])
            end = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=hour + 1)
            if (now - end).total_seconds() < older_than_s:
                continue
            result = PartitionResult(table, part)
            if len(files) < 2:
                result.status = "nothing"
            else:
                _compact_partition(store, table, part, files, target_bytes, result)
            results.append(result)
        deleted = expire(store, table, grace_s, locked=True)
    if results:
        results[-1].deleted += deleted
    elif deleted:
        results.append(PartitionResult(table, "", deleted=deleted, status="nothing"))
    return results


def _compact_partition(
    store: Store, table: str, part: str, files: list[tuple[str, int, int]], target_bytes: int, result: PartitionResult
) -> None:
    import duckdb

    tbl = _load(store, table)
    expected = sum(rows for _k, rows, _s in files)
    name = f"c-{int(time.time() * 1000):013d}{secrets.token_hex(4)}"
    prefix = f"{table_prefix(table)}{part}/"
    written: list[str] = []
    entries: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="loglake-compact-") as tmp, contextlib.ExitStack() as stack:
        paths = [glob_escape(str(stack.enter_context(store.local_file(k)))) for k, _r, _s in files]
        con = duckdb.connect(config={"threads": 1, "temp_directory": str(Path(tmp) / "spill")})
        try:
            con.execute("SET TimeZone = 'UTC'")
            columns = [f.name for f in tbl.schema().fields]
            out = Path(tmp) / name
            source = f"read_parquet([{', '.join(sql_string(p) for p in paths)}], union_by_name = true)"
            present = {str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
            types = {f.name: _duck_type(f.field_type) for f in tbl.schema().fields}
            items = ", ".join(
                f"CAST({_q(c) if c in present else 'NULL'} AS {types[c]}) AS {_q(c)}" if types[c] else _q(c)
                for c in columns
            )
            (rows,) = con.execute(
                f"COPY (SELECT {items} FROM {source} ORDER BY timestamp, log_group, event_id) TO "
                f"{sql_string(str(out))} (FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES {int(target_bytes)})"
            ).fetchall()[0]
        finally:
            con.close()
        if rows != expected:
            raise InvariantError(f"{prefix}: read {expected} rows but wrote {rows}; nothing committed")
        outs = sorted(out.iterdir(), key=lambda p: int(re.sub(r"\D", "", p.name) or 0))
        con = duckdb.connect(config={"threads": 1})
        local: dict[str, Path] = {}
        try:
            for n, file in enumerate(f for f in outs if f.stat().st_size > 0):
                key = f"{prefix}{name}{'' if n == 0 else f'-{n}'}.parquet"
                store.put_file(key, file)
                written.append(key)
                local[key] = file
                entries.append(
                    iceberg_files.data_file(con, str(file), _uri(store, key), file.stat().st_size, tbl.metadata)
                )
        finally:
            con.close()
        # Before the commit, as the ETL does: a run killed after it would leave a live file that search reads
        # whole for as long as it lives; killed before it, the index goes with its uncommitted file (expire).
        skip_index.write_for_all(store, written, paths=local)
    inputs = {_uri(store, k) for k, _r, _s in files}
    props = {OPERATION: "compact"}
    with tbl.transaction() as txn, txn.update_snapshot(snapshot_properties=props).overwrite() as rewrite:
        for task in tbl.scan().plan_files():
            if task.file.file_path in inputs:
                rewrite.delete_data_file(task.file)
        for entry in entries:
            rewrite.append_data_file(entry)
    result.inputs, result.outputs, result.rows = len(files), len(written), int(rows)
    result.input_bytes = sum(s for _k, _r, s in files)


def _q(name: str) -> str:
    return quote_identifier(name)


def _duck_type(field_type: Any) -> str | None:
    """DuckDB's name for an Iceberg primitive (the table's type after promotions); None: keep the file's."""
    names = {
        "int": "INTEGER",
        "long": "BIGINT",
        "float": "FLOAT",
        "double": "DOUBLE",
        "string": "VARCHAR",
        "boolean": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
    }
    return names.get(str(field_type))


def refuse_maintenance(store: Store, table: str, what: str) -> None:
    """S3 Tables compacts, expires snapshots and deletes unreferenced files itself (and its storage cannot be
    listed, which loglake's expiry needs): loglake's own maintenance of such a table is refused."""
    if _warehouse(store, table) is not None:
        raise ConfigError(
            f"{what} refused: the Iceberg table {table!r} lives in S3 Tables, which compacts it, expires its "
            "snapshots and deletes unreferenced files itself (aws s3tables get-table-maintenance-configuration)"
        )


def expire(store: Store, table: str, grace_s: float, *, locked: bool = False) -> int:
    """Expire snapshots older than `grace_s` (never the current one), then delete the data files that no
    retained snapshot references, adds or removes: a file removed less than `grace_s` ago stays, for a
    reader that planned its scan before. Files no commit made yet (an ETL run writing) are younger than
    `grace_s` by the time in their name and stay too. A file loglake did not name is deleted only where the
    metadata shows it committed, then removed before the cutoff (pyiceberg's rewrites of a re-drive): Athena's
    OPTIMIZE writes its outputs before it commits them, and orphans of its own are Athena VACUUM's business.
    Returns the files deleted."""
    refuse_maintenance(store, table, "expiry")
    with contextlib.nullcontext() if locked else _lease(store, table):
        tbl = _load(store, table)
        # Snapshots taken at the cutoff's millisecond or before expire (with no grace: all but the current).
        cutoff = datetime.now(UTC) - timedelta(seconds=grace_s)
        cutoff_ms = int(cutoff.timestamp() * 1000)
        if any(s.timestamp_ms <= cutoff_ms for s in tbl.metadata.snapshots):
            tbl.maintenance.expire_snapshots().older_than(cutoff + timedelta(milliseconds=1)).commit()
            tbl = _load(store, table)
        from pyiceberg.manifest import ManifestEntryStatus

        taken_at = {s.snapshot_id: s.timestamp_ms for s in tbl.metadata.snapshots}
        referenced: set[str] = set()
        removed: set[str] = set()
        for snapshot in tbl.metadata.snapshots:
            for manifest in snapshot.manifests(tbl.io):
                for entry in manifest.fetch_manifest_entry(tbl.io, discard_deleted=False):
                    removed_at = (
                        taken_at.get(entry.snapshot_id, 0) if entry.status == ManifestEntryStatus.DELETED else None
                    )
                    if removed_at is None or removed_at > cutoff_ms:
                        referenced.add(entry.data_file.file_path)  # live, or removed within the grace period
                    else:
                        removed.add(entry.data_file.file_path)  # committed, then removed before the cutoff
        referenced_keys = {_key(store, uri, table) for uri in referenced}
        removed_keys = {_key(store, uri, table) for uri in removed} - referenced_keys
        deleted = 0
        for key in list(store.list(table_prefix(table))):
            if not key.endswith(".parquet") or key in referenced_keys or "/metadata/" in key:
                continue
            stamped = _STAMPED.search(key)
            if stamped is None and key not in removed_keys:
                # Not named by loglake (pyiceberg's rewrites, Athena's OPTIMIZE: its outputs exist before its
                # commit) and not seen committed then removed: left alone, orphans are Athena VACUUM's business.
                continue
            if stamped is not None and int(stamped["ms"]) > cutoff_ms:
                continue  # young: an uncommitted run's, or removed within the grace period
            if stamped is None:
                store.delete(key)  # not loglake's file: it has no skip index (a kill here leaves nothing behind)
            else:
                _delete(store, key)
            deleted += 1
    return deleted


def snapshot_summaries(store: Store, table: str) -> list[dict[str, str]]:
    """Every retained snapshot's summary, oldest first (what `loglake` recorded per commit)."""
    tbl = _load(store, table)
    return [dict(s.summary.additional_properties, operation=str(s.summary.operation.value)) for s in tbl.snapshots()]
