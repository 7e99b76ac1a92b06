"""The template deployed into moto's CloudFormation (through `loglake deploy`'s change sets), then the
handlers invoked the way Lambda invokes them, on the deployed buckets."""

from __future__ import annotations

import ast
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from loglake.aws_events.s3_event import object_created_event
from loglake.deploy.package import Artifact
from loglake.deploy.stack import Change, DeployError, StackDeployer, name_prefix
from loglake.deploy.template import build_template
from loglake.handlers import collector, etl
from loglake.lake.open import open_lake
from loglake.query.engine import DuckDBEngine

ACCOUNT = "123456789012"
REGION = "us-east-1"
STACK = "LogLake-Test"
RAW = f"loglake-test-raw-{ACCOUNT}-{REGION}"
LAKE = f"loglake-test-lake-{ACCOUNT}-{REGION}"
RESULTS = f"loglake-test-athena-{ACCOUNT}-{REGION}"
RESULTS_ARN = f"arn:aws:s3:::{RESULTS}"


class LambdaContext:
    """The attributes of the context object Lambda passes to a Python handler."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb = 1769
        self.aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "2026/11/28/[$LATEST]abcdef"
        self._deadline = time.monotonic() + 120

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def _small_artifact(tmp_path: Path) -> Artifact:
    """An artifact with loglake's own code only: moto stores Lambda code but never runs it."""
    path = tmp_path / "lambda.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("loglake/__init__.py", "")
    return Artifact(path, "0" * 64, path.stat().st_size, 0, 1, [])


@pytest.fixture
def deployed(aws_tls: str, tmp_path: Path) -> dict[str, Any]:
    seen: list[list[Change]] = []
    events: list[str] = []

    def confirm(changes: list[Change]) -> bool:
        seen.append(changes)
        return True

    result = StackDeployer(STACK, poll_seconds=0.05).deploy(
        _small_artifact(tmp_path),
        {"LogGroups": "/app/orders,/app/payments*"},
        confirm=confirm,
        on_event=events.append,
    )
    return {"result": result, "changes": seen[0], "events": events}


def test_the_stack_is_created_through_a_change_set(deployed: dict[str, Any]) -> None:
    result = deployed["result"]
    assert result.executed and result.status == "CREATE_COMPLETE"
    actions = {c.logical_id: c.action for c in deployed["changes"]}
    resources = build_template()["Resources"]
    unconditional = {name for name, resource in resources.items() if "Condition" not in resource}
    assert len(unconditional) == 41  # 20, 8 alarms, the dashboard, the conservation check (6) and maintenance (6)
    # moto's change set also lists the resources whose condition (UseKms) is false; CloudFormation would not.
    assert unconditional <= set(actions) <= set(resources)
    assert set(actions.values()) == {"Add"}
    assert any(line.startswith(f"{STACK}: CREATE_COMPLETE") for line in deployed["events"])
    assert result.outputs["RawBucketName"] == RAW
    assert result.outputs["LakeLocation"] == f"s3://{LAKE}"
    assert result.outputs["GlueDatabaseName"] == "loglake"
    assert result.outputs["AthenaWorkGroupName"] == "loglake-test"


