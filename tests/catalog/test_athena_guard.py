"""`loglake compact` refuses a hive table Athena reads (catalog/athena_guard.py), against a moto server over
HTTP: Athena reads a hive table's whole hour prefix, so it would count compacted events twice until the
replaced files are deleted. Before, the compaction ran and exited 0 (a silent wrong count on Athena)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from conftest import CliRun, write_messages
from loglake.catalog.athena_guard import AthenaRead, athena_reads, check_not_read_by_athena
from loglake.catalog.glue_sync import GlueCatalog
from loglake.errors import AthenaReadsTableError
from loglake.lake.compaction import RECORD_PREFIX, live_files
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings

LAKE = "s3://loglake-test/lake"
HOUR = "clean/logs/dt=2025-11-28/hour=00/"
COMPACT = ("compact", "--lake", LAKE, "--older-than", "0", "--grace", "0")
FIX = "`loglake compact --lake s3://loglake-test/lake --older-than 0 --grace 0 --not-read-by-athena`"
REFUSED = (
    "error: table logs of this lake is read by Athena as hive (Glue table loglake.logs over "
    "s3://loglake-test/lake/clean/logs/): compacting would make Athena count compacted events twice until the "
    "replaced files are deleted. Make new tables Iceberg, which Athena compacts exactly once with OPTIMIZE "
    f"(`loglake deploy --table-format iceberg`), or, if Athena does not read this lake, run {FIX} "
    '(docs/lake-layout.md, "Compaction and Athena"). Nothing was compacted\n'
)
NO_DATABASE = (
    "error: Glue database {db} does not exist in us-east-1, so loglake cannot tell whether Athena reads the "
    "tables logs of s3://loglake-test/lake (it checks that one database): pass the one Athena reads with "
    "--database (default: $LOGLAKE_GLUE_DATABASE, then loglake.toml's [athena] database, then loglake), or, if "
    f'Athena does not read this lake, run {FIX} (docs/lake-layout.md, "Compaction and Athena"). Nothing was '
    "compacted\n"
)
COMPACTED = "compacted 1 table-hours: 2 files into 1 (5 rows); deleted 2 replaced files\n"


def _fill(lake: Lake, settings: EtlSettings | None = None) -> None:
    """Two raw objects (3 and 2 events) in one hour: two clean files there, for compaction to merge."""
    write_messages(lake.store, "/app", ['{"n": 1}', '{"n": 2}', '{"n": 3}'], id_prefix="a", stream="a")
    write_messages(lake.store, "/app", ['{"n": 4}', '{"n": 5}'], id_prefix="b", stream="b")
    run_etl(lake, pending_raw_objects(lake), settings or EtlSettings(), workers=1)


def _counts(lake: Lake) -> tuple[int, int]:
    with DuckDBEngine(lake.store) as engine:
        [(rows, distinct)] = engine.query("SELECT count(*), count(DISTINCT event_id) FROM logs").rows
    return int(rows), int(distinct)


def test_a_hive_table_registered_in_glue_is_refused_and_compacts_with_the_flag(s3_lake: Lake, run_cli: CliRun) -> None:
    _fill(s3_lake)
    GlueCatalog("loglake").sync(s3_lake.store, LAKE)
    before = sorted(s3_lake.store.list(HOUR))
    assert len(before) == 2

    assert run_cli(*COMPACT) == (1, "", REFUSED)
    assert sorted(s3_lake.store.list(HOUR)) == before  # nothing written, nothing committed
    assert list(s3_lake.store.list(RECORD_PREFIX)) == []
    code, out, err = run_cli(*COMPACT, "--table", "logs", "--rewrite-stale", "--target-size", "1MB")
    assert (code, out) == (1, "")
    fix = (
        "`loglake compact --lake s3://loglake-test/lake --table logs --older-than 0 --target-size 1MB --grace 0 "
        "--rewrite-stale --not-read-by-athena`"
    )
    assert f"read this lake, run {fix} (docs/lake-layout.md" in err  # every option given, before: only --table
    # The database Athena reads through is the one checked: another one holds no table over the lake.
    boto3.client("glue").create_database(DatabaseInput={"Name": "elsewhere"})
    assert run_cli(*COMPACT, "--database", "elsewhere") == (0, COMPACTED, "")


def test_the_flag_compacts_a_registered_hive_table(s3_lake: Lake, run_cli: CliRun) -> None:
    _fill(s3_lake)
    GlueCatalog("loglake").sync(s3_lake.store, LAKE)

    assert run_cli(*COMPACT, "--not-read-by-athena") == (0, COMPACTED, "")
    assert len(live_files(s3_lake.store, "logs")) == 1
    assert _counts(s3_lake) == (5, 5)


def test_an_s3_lake_no_glue_table_reads_compacts(s3_lake: Lake, run_cli: CliRun) -> None:
    _fill(s3_lake)
    # A Glue database with no table, then one whose `logs` table is another lake's.
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    assert run_cli(*COMPACT) == (0, COMPACTED, "")
    write_messages(s3_lake.store, "/app", ['{"n": 6}'], id_prefix="c", stream="c")
    run_etl(s3_lake, pending_raw_objects(s3_lake), EtlSettings(), workers=1)
    GlueCatalog("loglake").sync(s3_lake.store, "s3://another-bucket/lake")
    assert run_cli(*COMPACT) == (0, "compacted 1 table-hours: 2 files into 1 (6 rows); deleted 2 replaced files\n", "")
    assert _counts(s3_lake) == (6, 6)


def test_an_iceberg_table_in_glue_compacts(s3_lake: Lake, run_cli: CliRun) -> None:
    """Athena reads an Iceberg table through its snapshot: its compaction is one commit, read exactly once."""
    _fill(s3_lake, EtlSettings(table_format="iceberg"))
    glue_table = boto3.client("glue").get_table(DatabaseName="loglake", Name="logs")["Table"]
    assert glue_table["Parameters"]["table_type"] == "ICEBERG"

    code, out, err = run_cli(*COMPACT[:-1], "15m")

    assert (code, err) == (0, "")
    assert out.startswith("compacted 1 table-hours: 2 files into 1 (5 rows)")
    assert len(live_files(s3_lake.store, "logs")) == 1
    assert _counts(s3_lake) == (5, 5)


def test_a_local_lake_compacts_whatever_glue_holds(lake: Lake, aws: str, run_cli: CliRun) -> None:
    _fill(lake)
    GlueCatalog("loglake").sync(lake.store, LAKE)  # a table over some S3 lake: not this one
    code, out, err = run_cli("compact", "--lake", str(lake.store.uri), "--older-than", "0", "--grace", "0")
    assert (code, out, err) == (0, COMPACTED, "")


def test_which_glue_locations_read_a_table(aws: str) -> None:
    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": "db"})
    tables = {
        "no_slash": ({"Location": "s3://loglake-test/lake/clean/logs"}, {}),
        "upper_scheme": ({"Location": "S3://loglake-test/lake/clean/logs/"}, {}),
        "s3a": ({"Location": "s3a://loglake-test/lake/clean/logs/"}, {}),
        "lake_root": ({"Location": "s3://loglake-test/lake/"}, {}),
        "one_hour": ({"Location": "s3://loglake-test/lake/clean/logs/dt=2025-11-28/hour=00/"}, {}),
        "projection": (
            {"Location": "s3://elsewhere/x/"},
            {"storage.location.template": "s3://loglake-test/lake/clean/logs/dt=${dt}/hour=${hour}/"},
        ),
        "sibling": ({"Location": "s3://loglake-test/lake/clean/logs_v2/"}, {}),
        "other_lake": ({"Location": "s3://loglake-test/lake2/clean/logs/"}, {}),
        "raw": ({"Location": "s3://loglake-test/lake/raw/"}, {}),
        "iceberg": ({"Location": "s3://loglake-test/lake/clean/logs"}, {"table_type": "ICEBERG"}),
    }
    for name, (descriptor, parameters) in tables.items():
        glue.create_table(
            DatabaseName="db", TableInput={"Name": name, "StorageDescriptor": descriptor, "Parameters": parameters}
        )

    reads = athena_reads(glue, "db", LAKE, ["logs", "waf"])

    assert [(r.table, r.glue_table) for r in reads] == [
        ("logs", "db.lake_root"),
        ("logs", "db.no_slash"),
        ("logs", "db.one_hour"),
        ("logs", "db.projection"),
        ("logs", "db.s3a"),
        ("logs", "db.upper_scheme"),
        ("waf", "db.lake_root"),
    ]
    assert reads[3] == AthenaRead("logs", "db.projection", "s3://loglake-test/lake/clean/logs/dt=${dt}/hour=${hour}/")
    assert athena_reads(glue, "missing_db", LAKE, ["logs"]) is None  # not "no table": cannot tell


@pytest.fixture
def glue_refuses(moto_auth_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Glue at a server that refuses the credentials (as AWS refuses a caller without glue:GetTables)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_GLUE", moto_auth_endpoint)
    yield


def test_a_glue_that_cannot_answer_refuses_with_the_flag(s3_lake: Lake, glue_refuses: None, run_cli: CliRun) -> None:
    _fill(s3_lake)

    code, out, err = run_cli(*COMPACT)

    assert (code, out) == (1, "")
    assert err.startswith(
        "error: cannot tell whether Athena reads the tables logs of s3://loglake-test/lake as hive tables: Glue "
        "refused get_tables: 403: "
    )
    assert "The security token included in the request is invalid.</Message>" in err
    assert "</ErrorResponse> (Glue database loglake); compacting them would" in err
    assert err.endswith(
        "Give the database Athena reads them through (--database), or, if Athena does not read this lake, run "
        f'{FIX} (docs/lake-layout.md, "Compaction and Athena"). Nothing was compacted\n'
    )
    assert len(list(s3_lake.store.list(HOUR))) == 2
    assert run_cli(*COMPACT, "--not-read-by-athena") == (0, COMPACTED, "")


def test_the_refusal_names_every_table_athena_reads(s3_lake: Lake) -> None:
    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": "logs_db"})
    for name in ("waf", "logs"):
        descriptor = {"Location": f"s3://loglake-test/lake/clean/{name}/"}
        glue.create_table(DatabaseName="logs_db", TableInput={"Name": name, "StorageDescriptor": descriptor})

    with pytest.raises(AthenaReadsTableError) as refused:
        check_not_read_by_athena(LAKE, ["logs", "waf", "vpc"], "logs_db", "loglake compact", glue)

    assert str(refused.value).startswith(
        "tables logs, waf of this lake are read by Athena as hive (Glue table logs_db.logs over "
        "s3://loglake-test/lake/clean/logs/ and 1 more): compacting would make Athena count"
    )
    assert str(refused.value).endswith(
        'run `loglake compact --not-read-by-athena` (docs/lake-layout.md, "Compaction and Athena")'
    )
    check_not_read_by_athena(LAKE, ["vpc"], "logs_db", "loglake compact", glue)  # not read: no error


def test_the_stacks_database_from_the_environment_is_the_one_checked(
    s3_lake: Lake, run_cli: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stack deployed with GlueDatabase=prod: its functions and a shell with $LOGLAKE_GLUE_DATABASE=prod use prod.
    Before, compact checked `loglake` (no such database: "no tables") and compacted a table Athena reads."""
    _fill(s3_lake)
    GlueCatalog("prod").sync(s3_lake.store, LAKE)
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "prod")

    assert run_cli(*COMPACT) == (1, "", REFUSED.replace("loglake.logs", "prod.logs"))
    assert len(list(s3_lake.store.list(HOUR))) == 2


