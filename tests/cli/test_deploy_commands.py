"""`loglake template`, `deploy` and `destroy` from the command line, against moto over TLS."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from loglake.cli.app import app
from loglake.deploy.stack import StackDeployer
from loglake.errors import ConfigError

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


def _queue_attributes(url: str) -> dict[str, str]:
    attributes: dict[str, str] = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
        "Attributes"
    ]
    return attributes


def test_deploy_with_a_batched_etl_puts_a_queue_between_the_raw_bucket_and_the_etl(
    aws_tls: str, tmp_path: Path
) -> None:
    plain = _zip(tmp_path / "plain.zip", "loglake/__init__.py")
    base = ["deploy", "--stack", "batched", "--log-group", "/app/a", "--artifact", str(plain), "--yes"]
    raw = "batched-raw-123456789012-us-east-1"

    deployed = runner.invoke(app, [*base, "--etl-batch-size", "10"])
    assert deployed.exit_code == 0, deployed.output
    resources = _resources("batched")
    assert {"EtlQueue", "EtlDeadLetters", "EtlQueuePolicy", "EtlQueueReadPolicy", "EtlQueueMapping"} <= resources
    assert "EtlInvokePermission" not in resources
    outputs = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in deployed.stdout.splitlines() if ": " in line}
    queue, dead = _queue_attributes(outputs["EtlQueueUrl"]), _queue_attributes(outputs["EtlDeadLettersQueueUrl"])
    assert json.loads(queue["RedrivePolicy"]) == {"deadLetterTargetArn": dead["QueueArn"], "maxReceiveCount": 5}
    assert (queue["VisibilityTimeout"], queue["MessageRetentionPeriod"], dead["MessageRetentionPeriod"]) == (
        "720",
        "345600",
        "1209600",
    )
    [tls, send] = json.loads(queue["Policy"])["Statement"]
    assert (tls["Effect"], tls["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    assert (send["Principal"], send["Action"], send["Resource"]) == (
        {"Service": "s3.amazonaws.com"},
        "sqs:SendMessage",
        queue["QueueArn"],
    )
    assert send["Condition"] == {
        "ArnEquals": {"aws:SourceArn": f"arn:aws:s3:::{raw}"},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    [mapping] = boto3.client("lambda").list_event_source_mappings(FunctionName="batched-etl")["EventSourceMappings"]
    assert (mapping["EventSourceArn"], mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (
        queue["QueueArn"],
        10,
        5,
    )
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 10}  # the ETL's reserved concurrency
    notification = boto3.client("s3").get_bucket_notification_configuration(Bucket=raw)
    assert "LambdaFunctionConfigurations" not in notification
    [target] = notification["QueueConfigurations"]
    assert (target["QueueArn"], target["Events"]) == (queue["QueueArn"], ["s3:ObjectCreated:*"])
    assert {r["Name"].lower(): r["Value"] for r in target["Filter"]["Key"]["FilterRules"]} == {
        "prefix": "raw/",
        "suffix": ".json.gz",
    }
    # An update without the flag keeps the stack's batch size (CloudFormation would reset it to 1).
    again = runner.invoke(app, base)
    assert again.exit_code == 0, again.output
    assert StackDeployer("batched").parameter("EtlBatchSize") == "10"


def test_a_stack_switches_from_direct_to_batched_and_back(aws_tls: str, tmp_path: Path) -> None:
    """EtlBatchSize 1 -> 10 -> 1 on one stack: the raw bucket's notification, the Lambda permission, the
    queues and the event source mapping follow each update."""
    plain = _zip(tmp_path / "plain.zip", "loglake/__init__.py")
    base = ["deploy", "--stack", "switch", "--log-group", "/app/a", "--artifact", str(plain), "--yes"]
    raw = "switch-raw-123456789012-us-east-1"
    queued = {"EtlQueue", "EtlDeadLetters", "EtlQueuePolicy", "EtlQueueReadPolicy", "EtlQueueMapping"}

    def state() -> tuple[list[str], bool, set[str], int]:
        notification = boto3.client("s3").get_bucket_notification_configuration(Bucket=raw)
        kinds = sorted(k for k in notification if k.endswith("Configurations"))
        resources = _resources("switch")
        mappings = boto3.client("lambda").list_event_source_mappings(FunctionName="switch-etl")
        return kinds, "EtlInvokePermission" in resources, resources & queued, len(mappings["EventSourceMappings"])

    for size, expected in [
        ("1", (["LambdaFunctionConfigurations"], True, set(), 0)),
        ("10", (["QueueConfigurations"], False, queued, 1)),
        ("1", (["LambdaFunctionConfigurations"], True, set(), 0)),
    ]:
        result = runner.invoke(app, [*base, "--etl-batch-size", size])
        assert result.exit_code == 0, result.output
        assert StackDeployer("switch").parameter("EtlBatchSize") == size
        assert state() == expected


def test_etl_batch_size_is_normalised_and_the_stacks_concurrency_is_checked() -> None:
    """--param EtlBatchSize=01 is 1 (CloudFormation compares the strings: "01" would not select DirectEtl),
    and an update that gives no EtlReservedConcurrency is checked against the stack's value."""
    from loglake.cli.deploy_commands import _etl_batching

    parameters = {"EtlBatchSize": "01"}
    _etl_batching(parameters, None, lambda name: None)
    assert parameters == {"EtlBatchSize": "1"}
    stack = {"EtlReservedConcurrency": "1", "EtlBatchWindowSeconds": "5"}
    with pytest.raises(ConfigError, match=r"needs EtlReservedConcurrency of 2 to 1000 \(not 1\)"):
        _etl_batching({"EtlBatchSize": "010"}, None, stack.get)


