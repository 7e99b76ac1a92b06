"""`loglake template`, `deploy` and `destroy` from the command line, against moto over TLS."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import boto3
from typer.testing import CliRunner

from loglake.cli.app import app
from loglake.deploy.stack import StackDeployer

runner = CliRunner()


def test_template_prints_valid_json_with_the_subscriptions() -> None:
    result = runner.invoke(app, ["template", "--subscribe", "/aws/lambda/orders"])
    assert result.exit_code == 0, result.output
    template = json.loads(result.stdout)
    assert template["Resources"]["SubscriptionFilter0"]["Properties"]["LogGroupName"] == "/aws/lambda/orders"


def test_deploy_shows_the_changes_then_destroy_keeps_the_buckets(aws_tls: str, tmp_path: Path) -> None:
    artifact = tmp_path / "lambda.zip"
    with zipfile.ZipFile(artifact, "w") as archive:
        archive.writestr("loglake/__init__.py", "")
    deployed = runner.invoke(
        app,
        [
            "deploy",
            "--stack",
            "cli-test",
            "--log-group",
            "/app/a",
            "--artifact",
            str(artifact),
            "--yes",
            "--param",
            "EtlReservedConcurrency=3",
        ],
    )
    assert deployed.exit_code == 0, deployed.output
    assert "Add" in deployed.stderr and "EtlFunction" in deployed.stderr
    assert "cli-test: CREATE_COMPLETE" in deployed.stderr
    assert "RawBucketName: cli-test-raw-123456789012-us-east-1" in deployed.stdout
    concurrency = boto3.client("lambda").get_function_concurrency(FunctionName="cli-test-etl")
    assert concurrency["ReservedConcurrentExecutions"] == 3

    refused = runner.invoke(app, ["destroy", "--stack", "cli-test"], input="n\n")
    assert refused.exit_code == 1
    destroyed = runner.invoke(app, ["destroy", "--stack", "cli-test", "--yes"])
    assert destroyed.exit_code == 0, destroyed.output
    assert "the buckets and their data remain" in destroyed.stdout
    buckets = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    assert "cli-test-raw-123456789012-us-east-1" in buckets
    assert boto3.client("cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"] == []


def test_bad_parameters_are_one_line_errors(aws_tls: str, tmp_path: Path) -> None:
    artifact = tmp_path / "lambda.zip"
    artifact.write_bytes(b"zip")
    result = runner.invoke(app, ["deploy", "--stack", "x1", "--artifact", str(artifact), "--param", "oops"])
    assert result.exit_code == 1
    assert "--param takes name=value, not 'oops'" in str(result.exception)


def _zip(path: Path, *names: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, "")
    return path


def _etl_environment(stack: str) -> dict[str, str]:
    config = boto3.client("lambda").get_function_configuration(FunctionName=f"{stack}-etl")
    variables: dict[str, str] = config["Environment"]["Variables"]
    return variables


def _resources(stack: str) -> set[str]:
    summaries = boto3.client("cloudformation").list_stack_resources(StackName=stack)["StackResourceSummaries"]
    return {r["LogicalResourceId"] for r in summaries}


def test_deploy_with_iceberg_tables_keeps_them_on_an_update(aws_tls: str, tmp_path: Path) -> None:
    plain = _zip(tmp_path / "plain.zip", "loglake/__init__.py")
    with_iceberg = _zip(tmp_path / "iceberg.zip", "loglake/__init__.py", "pyiceberg/__init__.py")
    base = ["deploy", "--stack", "ice", "--log-group", "/app/a", "--yes"]

    refused = runner.invoke(app, [*base, "--artifact", str(plain), "--table-format", "iceberg"])
    assert refused.exit_code == 1
    assert str(refused.exception) == (
        f"{plain} has no pyiceberg, which the Iceberg ETL needs: build it with "
        f"`loglake package --iceberg --out {plain}`, or deploy with --table-format hive"
    )
    assert boto3.client("cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"] == []

    deployed = runner.invoke(app, [*base, "--artifact", str(with_iceberg), "--table-format", "iceberg"])
    assert deployed.exit_code == 0, deployed.output
    assert _etl_environment("ice")["LOGLAKE_ETL_TABLE_FORMAT"] == "iceberg"
    assert "EtlIcebergPolicy" in _resources("ice")

    # An update without the flag keeps the stack's table format, so it needs the Iceberg artifact still.
    again = runner.invoke(app, [*base, "--artifact", str(plain)])
    assert again.exit_code == 1
    assert "has no pyiceberg" in str(again.exception)
    conflict = runner.invoke(
        app, [*base, "--artifact", str(plain), "--table-format", "hive", "--param", "TableFormat=iceberg"]
    )
    assert conflict.exit_code == 1
    assert str(conflict.exception) == "--table-format hive and --param TableFormat=iceberg disagree: give one of them"

    # Back to hive: new tables only; the Iceberg ones stay Iceberg, so the ETL still needs pyiceberg.
    plain_back = runner.invoke(app, [*base, "--artifact", str(plain), "--table-format", "hive"])
    assert plain_back.exit_code == 1
    assert str(plain_back.exception) == (
        f"{plain} has no pyiceberg: this stack's Iceberg tables stay Iceberg with --table-format hive (only new "
        f"tables are hive), so its ETL still needs it: build it with `loglake package --iceberg --out {plain}`"
    )
    back = runner.invoke(app, [*base, "--artifact", str(with_iceberg), "--table-format", "hive"])
    assert back.exit_code == 0, back.output
    assert StackDeployer("ice").parameter("TableFormat") == "hive"
    # (moto's update keeps the function's environment and a resource whose condition turned false:
    # tests/deploy/test_template.py checks the template a hive stack applies)