def test_buckets_are_encrypted_private_and_tls_only(deployed: dict[str, Any]) -> None:
    s3 = boto3.client("s3")
    for bucket in (RAW, LAKE, RESULTS):
        encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert block == dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        )
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        denies = {s["Sid"]: s for s in policy["Statement"]}
        assert denies["DenyWithoutTls"]["Effect"] == "Deny"
        assert denies["DenyWithoutTls"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert denies["DenyWithoutTls"]["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
        assert denies["DenyOldTls"]["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}


def test_raw_prefix_notifies_the_etl_function(deployed: dict[str, Any]) -> None:
    config = boto3.client("s3").get_bucket_notification_configuration(Bucket=RAW)
    [target] = config["LambdaFunctionConfigurations"]
    assert target["LambdaFunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:loglake-test-etl"
    assert target["Events"] == ["s3:ObjectCreated:*"]
    rules = {r["Name"].lower(): r["Value"] for r in target["Filter"]["Key"]["FilterRules"]}
    assert rules == {"prefix": "raw/", "suffix": ".json.gz"}
    assert "NotificationConfiguration" not in json.dumps(boto3.client("s3").get_bucket_policy(Bucket=LAKE))
    assert "QueueConfigurations" not in boto3.client("s3").get_bucket_notification_configuration(Bucket=RAW)
    # EtlBatchSize 1 (the default): S3 invokes the ETL itself; no queue, no event source mapping
    assert boto3.client("lambda").list_event_source_mappings()["EventSourceMappings"] == []
    [queue] = boto3.client("sqs").list_queues()["QueueUrls"]
    assert queue.split("/")[-1] == deployed["result"].outputs["FailedInvocationsQueueUrl"].split("/")[-1]
    assert "EtlQueueUrl" not in deployed["result"].outputs
    policy = boto3.client("lambda").get_policy(FunctionName="loglake-test-etl")["Policy"]
    [permission] = json.loads(policy)["Statement"]
    assert permission["Principal"] == {"Service": "s3.amazonaws.com"}


def _policy(role_prefix: str) -> list[dict[str, Any]]:
    iam = boto3.client("iam")
    [role] = [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(f"{STACK}-{role_prefix}")]
    [name] = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"]
    if isinstance(document, str):  # moto returns a role's inline policy from CloudFormation as Python's repr
        document = ast.literal_eval(document)
    statements: list[dict[str, Any]] = document["Statement"]
    return statements


def _grants(statements: list[dict[str, Any]], effect: str = "Allow") -> dict[str, set[str]]:
    """action -> resources it is allowed on (or denied on, with effect="Deny"); statements of the
    other effect are skipped, so a role's policy must be read with effect="Allow" and hold no Deny."""
    grants: dict[str, set[str]] = {}
    for statement in statements:
        if statement["Effect"] != effect:
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in statement["Action"]:
            grants.setdefault(action, set()).update(resources)
    return grants


def test_etl_role_reads_raw_and_writes_only_the_lake_zones(deployed: dict[str, Any]) -> None:
    grants = _grants(_policy("EtlRole"))
    lake = f"arn:aws:s3:::{LAKE}"
    assert grants["s3:GetObject"] == {
        f"arn:aws:s3:::{RAW}/raw/*",
        f"{lake}/clean/*",
        f"{lake}/quarantine/*",
        f"{lake}/schema/*",
        f"{lake}/state/etl/*",
        f"{lake}/state/headers/*",  # a stream's remembered header, read for every object
        f"{lake}/state/compaction/*",  # an hour's compaction record (a re-run settles its outputs)
        f"{lake}/state/leases/*",  # the hour's lease a re-run takes
        f"{lake}/state/iceberg/tables/*",  # whether a table is Iceberg, never written here
    }
    assert grants["s3:PutObject"] == {
        f"{lake}/clean/*",
        f"{lake}/quarantine/*",
        f"{lake}/schema/*",
        f"{lake}/state/etl/*",
        f"{lake}/state/headers/*",
        f"{lake}/state/compaction/*",
        f"{lake}/state/leases/*",
        f"{lake}/state/skip_index/*",
        f"{lake}/state/runs/etl.json*",
    }
    assert grants["s3:DeleteObject"] == {
        f"{lake}/clean/*",
        f"{lake}/quarantine/*",
        f"{lake}/state/skip_index/*",
        f"{lake}/state/leases/*",
    }
    assert grants["glue:UpdateTable"] == {
        f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog",
        f"arn:aws:glue:{REGION}:{ACCOUNT}:database/loglake",
        f"arn:aws:glue:{REGION}:{ACCOUNT}:table/loglake/*",
    }
    assert set(grants) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucket",
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:CreateTable",
        "glue:UpdateTable",
    }
    assert not any(r == "*" or r.endswith(":*:*") for resources in grants.values() for r in resources)


def test_collector_role_reads_only_the_configured_log_groups(deployed: dict[str, Any]) -> None:
    grants = _grants(_policy("CollectorRole"))
    groups = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
    assert grants["logs:FilterLogEvents"] == {f"{groups}/app/orders:*", f"{groups}/app/payments*:*"}
    assert grants["s3:PutObject"] == {
        f"arn:aws:s3:::{RAW}/raw/*",
        f"arn:aws:s3:::{LAKE}/state/cloudwatch/*",
        f"arn:aws:s3:::{LAKE}/state/runs/collect.json*",
        f"arn:aws:s3:::{LAKE}/state/leases/*",
    }
    assert grants["s3:DeleteObject"] == {f"arn:aws:s3:::{LAKE}/state/leases/*"}  # its lease, nothing else
    assert not any(action.startswith("glue:") for action in grants)


def test_the_alarms_and_the_dashboard_are_deployed(deployed: dict[str, Any]) -> None:
    cloudwatch = boto3.client("cloudwatch")
    found = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert sorted(found) == [
        "loglake-test-collector-errors",
        "loglake-test-collector-lag",
        "loglake-test-conservation",
        "loglake-test-conservation-errors",
        "loglake-test-etl-errors",
        "loglake-test-failed-invocations",
        "loglake-test-maintenance-errors",
        "loglake-test-quarantine-ratio",
    ]
    etl = found["loglake-test-etl-errors"]
    assert (etl["Namespace"], etl["MetricName"], etl["Threshold"]) == ("AWS/Lambda", "Errors", 0.0)
    assert etl["Dimensions"] == [{"Name": "FunctionName", "Value": "loglake-test-etl"}]
    assert etl["AlarmActions"] == []  # no AlarmTopicArn given
    lag = found["loglake-test-collector-lag"]
    assert (lag["Namespace"], lag["Threshold"], lag["Dimensions"]) == (
        "loglake-test",
        3600.0,
        [{"Name": "Function", "Value": "collector"}],
    )
    ratio = found["loglake-test-quarantine-ratio"]
    assert [q["Id"] for q in ratio["Metrics"]] == ["quarantined", "clean", "ratio"]
    assert ratio["Threshold"] == 5.0
    dashboard = cloudwatch.get_dashboard(DashboardName="loglake-test-pipeline")
    body = json.loads(dashboard["DashboardBody"])
    assert body["widgets"][0]["properties"]["alarms"] == [found[name]["AlarmArn"] for name in [
        "loglake-test-failed-invocations",
        "loglake-test-etl-errors",
        "loglake-test-collector-errors",
        "loglake-test-quarantine-ratio",
        "loglake-test-collector-lag",
        "loglake-test-conservation",
        "loglake-test-conservation-errors",
        "loglake-test-maintenance-errors",
    ]]  # fmt: skip
    assert "${" not in dashboard["DashboardBody"]
    assert deployed["result"].outputs["DashboardName"] == "loglake-test-pipeline"


def _managed_policy(deployed: dict[str, Any], output: str) -> list[dict[str, Any]]:
    iam = boto3.client("iam")
    arn = deployed["result"].outputs[output]
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    statements: list[dict[str, Any]] = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
        "Document"
    ]["Statement"]
    return statements


def test_query_policy_is_scoped_to_the_workgroup_and_database(deployed: dict[str, Any]) -> None:
    grants = _grants(_managed_policy(deployed, "QueryPolicyArn"))
    assert grants["athena:StartQueryExecution"] == {f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/loglake-test"}
    assert grants["glue:GetTable"] == {
        f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog",
        f"arn:aws:glue:{REGION}:{ACCOUNT}:database/loglake",
        f"arn:aws:glue:{REGION}:{ACCOUNT}:table/loglake/*",
    }
    assert "s3:PutObject" in grants and grants["s3:PutObject"] == {f"arn:aws:s3:::{RESULTS}/results/*"}


def test_analysts_read_clean_and_quarantine_and_operators_also_raw(deployed: dict[str, Any]) -> None:
    """Redaction protects only what the ETL writes: the analysts' policy neither reads raw/ nor sees raw_events."""
    analysts = _managed_policy(deployed, "QueryPolicyArn")
    operators = _managed_policy(deployed, "RawQueryPolicyArn")
    lake, raw = f"arn:aws:s3:::{LAKE}", f"arn:aws:s3:::{RAW}"
    assert _grants(analysts)["s3:GetObject"] == {f"{lake}/clean/*", f"{lake}/quarantine/*", f"{RESULTS_ARN}/results/*"}
    assert _grants(analysts)["s3:ListBucket"] == {lake, RESULTS_ARN}
    raw_events = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/loglake/raw_events"
    denied = _grants(analysts, "Deny")
    assert {action for action, resources in denied.items() if resources == {raw_events}} == set(denied)
    assert {"glue:GetTable", "glue:GetTables", "glue:GetPartitions"} <= set(denied)

    assert _grants(operators)["s3:GetObject"] == {
        f"{lake}/clean/*",
        f"{lake}/quarantine/*",
        f"{raw}/raw/*",
        f"{RESULTS_ARN}/results/*",
    }
    assert _grants(operators)["s3:ListBucket"] == {lake, raw, RESULTS_ARN}
    assert _grants(operators, "Deny") == {}
    assert _grants(operators)["glue:GetTable"] == _grants(analysts)["glue:GetTable"]


def test_workgroup_enforces_encrypted_results_and_a_scan_cutoff(deployed: dict[str, Any]) -> None:
    workgroup = boto3.client("athena").get_work_group(WorkGroup="loglake-test")["WorkGroup"]
    config = workgroup["Configuration"]
    assert config["BytesScannedCutoffPerQuery"] == 10737418240
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["ResultConfiguration"] == {
        "OutputLocation": f"s3://{RESULTS}/results/",
        "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
    }


def test_functions_get_the_deployed_lake_in_their_environment(deployed: dict[str, Any]) -> None:
    config = boto3.client("lambda").get_function_configuration(FunctionName="loglake-test-etl")
    assert config["Handler"] == "loglake.handlers.etl.handler"
    assert config["Runtime"] == "python3.12"
    assert (config["MemorySize"], config["Timeout"]) == (1769, 120)
    assert config["Environment"]["Variables"] == {
        "LOGLAKE_LAKE": f"s3://{LAKE}",
        "LOGLAKE_RAW": f"s3://{RAW}",
        "LOGLAKE_GLUE_DATABASE": "loglake",
        "LOGLAKE_ETL_FORMAT": "parquet",
        "LOGLAKE_ETL_ROUTES": "[]",
        "LOGLAKE_ETL_MAX_COLUMNS": "500",
        "LOGLAKE_ETL_REDACT": "[]",
        "LOGLAKE_METRICS_NAMESPACE": "loglake-test",
    }
    concurrency = boto3.client("lambda").get_function_concurrency(FunctionName="loglake-test-collector")
    assert concurrency["ReservedConcurrentExecutions"] == 1


def test_handlers_complete_the_path_on_the_deployed_buckets(
    deployed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = boto3.client("logs")
    now = int(time.time() * 1000)
    logs.create_log_group(logGroupName="/app/orders")
    logs.create_log_group(logGroupName="/app/payments-eu")
    logs.create_log_stream(logGroupName="/app/orders", logStreamName="i-1")
    messages = [
        '{"level": "INFO", "order": 1, "amount": 12.5}',
        '{"level": "ERROR", "order": 2, "amount": 99.0}',
        "plain text line",
    ]
    logs.put_log_events(
        logGroupName="/app/orders",
        logStreamName="i-1",
        logEvents=[{"timestamp": now - 60_000 + i, "message": m} for i, m in enumerate(messages)],
    )
    lambda_api = boto3.client("lambda")
    for function in ("loglake-test-collector", "loglake-test-etl"):
        variables = lambda_api.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    collected = collector.handler({"source": "aws.events", "detail": {}}, LambdaContext("loglake-test-collector"))
    assert (collected["events"], collected["objects_written"]) == (3, 1)

    [target] = boto3.client("s3").get_bucket_notification_configuration(Bucket=RAW)["LambdaFunctionConfigurations"]
    rules = {r["Name"].lower(): r["Value"] for r in target["Filter"]["Key"]["FilterRules"]}
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=RAW)["Contents"]]
    notified = [k for k in keys if k.startswith(rules["prefix"]) and k.endswith(rules["suffix"])]
    assert len(notified) == 1
    answer = etl.handler(object_created_event(RAW, notified[0]), LambdaContext("loglake-test-etl"))
    assert answer["processed"] == notified and answer["catalog_updated"] is True
    again = etl.handler(object_created_event(RAW, notified[0]), LambdaContext("loglake-test-etl"))
    assert (again["already_done"], again["catalog_updated"]) == (notified, False)  # a duplicate notification

    lake = open_lake(f"s3://{LAKE}", f"s3://{RAW}")
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query('SELECT level, "order", amount, message FROM logs ORDER BY timestamp').rows
    assert rows == [
        ("INFO", 1, 12.5, messages[0]),
        ("ERROR", 2, 99.0, messages[1]),
        (None, None, None, messages[2]),
    ]
    tables = {t["Name"] for t in boto3.client("glue").get_tables(DatabaseName="loglake")["TableList"]}
    assert tables == {"logs", "raw_events", "quarantine"}


def test_an_unchanged_redeploy_executes_nothing(deployed: dict[str, Any], tmp_path: Path) -> None:
    again = StackDeployer(STACK, poll_seconds=0.05).deploy(
        _small_artifact(tmp_path), {"LogGroups": "/app/orders,/app/payments*"}
    )
    # moto, like CloudFormation, fails a change set that holds no changes: nothing is executed.
    assert (again.executed, again.changes, again.status) == (False, [], "CREATE_COMPLETE")
    assert again.outputs == deployed["result"].outputs


def test_declining_the_change_set_leaves_no_stack(aws_tls: str, tmp_path: Path) -> None:
    result = StackDeployer("Declined", poll_seconds=0.05).deploy(
        _small_artifact(tmp_path), {"LogGroups": "/a"}, confirm=lambda changes: False
    )
    assert result.executed is False and {c.logical_id for c in result.changes} >= {"RawBucket", "EtlFunction"}
    with pytest.raises(DeployError, match="no stack named"):
        StackDeployer("Never", poll_seconds=0.05).destroy()


def test_stack_names_become_bucket_safe_prefixes() -> None:
    assert name_prefix("LogLake_Prod.EU") == "loglake-prod-eu"
    with pytest.raises(DeployError, match="no usable name prefix"):
        name_prefix("__")


def _role_policies(role_prefix: str) -> dict[str, list[dict[str, Any]]]:
    iam = boto3.client("iam")
    [role] = [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(f"{STACK}-{role_prefix}")]
    policies = {}
    for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"]
        policies[name] = (ast.literal_eval(document) if isinstance(document, str) else document)["Statement"]
    return policies


def test_a_kms_key_encrypts_the_queue_and_a_redaction_key_reaches_only_the_etl(aws_tls: str, tmp_path: Path) -> None:
    key = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:loglake/redact-AbC123"
    parameters = {
        "LogGroups": "/app/orders",
        "KmsKeyArn": key,
        "RedactKeySecretArn": secret,
        "RedactKeyParameterName": "/loglake/redact-key",
        "FailedInvocationRetentionSeconds": "86400",
    }
    result = StackDeployer(STACK, poll_seconds=0.05).deploy(_small_artifact(tmp_path), parameters)
    assert result.status == "CREATE_COMPLETE"

    sqs = boto3.client("sqs")
    queue = sqs.get_queue_attributes(QueueUrl=result.outputs["FailedInvocationsQueueUrl"], AttributeNames=["All"])
    assert (queue["Attributes"]["KmsMasterKeyId"], queue["Attributes"]["MessageRetentionPeriod"]) == (key, "86400")
    # (moto reports SqsManagedSseEnabled true for every queue; the template leaves it out under a KMS key.)

    variables = boto3.client("lambda").get_function_configuration(FunctionName="loglake-test-etl")["Environment"]
    assert (
        variables["Variables"]["LOGLAKE_REDACT_KEY_SECRET"],
        variables["Variables"]["LOGLAKE_REDACT_KEY_PARAMETER"],
    ) == (secret, "/loglake/redact-key")
    collector = boto3.client("lambda").get_function_configuration(FunctionName="loglake-test-collector")
    assert not {"LOGLAKE_REDACT_KEY_SECRET", "LOGLAKE_REDACT_KEY_PARAMETER"} & set(
        collector["Environment"]["Variables"]
    )

    etl_policies = _role_policies("EtlRole")
    assert sorted(etl_policies) == [
        "loglake-etl",
        "loglake-kms",
        "loglake-redact-key-secretsmanager",
        "loglake-redact-key-ssm",
    ]
    parameter = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/loglake/redact-key"
    keys = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*"
    assert etl_policies["loglake-redact-key-secretsmanager"] == [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": secret},
        {
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": keys,
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com",
                    "kms:EncryptionContext:SecretARN": secret,
                }
            },
        },
    ]
    assert etl_policies["loglake-redact-key-ssm"] == [
        {"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": parameter},
        {
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": keys,
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": f"ssm.{REGION}.amazonaws.com",
                    "kms:EncryptionContext:PARAMETER_ARN": parameter,
                }
            },
        },
    ]
    # The queue's key: every function's role may use it, since Lambda sends a failed event with that role.
    for role in ("EtlRole", "CollectorRole"):
        assert _role_policies(role)["loglake-kms"] == [
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key}
        ]
    assert sorted(_role_policies("CollectorRole")) == ["loglake-collector", "loglake-kms"]
