"""The scheduled Iceberg maintenance on moto: for each Iceberg table of the Glue database, the exact Athena
statements in their order (moto runs none of them: its Athena answers every query SUCCEEDED with canned rows);
hive tables are left alone; a failed statement ends its table's run, the others go on, and the invocation
fails after its EMF metrics and run record are written."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from test_metrics import emf_lines, metric

from conftest import write_messages
from loglake.errors import ConfigError, QueryError
from loglake.handlers import maintenance
from loglake.lake.open import Lake
from loglake.lake.runs import read_runs
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.transform.settings import EtlSettings

SCHEDULED_EVENT = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
VPC_LINE = "2 123456789010 eni-0a1b2c3d4e5f67890 10.0.1.15 10.0.1.14 40001 80 6 2 120 1588550400 1588550460 ACCEPT OK"


class Athena:
    """What the handler asks Athena: each StartQueryExecution's text, workgroup and database, in order; a
    statement matching `fail` is reported FAILED by GetQueryExecution (moto's would say SUCCEEDED)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.ids: dict[str, str] = {}
        self.fail: re.Pattern[str] | None = None
        self.retries: list[dict[str, Any]] = []
        """Each Athena client's botocore retry settings, in the order they were made."""

    def _sent(self, params: dict[str, Any], **_: Any) -> None:
        self.sent.append((params["QueryString"], params["WorkGroup"], params["QueryExecutionContext"]["Database"]))

    def _started(self, parsed: dict[str, Any], **_: Any) -> None:
        self.ids[parsed["QueryExecutionId"]] = self.sent[-1][0]

    def _status(self, parsed: dict[str, Any], **_: Any) -> None:
        execution = parsed["QueryExecution"]
        if self.fail is not None and self.fail.search(self.ids[execution["QueryExecutionId"]]):
            execution["Status"] = {"State": "FAILED", "StateChangeReason": "ICEBERG_COMMIT_ERROR: Failed to commit"}

    def statements(self) -> list[str]:
        return [sql for sql, _workgroup, _database in self.sent]


@pytest.fixture
def athena(s3_lake: Lake, aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Athena]:
    """The function's environment as the template sets it, and every Athena client the handler makes watched."""
    boto3.client("s3").create_bucket(Bucket="athena-results")
    boto3.client("athena").create_work_group(
        Name="loglake", Configuration={"ResultConfiguration": {"OutputLocation": "s3://athena-results/r/"}}
    )
    monkeypatch.setenv("LOGLAKE_LAKE", "s3://loglake-test/lake")
    monkeypatch.setenv("LOGLAKE_ATHENA_WORKGROUP", "loglake")
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "loglake")
    watched = Athena()
    original = boto3.client

    def client(name: str, *args: Any, **kwargs: Any) -> Any:
        made = original(name, *args, **kwargs)
        if name == "athena":
            watched.retries.append(dict(made.meta.config.retries or {}))
            made.meta.events.register("before-parameter-build.athena.StartQueryExecution", watched._sent)
            made.meta.events.register("after-call.athena.StartQueryExecution", watched._started)
            made.meta.events.register("after-call.athena.GetQueryExecution", watched._status)
        return made

    monkeypatch.setattr(boto3, "client", client)
    monkeypatch.setattr(maintenance, "utc_now", lambda: NOW)
    yield watched


def _glue_table(name: str, iceberg: bool, **more: str) -> None:
    """A Glue table as pyiceberg's Glue catalog (Iceberg) or `loglake catalog sync` (hive) leaves it."""
    parameters = (
        {"table_type": "ICEBERG", "metadata_location": f"s3://loglake-test/lake/clean/{name}/metadata/1.metadata.json"}
        if iceberg
        else {"EXTERNAL": "TRUE", "projection.enabled": "true"}
    ) | more
    boto3.client("glue").create_table(DatabaseName="loglake", TableInput={"Name": name, "Parameters": parameters})


