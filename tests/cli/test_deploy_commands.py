"""`loglake template`, `deploy` and `destroy` from the command line, against moto over TLS."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import boto3
from typer.testing import CliRunner

from loglake.cli.app import app

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