def test_a_database_that_does_not_exist_refuses(s3_lake: Lake, run_cli: CliRun) -> None:
    """Before, a missing database was "no tables" and the compaction ran: a silent double count on Athena."""
    _fill(s3_lake)
    GlueCatalog("prod").sync(s3_lake.store, LAKE)  # where Athena reads it; the default `loglake` does not exist

    assert run_cli(*COMPACT) == (1, "", NO_DATABASE.format(db="loglake"))
    assert len(list(s3_lake.store.list(HOUR))) == 2
    assert list(s3_lake.store.list(RECORD_PREFIX)) == []
    assert run_cli(*COMPACT, "--database", "prod")[0] == 1


def test_a_refusal_still_deletes_what_earlier_compactions_replaced(s3_lake: Lake, run_cli: CliRun) -> None:
    """A lake compacted once with the flag (or before the guard) keeps its replaced inputs until a run deletes
    them, and only compact does: refused, it still deletes them past the grace, and says so. Before, every run
    was refused first and Athena counted those files twice for good."""
    _fill(s3_lake)
    GlueCatalog("loglake").sync(s3_lake.store, LAKE)
    kept = ("compacted 1 table-hours: 2 files into 1 (5 rows); deleted 0 replaced files\n", "")
    assert run_cli(*COMPACT[:-1], "1h", "--not-read-by-athena") == (0, *kept)
    first = sorted(s3_lake.store.list(HOUR))[0]
    orphan = f"{HOUR}c-0000000000000deadbeef.parquet"  # a crashed run's output, never committed
    s3_lake.store.put(orphan, s3_lake.store.get(first))
    assert len(list(s3_lake.store.list(HOUR))) == 4  # 2 inputs (replaced), 1 compacted, 1 orphan

    code, out, err = run_cli(*COMPACT[:-1], "1h")

    assert (code, out) == (1, "")
    assert err.endswith(
        "Nothing was compacted; it deleted 1 files earlier compactions replaced, which Athena counted twice; "
        "2 more such files are within the grace (or wait for a re-drive): `loglake compact --lake "
        "s3://loglake-test/lake --older-than 0` deletes them once --grace (1h) has passed\n"
    )
    assert len(list(s3_lake.store.list(HOUR))) == 3
    assert run_cli(*COMPACT) == (
        1,
        "",
        REFUSED[:-1] + "; it deleted 2 files earlier compactions replaced, which Athena counted twice\n",
    )
    [left] = s3_lake.store.list(HOUR)
    assert left.startswith(f"{HOUR}c-") and left != orphan
    assert live_files(s3_lake.store, "logs") == [left]
    assert _counts(s3_lake) == (5, 5)
    assert run_cli(*COMPACT) == (1, "", REFUSED)  # nothing left to delete


