"""`loglake compact` refuses a hive table Athena reads (catalog/athena_guard.py), against a moto server over
HTTP: Athena reads a hive table's whole hour prefix, so it would count compacted events twice until the
replaced files are deleted. Before, the compaction ran and exited 0 (a silent wrong count on Athena)."""

from __future__ import annotations

from collections.abc import Iterator

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
REFUSED = (
    "error: hive table logs of this lake is read by Athena (Glue table loglake.logs over "
    "s3://loglake-test/lake/clean/logs/): compacting would make Athena count compacted events twice until the "
    "replaced files are deleted. Make new tables Iceberg, which Athena compacts exactly once with OPTIMIZE "
    "(`loglake deploy --table-format iceberg`), or, if Athena does not read this lake, run "
    '`loglake compact --lake s3://loglake-test/lake --not-read-by-athena` (docs/lake-layout.md, "Compaction and '
    'Athena")\n'
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
    code, out, err = run_cli(*COMPACT, "--table", "logs", "--rewrite-stale")
    assert (code, out) == (1, "")
    fix = "`loglake compact --lake s3://loglake-test/lake --table logs --rewrite-stale --not-read-by-athena`"
    assert f"read this lake, run {fix} (docs/lake-layout.md" in err
    # The database Athena reads through is the one checked: another one holds no table over the lake.
    assert run_cli(*COMPACT, "--database", "elsewhere") == (0, COMPACTED, "")


def test_the_flag_compacts_a_registered_hive_table(s3_lake: Lake, run_cli: CliRun) -> None:
    _fill(s3_lake)
    GlueCatalog("loglake").sync(s3_lake.store, LAKE)

    assert run_cli(*COMPACT, "--not-read-by-athena") == (0, COMPACTED, "")
    assert len(live_files(s3_lake.store, "logs")) == 1
    assert _counts(s3_lake) == (5, 5)


def test_an_s3_lake_no_glue_table_reads_compacts(s3_lake: Lake, run_cli: CliRun) -> None:
    _fill(s3_lake)
    # No Glue database at all, then one whose `logs` table is another lake's.
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

    code, out, err = run_cli(*COMPACT)

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
        ("waf", "db.lake_root"),
    ]
    assert reads[3] == AthenaRead("logs", "db.projection", "s3://loglake-test/lake/clean/logs/dt=${dt}/hour=${hour}/")
    assert athena_reads(glue, "missing_db", LAKE, ["logs"]) == []


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
        "error: cannot tell whether Athena reads the hive tables logs of s3://loglake-test/lake: Glue GetTables on "
        "database loglake failed (403: "
    )
    assert "The security token included in the request is invalid." in err
    assert err.endswith(
        "Give the database Athena reads them through (--database), or, if Athena does not read this lake, run "
        '`loglake compact --lake s3://loglake-test/lake --not-read-by-athena` (docs/lake-layout.md, "Compaction '
        'and Athena")\n'
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
        check_not_read_by_athena(s3_lake.store, LAKE, ["logs", "waf", "vpc"], "logs_db", "loglake compact", glue)

    assert str(refused.value).startswith(
        "hive tables logs, waf of this lake are read by Athena (Glue table logs_db.logs over "
        "s3://loglake-test/lake/clean/logs/ and 1 more): compacting would make Athena count"
    )
    assert str(refused.value).endswith(
        'run `loglake compact --not-read-by-athena` (docs/lake-layout.md, "Compaction and Athena")'
    )
    check_not_read_by_athena(s3_lake.store, LAKE, ["vpc"], "logs_db", "loglake compact", glue)  # not read: no error