def test_etl_batch_settings_lambda_would_refuse_are_one_line_errors(aws_tls: str, tmp_path: Path) -> None:
    plain = _zip(tmp_path / "plain.zip", "loglake/__init__.py")
    base = ["deploy", "--stack", "refused", "--artifact", str(plain), "--yes"]
    cases = {
        ("--etl-batch-size", "0"): "--etl-batch-size takes 1 to 100, not 0",
        ("--etl-batch-size", "101"): "--etl-batch-size takes 1 to 100, not 101",
        ("--etl-batch-size", "5", "--param", "EtlReservedConcurrency=1"): (
            "--etl-batch-size 5 needs EtlReservedConcurrency of 2 to 1000 (not 1): Lambda caps the queue's "
            "concurrent batches there, and without the cap batches it throttles go to the dead-letter queue: "
            "--param EtlReservedConcurrency=2"
        ),
        ("--etl-batch-size", "5", "--param", "EtlReservedConcurrency=1001"): (
            "--etl-batch-size 5 needs EtlReservedConcurrency of 2 to 1000 (not 1001): Lambda caps the queue's "
            "concurrent batches there, and without the cap batches it throttles go to the dead-letter queue: "
            "--param EtlReservedConcurrency=2"
        ),
        ("--etl-batch-size", "50", "--param", "EtlBatchWindowSeconds=0"): (
            "Lambda batches over 10 messages only with a batching window: --param EtlBatchWindowSeconds=5 (not 0), "
            "or --etl-batch-size 10"
        ),
        ("--etl-batch-size", "5", "--param", "EtlQueueVisibilitySeconds=122"): (
            "the ETL queue's visibility timeout (122 s) is shorter than EtlTimeout (120 s) plus the batching "
            "window (5 s): messages would come back while their batch runs: --param EtlQueueVisibilitySeconds=725 "
            "(AWS advises six times the timeout)"
        ),
        ("--etl-batch-size", "5", "--param", "EtlBatchSize=6"): (
            "--etl-batch-size 5 and --param EtlBatchSize=6 disagree: give one of them"
        ),
    }
    for arguments, message in cases.items():
        result = runner.invoke(app, [*base, *arguments])
        assert (result.exit_code, str(result.exception)) == (1, message)
    assert boto3.client("cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"] == []