class _PagedGlue:
    """GetTables in two pages, the table over the lake on the second only (AWS pages at 100 tables)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []

    def get_tables(self, **kwargs: str) -> dict[str, object]:
        self.calls.append(kwargs)
        if "NextToken" not in kwargs:
            other = {"Name": "other", "StorageDescriptor": {"Location": "s3://elsewhere/clean/logs/"}}
            return {"TableList": [other], "NextToken": "page2"}
        ours = {"Name": "logs", "StorageDescriptor": {"Location": f"{LAKE}/clean/logs/"}}
        return {"TableList": [ours]}


def test_every_page_of_glue_tables_is_read() -> None:
    glue = _PagedGlue()

    assert athena_reads(glue, "db", LAKE, ["logs"]) == [AthenaRead("logs", "db.logs", f"{LAKE}/clean/logs/")]
    assert glue.calls == [{"DatabaseName": "db"}, {"DatabaseName": "db", "NextToken": "page2"}]


def test_an_iceberg_table_a_hive_glue_table_reads_is_refused(s3_lake: Lake, run_cli: CliRun) -> None:
    """A hive Glue table over an Iceberg table's prefix reads every file there, replaced ones included. Before,
    Iceberg tables were compacted without looking at Glue."""
    _fill(s3_lake, EtlSettings(table_format="iceberg"))
    descriptor = {"Location": "s3://loglake-test/lake/clean/logs/"}
    boto3.client("glue").create_table(
        DatabaseName="loglake", TableInput={"Name": "hive", "StorageDescriptor": descriptor}
    )

    code, out, err = run_cli(*COMPACT[:-1], "15m")

    assert (code, out) == (1, "")
    assert err.startswith("error: table logs of this lake is read by Athena as hive (Glue table loglake.hive over ")
    assert len(live_files(s3_lake.store, "logs")) == 2


def test_a_local_lake_compacts_whatever_its_athena_database_setting(
    lake: Lake, run_cli: CliRun, tmp_path: Path
) -> None:
    """The database name is checked only where it reaches Glue. Before, a legacy `[athena] database` name stopped
    compact on a local lake, which never asks Glue."""
    _fill(lake)
    (tmp_path / "loglake.toml").write_text('[athena]\ndatabase = "Logs-DB"\n')
    assert run_cli("compact", "--lake", str(lake.store.uri), "--older-than", "0", "--grace", "0", cwd=tmp_path) == (
        0,
        COMPACTED,
        "",
    )


def test_an_iceberg_table_of_an_s3_lake_needs_the_etls_grace(s3_lake: Lake, run_cli: CliRun) -> None:
    """The ETL's Lambdas write a data file up to 900 s before they commit it; expiry deletes an uncommitted file
    older than the grace. Before, `--grace 0` ran expiry at once on S3, where an invocation may be running."""
    _fill(s3_lake, EtlSettings(table_format="iceberg"))
    pending = f"{HOUR}{'0' * 24}-r{int(time.time() * 1000) - 1000:013d}0a1b2c3d.parquet"  # written 1 s ago
    s3_lake.store.put(pending, b"an ETL invocation's file, its commit still to come")

    assert run_cli(*COMPACT, "--target-size", "1MB") == (
        1,
        "",
        "error: --grace 0 is under 900 s for the Iceberg table logs of an S3 lake: expiry would delete data files "
        "an ETL invocation (up to 900 s) has written but not committed yet, and its commit would then reference "
        "missing files; nothing was compacted: run `loglake compact --lake s3://loglake-test/lake --older-than 0 "
        "--target-size 1MB --grace 15m`\n",
    )
    assert s3_lake.store.exists(pending)
    assert len(live_files(s3_lake.store, "logs")) == 2
    kept = "compacted 1 table-hours: 2 files into 1 (5 rows); deleted 0 replaced files\n"  # all within the grace
    assert run_cli(*COMPACT[:-1], "15m") == (0, kept, "")
    assert s3_lake.store.exists(pending)
    assert len(live_files(s3_lake.store, "logs")) == 1