NOW = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
"""The run's clock (maintenance.utc_now), fixed: the statements name the closed hours."""


def _expected(table: str, closed_before: str, grace_s: int, first_day: str = "2026-11-27") -> list[str]:
    """The statements for one table; OPTIMIZE from `first_day` (the default: two days before the cut's day)."""
    day, hour = closed_before.split("T")
    return [
        f"ALTER TABLE loglake.{table} SET TBLPROPERTIES ('vacuum_max_snapshot_age_seconds' = '{grace_s}')",
        f"OPTIMIZE loglake.{table} REWRITE DATA USING BIN_PACK\n"
        f"WHERE dt >= DATE '{first_day}' AND (dt < DATE '{day}' OR (dt = DATE '{day}' AND hour < {int(hour)}))",
        f"VACUUM loglake.{table}",
    ]


def test_each_iceberg_table_gets_its_statements_in_order_and_hive_tables_are_left_alone(
    s3_lake: Lake, athena: Athena, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real Iceberg table (the ETL's Glue commits) and real hive tables (`catalog sync`), side by side.
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    write_messages(s3_lake.store, "/vpc/flows", [VPC_LINE], stream="a")
    run_etl(s3_lake, pending_raw_objects(s3_lake), EtlSettings(), workers=1)  # vpc_flow_logs: hive
    from loglake.catalog.glue_sync import GlueCatalog

    GlueCatalog("loglake").sync(s3_lake.store, "s3://loglake-test/lake")
    write_messages(s3_lake.store, "/app/a", ['{"n": 1}', '{"n": 2}'], stream="b")
    run_etl(s3_lake, pending_raw_objects(s3_lake), EtlSettings(table_format="iceberg"), workers=1)  # logs: Iceberg
    tables = {t["Name"]: t["Parameters"].get("table_type") for t in boto3.client("glue").get_tables(
        DatabaseName="loglake")["TableList"]}  # fmt: skip
    assert tables == {"logs": "ICEBERG", "quarantine": None, "raw_events": None, "vpc_flow_logs": None}
    monkeypatch.setenv("LOGLAKE_MAINTENANCE_OLDER_THAN_S", "7200")
    monkeypatch.setenv("LOGLAKE_MAINTENANCE_GRACE_S", "900")
    capsys.readouterr()

    answer = maintenance.handler(SCHEDULED_EVENT, context=None)

    assert answer == {"tables": ["logs"], "left_alone": ["quarantine", "raw_events", "vpc_flow_logs"], "statements": 3}
    assert athena.statements() == _expected("logs", "2026-11-29T21", 900)  # 23:30 less 2 h: hours before 21
    assert {(workgroup, database) for _sql, workgroup, database in athena.sent} == {("loglake", "loglake")}
    documents = emf_lines(capsys.readouterr().out)
    assert metric(documents, "IcebergTables") == (1, "Count")
    assert metric(documents, "TablesLeftAlone") == (3, "Count")
    assert metric(documents, "StatementsRun") == (3, "Count")
    assert metric(documents, "MaintenanceFailures") == (0, "Count")
    run = read_runs(s3_lake.store)["maintenance"]
    assert (run.ok, run.where, run.error) == (True, "lambda", "")
    assert (run.figures["iceberg_tables"], run.figures["statements"], run.figures["failed_tables"]) == (1, 3, 0)


def test_a_failed_statement_ends_its_tables_run_and_fails_the_invocation(
    s3_lake: Lake, athena: Athena, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    for name, iceberg in (("alb_logs", True), ("logs", True), ("vpc_flow_logs", False)):
        _glue_table(name, iceberg)
    athena.fail = re.compile(r"^OPTIMIZE loglake\.alb_logs ")
    capsys.readouterr()

    with pytest.raises(QueryError) as raised:
        maintenance.handler(SCHEDULED_EVENT, context=None)

    # alb_logs: its VACUUM is not run after the failed OPTIMIZE; logs is still maintained.
    hours = "2026-11-29T22"  # the default: hours that ended an hour ago
    assert athena.statements() == _expected("alb_logs", hours, 3600)[:2] + _expected("logs", hours, 3600)
    (query_id,) = [i for i, sql in athena.ids.items() if sql.startswith("OPTIMIZE loglake.alb_logs")]
    why = f"OPTIMIZE: Athena query {query_id} failed: ICEBERG_COMMIT_ERROR: Failed to commit"
    assert str(raised.value) == f"Iceberg maintenance failed for 1 of 2 tables: alb_logs: {why}"
    documents = emf_lines(capsys.readouterr().out)
    assert metric(documents, "MaintenanceFailures") == (1, "Count")
    assert metric(documents, "StatementsRun") == (5, "Count")
    run = read_runs(s3_lake.store)["maintenance"]
    assert (run.ok, run.error, run.figures["failed_tables"]) == (False, f"alb_logs: {why}", 1)


def test_a_run_that_cannot_list_the_tables_alarms_too(
    s3_lake: Lake, athena: Athena, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    with pytest.raises(QueryError, match=r"^Glue refused get_tables: EntityNotFoundException"):
        maintenance.handler(SCHEDULED_EVENT, context=None)  # no database
    assert athena.sent == []
    assert metric(emf_lines(capsys.readouterr().out), "MaintenanceFailures") == (1, "Count")
    assert read_runs(s3_lake.store)["maintenance"].ok is False


class LambdaContext:
    """Lambda's context: the invocation's time left, as the handler reads it."""

    def __init__(self, remaining_ms: list[int]) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms.pop(0) if len(self.remaining_ms) > 1 else self.remaining_ms[0]


def test_tables_not_reached_before_the_timeout_are_failures(
    s3_lake: Lake, athena: Athena, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    for name in ("alb_logs", "logs"):
        _glue_table(name, iceberg=True)
    capsys.readouterr()
    # 10 minutes left for alb_logs (its three statements), then 59 s: logs is not started.
    with pytest.raises(QueryError) as raised:
        maintenance.handler(SCHEDULED_EVENT, context=LambdaContext([600_000] * 4 + [59_000]))
    assert athena.statements() == _expected("alb_logs", "2026-11-29T22", 3600)
    assert str(raised.value) == (
        "Iceberg maintenance failed for 1 of 2 tables: logs: not run: the invocation ran out of time "
        "(raise the function's Timeout, or run it more often)"
    )
    assert metric(emf_lines(capsys.readouterr().out), "MaintenanceFailures") == (1, "Count")


def test_settings_must_be_whole_seconds(s3_lake: Lake, athena: Athena, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGLAKE_MAINTENANCE_GRACE_S", "1h")
    with pytest.raises(ConfigError, match=re.escape("LOGLAKE_MAINTENANCE_GRACE_S must be a whole number of seconds")):
        maintenance.handler(SCHEDULED_EVENT, context=None)


def test_a_hive_only_lake_runs_nothing_and_needs_no_sqlglot(
    s3_lake: Lake, athena: Athena, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Lambda artifact holds duckdb and orjson only: the handler must not need sqlglot."""
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    _glue_table("logs", iceberg=False)
    monkeypatch.setitem(sys.modules, "sqlglot", None)
    assert maintenance.handler(SCHEDULED_EVENT, context=None) == {
        "tables": [],
        "left_alone": ["logs"],
        "statements": 0,
    }
    assert athena.sent == []


@pytest.mark.parametrize("grace", ["0", "899"])
def test_a_grace_shorter_than_an_etl_invocation_is_refused(
    s3_lake: Lake, athena: Athena, monkeypatch: pytest.MonkeyPatch, grace: str
) -> None:
    """At 0 s, VACUUM deletes the files an ETL invocation has written and not yet committed: data loss."""
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    _glue_table("logs", iceberg=True)
    monkeypatch.setenv("LOGLAKE_MAINTENANCE_GRACE_S", grace)
    with pytest.raises(ConfigError) as raised:
        maintenance.handler(SCHEDULED_EVENT, context=None)
    assert str(raised.value) == (
        f"LOGLAKE_MAINTENANCE_GRACE_S must be at least 900 seconds, not {grace}: VACUUM would delete the files an "
        "ETL invocation (up to 900 s) has written but not yet committed; set the stack's MaintenanceGraceSeconds "
        "to 900 or more (loglake deploy)"
    )
    assert athena.sent == []
    assert read_runs(s3_lake.store)["maintenance"].ok is False


def test_the_least_grace_and_a_days_setting_are_taken(
    s3_lake: Lake, athena: Athena, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    _glue_table("logs", iceberg=True)
    monkeypatch.setenv("LOGLAKE_MAINTENANCE_GRACE_S", "900")
    monkeypatch.setenv("LOGLAKE_MAINTENANCE_DAYS", "7")
    assert maintenance.handler(SCHEDULED_EVENT, context=None)["statements"] == 3
    assert athena.statements() == _expected("logs", "2026-11-29T22", 900, first_day="2026-11-22")
    monkeypatch.setenv("LOGLAKE_MAINTENANCE_DAYS", "0")
    with pytest.raises(ConfigError, match=r"^LOGLAKE_MAINTENANCE_DAYS must be at least 1 days, not 0"):
        maintenance.handler(SCHEDULED_EVENT, context=None)


def test_athena_is_asked_with_the_shared_retry_settings(s3_lake: Lake, athena: Athena) -> None:
    """Throttling (TooManyRequestsException) is retried as for the conservation check's queries."""
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    _glue_table("logs", iceberg=True)
    maintenance.handler(SCHEDULED_EVENT, context=None)
    # athena_client()'s max_attempts=8 (retries), which botocore holds as 9 attempts in all; boto3's default is 4.
    assert athena.retries == [{"mode": "standard", "total_max_attempts": 9}]


def test_a_table_whose_name_loglake_refuses_fails_alone(
    s3_lake: Lake, athena: Athena, capsys: pytest.CaptureFixture[str]
) -> None:
    """An Iceberg table another tool made, named outside loglake's identifiers, does not stop the others."""
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    for name in ("2024-events", "logs"):
        _glue_table(name, iceberg=True)
    capsys.readouterr()
    with pytest.raises(QueryError) as raised:
        maintenance.handler(SCHEDULED_EVENT, context=None)
    assert athena.statements() == _expected("logs", "2026-11-29T22", 3600)
    why = "2024-events: invalid table name '2024-events': use lowercase letters, digits and '_'"
    assert str(raised.value) == f"Iceberg maintenance failed for 1 of 2 tables: {why}"
    assert metric(emf_lines(capsys.readouterr().out), "MaintenanceFailures") == (1, "Count")
    run = read_runs(s3_lake.store)["maintenance"]
    assert (run.ok, run.error, run.figures["failed_tables"], run.figures["statements"]) == (False, why, 1, 3)


def test_the_grace_alter_runs_only_for_tables_that_do_not_have_it(s3_lake: Lake, athena: Athena) -> None:
    """Glue's Parameters hold the table's properties: an hourly ALTER would be a commit and a table version."""
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    _glue_table("alb_logs", iceberg=True, vacuum_max_snapshot_age_seconds="3600")
    _glue_table("logs", iceberg=True, vacuum_max_snapshot_age_seconds="1800")
    assert maintenance.handler(SCHEDULED_EVENT, context=None)["statements"] == 5
    assert athena.statements() == (
        _expected("alb_logs", "2026-11-29T22", 3600)[1:] + _expected("logs", "2026-11-29T22", 3600)
    )
