"""The template itself: cfn-lint clean, and the properties moto's CloudFormation does not apply."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint

from loglake.deploy.etl_queue import PARAMETERS as ETL_QUEUE_PARAMETERS
from loglake.deploy.template import build_template
from loglake.errors import ConfigError
from loglake.lake.table_bucket_store import TABLE_BUCKET_ARN


@pytest.mark.parametrize("subscribe", [[], ["/aws/lambda/orders", "/ecs/web"]])
def test_cfn_lint_finds_nothing(subscribe: list[str]) -> None:
    matches = lint(json.dumps(build_template(subscribe)), regions=["us-east-1", "eu-west-1"])
    assert [str(m) for m in matches] == []


def test_raw_zone_ages_into_infrequent_access_then_expires() -> None:
    bucket = build_template()["Resources"]["RawBucket"]
    rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["raw-zone-ageing"] == {
        "Id": "raw-zone-ageing",
        "Status": "Enabled",
        "Prefix": "raw/",
        "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": {"Ref": "RawTransitionDays"}}],
        "ExpirationInDays": {"Ref": "RawExpirationDays"},
    }
    # An overwrite of raw/* keeps the old version as long as the raw zone keeps data: rewriting is no delete.
    assert rules["tidy-versions-and-uploads"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": {"Ref": "RawExpirationDays"}
    }
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"


def test_only_the_raw_bucket_keeps_old_versions_for_the_raw_retention() -> None:
    resources = build_template()["Resources"]
    kept = {
        name: resources[name]["Properties"]["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"]
        for name in ("RawBucket", "LakeBucket", "ResultsBucket")
    }
    assert kept == {
        "RawBucket": {"NoncurrentDays": {"Ref": "RawExpirationDays"}},
        "LakeBucket": {"NoncurrentDays": 7},
        "ResultsBucket": {"NoncurrentDays": 7},
    }


def test_failed_invocations_go_to_an_encrypted_queue() -> None:
    resources = build_template()["Resources"]
    for function in ("EtlFunction", "CollectorFunction"):
        assert resources[function]["Properties"]["DeadLetterConfig"] == {
            "TargetArn": {"Fn::GetAtt": ["FailedInvocations", "Arn"]}
        }
    assert resources["FailedInvocations"]["Properties"] == {
        "MessageRetentionPeriod": {"Ref": "FailedInvocationRetentionSeconds"},
        "KmsMasterKeyId": {"Fn::If": ["UseKms", {"Ref": "KmsKeyArn"}, {"Ref": "AWS::NoValue"}]},
        "SqsManagedSseEnabled": {"Fn::If": ["UseKms", {"Ref": "AWS::NoValue"}, True]},
    }
    retention = build_template()["Parameters"]["FailedInvocationRetentionSeconds"]
    assert (retention["Default"], retention["MinValue"], retention["MaxValue"]) == (4 * 86400, 60, 14 * 86400)
    assert resources["EtlFunction"]["Properties"]["ReservedConcurrentExecutions"] == {"Ref": "EtlReservedConcurrency"}


def test_every_role_that_sends_to_the_queue_may_use_its_kms_key() -> None:
    """Lambda sends a failed event with the function's role: with KmsKeyArn, that role needs the key."""
    resources = build_template(["/aws/lambda/orders"])["Resources"]
    senders = {
        r["Properties"]["Role"]["Fn::GetAtt"][0]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Function" and "DeadLetterConfig" in r["Properties"]
    }
    assert senders == {"EtlRole", "CollectorRole", "SubscriptionRole", "ConservationRole", "MaintenanceRole"}
    kms = resources["KmsPolicy"]
    assert {role["Ref"] for role in kms["Properties"]["Roles"]} == senders
    assert kms["Properties"]["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": {"Ref": "KmsKeyArn"}}
    ]


def test_each_subscribed_group_gets_a_filter_and_a_scoped_permission() -> None:
    resources = build_template(["/aws/lambda/orders", "/ecs/web", "/aws/lambda/orders"])["Resources"]
    filters = [
        r["Properties"]["LogGroupName"]
        for name, r in sorted(resources.items())
        if name.startswith("SubscriptionFilter")
    ]
    assert filters == ["/aws/lambda/orders", "/ecs/web"]
    permission = resources["SubscriptionPermission1"]["Properties"]
    assert permission["Principal"] == "logs.amazonaws.com"
    assert permission["SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/ecs/web:*"
    }
    assert "SubscriptionFunction" not in build_template()["Resources"]


def test_with_a_kms_key_everything_encrypts_with_it() -> None:
    template = build_template()
    encryption = template["Resources"]["LakeBucket"]["Properties"]["BucketEncryption"]
    default = encryption["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == {"Fn::If": ["UseKms", "aws:kms", "AES256"]}
    kms = template["Resources"]["KmsPolicy"]
    assert kms["Condition"] == "UseKms"
    assert kms["Properties"]["Roles"] == [
        {"Ref": "EtlRole"},
        {"Ref": "CollectorRole"},
        {"Ref": "ConservationRole"},
        {"Ref": "MaintenanceRole"},
    ]


def test_log_group_names_are_checked_before_they_reach_the_template() -> None:
    with pytest.raises(ConfigError, match="not a CloudWatch log group name"):
        build_template(["/app/${AWS::AccountId}"])


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


LAKE = "arn:${AWS::Partition}:s3:::${NamePrefix}-lake-${AWS::AccountId}-${AWS::Region}"
RAW = "arn:${AWS::Partition}:s3:::${NamePrefix}-raw-${AWS::AccountId}-${AWS::Region}"
RAW_EVENTS = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/${GlueDatabase}/raw_events"


def _statements(policy: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = build_template()["Resources"][policy]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    return statements


def test_analysts_policy_reads_the_clean_zone_and_quarantine_never_the_raw_zone() -> None:
    analysts = _statements("QueryPolicy")
    reads = [s for s in analysts if s["Action"] == ["s3:GetObject"]]
    assert reads == [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [_sub(f"{LAKE}/clean/*"), _sub(f"{LAKE}/quarantine/*")],
        }
    ]
    assert "raw-${AWS::AccountId}" not in json.dumps([s for s in analysts if s["Effect"] == "Allow"])
    [deny] = [s for s in analysts if s["Effect"] == "Deny"]
    assert deny["Resource"] == _sub(RAW_EVENTS)
    assert {"glue:GetTable", "glue:GetTables", "glue:GetPartitions"} <= set(deny["Action"])


def test_operators_policy_is_the_analysts_plus_the_raw_zone() -> None:
    analysts = [s for s in _statements("QueryPolicy") if s["Effect"] == "Allow"]
    operators = _statements("RawQueryPolicy")
    assert all(s["Effect"] == "Allow" for s in operators)  # nothing denied: raw_events is visible
    reads = [s for s in operators if s["Action"] == ["s3:GetObject"]]
    assert reads == [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [_sub(f"{LAKE}/clean/*"), _sub(f"{LAKE}/quarantine/*"), _sub(f"{RAW}/raw/*")],
        }
    ]
    changed = [s for s in operators if s not in analysts]
    assert [s["Action"] for s in changed] == [["s3:GetObject"], ["s3:ListBucket", "s3:GetBucketLocation"]]
    assert changed[1]["Resource"] == [_sub(LAKE), _sub(RAW)]
    outputs = build_template()["Outputs"]
    assert (outputs["QueryPolicyArn"], outputs["RawQueryPolicyArn"]) == (
        {"Value": {"Ref": "QueryPolicy"}},
        {"Value": {"Ref": "RawQueryPolicy"}},
    )


def test_the_redaction_key_reaches_the_etl_from_secrets_manager_or_ssm() -> None:
    template = build_template()
    parameters = template["Parameters"]
    assert parameters["RedactKeySecretArn"]["Default"] == parameters["RedactKeyParameterName"]["Default"] == ""
    assert "every ETL invocation fails" in parameters["EtlRedact"]["Description"]
    variables = template["Resources"]["EtlFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["LOGLAKE_REDACT_KEY_SECRET"] == {
        "Fn::If": ["UseRedactKeySecret", {"Ref": "RedactKeySecretArn"}, {"Ref": "AWS::NoValue"}]
    }
    assert variables["LOGLAKE_REDACT_KEY_PARAMETER"] == {
        "Fn::If": ["UseRedactKeyParameter", {"Ref": "RedactKeyParameterName"}, {"Ref": "AWS::NoValue"}]
    }
    assert template["Conditions"]["UseRedactKeySecret"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "RedactKeySecretArn"}, ""]}]
    }
    keys = _sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*")
    secret = template["Resources"]["RedactKeySecretPolicy"]
    assert (secret["Condition"], secret["Properties"]["Roles"]) == ("UseRedactKeySecret", [{"Ref": "EtlRole"}])
    assert secret["Properties"]["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": {"Ref": "RedactKeySecretArn"}},
        {
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": keys,
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": _sub("secretsmanager.${AWS::Region}.amazonaws.com"),
                    "kms:EncryptionContext:SecretARN": {"Ref": "RedactKeySecretArn"},
                }
            },
        },
    ]
    parameter = template["Resources"]["RedactKeyParameterPolicy"]
    arn = _sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${RedactKeyParameterName}")
    assert (parameter["Condition"], parameter["Properties"]["Roles"]) == ("UseRedactKeyParameter", [{"Ref": "EtlRole"}])
    assert parameter["Properties"]["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": arn},
        {
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": keys,
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": _sub("ssm.${AWS::Region}.amazonaws.com"),
                    "kms:EncryptionContext:PARAMETER_ARN": arn,
                }
            },
        },
    ]


@pytest.mark.parametrize(
    ("parameter", "good", "bad"),
    [
        (
            "RedactKeySecretArn",
            ["", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:loglake/redact-AbC123"],
            ["loglake/redact", "arn:aws:ssm:eu-west-1:123456789012:parameter/x"],
        ),
        ("RedactKeyParameterName", ["", "/loglake/redact-key"], ["loglake-key", "/a//b", "/x y"]),
    ],
)
def test_redaction_key_names_are_checked_by_cloudformation(parameter: str, good: list[str], bad: list[str]) -> None:
    pattern = re.compile(build_template()["Parameters"][parameter]["AllowedPattern"])
    assert [bool(pattern.fullmatch(v)) for v in good + bad] == [True] * len(good) + [False] * len(bad)


def test_loglake_template_prints_the_template_byte_for_byte() -> None:
    """The printed template is what deploy sends: no console markup or emoji codes (`:secret:` in the
    secret ARN pattern once became a pictogram)."""
    from typer.testing import CliRunner

    from loglake.cli.app import app

    result = CliRunner().invoke(app, ["template", "--subscribe", "/aws/lambda/orders"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == build_template(["/aws/lambda/orders"])


BEFORE_TABLE_FORMAT = Path(__file__).parent / "data" / "template_hive_before_table_format.json"
"""`loglake template --subscribe /aws/lambda/example` as it was before TableFormat (json.dumps, indent=1).
Regenerate it only for a change every hive stack is meant to get."""


DEFAULT_CONDITIONS = {"UseIceberg": False, "UseS3Tables": False, "BatchedEtl": False, "DirectEtl": True}
"""The conditions the snapshot predates (TableFormat, EtlBatchSize), as their parameters' defaults make them."""


def _condition(resource: dict[str, Any]) -> bool | None:
    """The value of a resource's (or output's) condition, when it is one of DEFAULT_CONDITIONS."""
    name = resource.get("Condition")
    return DEFAULT_CONDITIONS.get(name) if isinstance(name, str) else None


def _as_hive(value: Any) -> Any:
    """The template as CloudFormation applies it with TableFormat=hive and EtlBatchSize=1: their conditions'
    Fn::If resolved, the resources of a false condition gone, a true condition's resources unconditional."""
    if isinstance(value, list):
        return [_as_hive(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::If"} and value["Fn::If"][0] in DEFAULT_CONDITIONS:
        condition, when_true, when_false = value["Fn::If"]
        return _as_hive(when_true if DEFAULT_CONDITIONS[condition] else when_false)
    kept = {k: _as_hive(v) for k, v in value.items() if not (isinstance(v, dict) and _condition(v) is False)}
    if _condition(kept) is True:
        del kept["Condition"]
    return {k: v for k, v in kept.items() if v != {"Ref": "AWS::NoValue"}}


def test_a_hive_stack_deploys_the_template_it_did_before_table_format() -> None:
    """Byte for byte, but for one thing CloudFormation forces: DependsOn cannot name a resource that may not
    exist (EtlInvokePermission, only with EtlBatchSize 1), so the raw bucket waits on EtlNotificationTarget, a
    WaitConditionHandle (no AWS resource) that references the permission, or the queue policy when batched."""
    template = build_template(["/aws/lambda/example"])
    parameter = template["Parameters"].pop("TableFormat")
    assert (parameter["Type"], parameter["Default"], parameter["AllowedValues"]) == (
        "String",
        "hive",
        ["hive", "iceberg"],
    )
    assert template["Conditions"].pop("UseIceberg") == {"Fn::Equals": [{"Ref": "TableFormat"}, "iceberg"]}
    assert template["Parameters"].pop("TableBucketArn")["Default"] == ""
    assert template["Conditions"].pop("UseS3Tables") == {
        "Fn::And": [{"Condition": "UseIceberg"}, {"Fn::Not": [{"Fn::Equals": [{"Ref": "TableBucketArn"}, ""]}]}]
    }
    batch = {name: template["Parameters"].pop(name) for name in ETL_QUEUE_PARAMETERS}
    assert (batch["EtlBatchSize"]["Default"], batch["EtlBatchWindowSeconds"]["Default"]) == (1, 5)
    assert {name: template["Conditions"].pop(name) for name in ("BatchedEtl", "DirectEtl", "EtlConcurrencyOfOne")} == {
        "BatchedEtl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "EtlBatchSize"}, "1"]}]},
        "DirectEtl": {"Fn::Equals": [{"Ref": "EtlBatchSize"}, "1"]},
        "EtlConcurrencyOfOne": {"Fn::Equals": [{"Ref": "EtlReservedConcurrency"}, "1"]},
    }
    assert template.pop("Rules") == {  # a batched stack needs a reserved concurrency Lambda can cap batches at
        "BatchedEtlConcurrency": {
            "RuleCondition": {"Fn::Not": [{"Fn::Equals": [{"Ref": "EtlBatchSize"}, "1"]}]},
            "Assertions": [
                {
                    "Assert": {"Fn::Not": [{"Fn::Equals": [{"Ref": "EtlReservedConcurrency"}, "1"]}]},
                    "AssertDescription": "EtlBatchSize > 1 needs EtlReservedConcurrency of 2 to 1000",
                }
            ],
        }
    }
    hive = _as_hive(template)
    target = hive["Resources"].pop("EtlNotificationTarget")
    assert target["Type"] == "AWS::CloudFormation::WaitConditionHandle" and "Properties" not in target
    assert target["Metadata"]["EtlInvokePermission"] == {"Ref": "EtlInvokePermission"}
    assert hive["Resources"]["RawBucket"]["DependsOn"] == ["EtlNotificationTarget"]
    hive["Resources"]["RawBucket"]["DependsOn"] = ["EtlInvokePermission"]
    assert json.dumps(hive, indent=1) + "\n" == BEFORE_TABLE_FORMAT.read_text()
    assert set(template["Resources"]) - set(hive["Resources"]) == {
        "EtlIcebergPolicy",
        "EtlS3TablesPolicy",
        "EtlNotificationTarget",
        "EtlQueue",
        "EtlDeadLetters",
        "EtlQueuePolicy",
        "EtlQueueReadPolicy",
        "EtlQueueMapping",
        "EtlDeadLettersAlarm",
        "EtlRetriedMessagesAlarm",
    }


def test_an_s3tables_stack_names_the_table_bucket_and_grants_its_tables_only() -> None:
    template = build_template()
    env = template["Resources"]["EtlFunction"]["Properties"]["Environment"]["Variables"]
    assert env["LOGLAKE_ICEBERG_CATALOG"] == {"Fn::If": ["UseS3Tables", "s3tables", {"Ref": "AWS::NoValue"}]}
    assert env["LOGLAKE_TABLE_BUCKET_ARN"] == {
        "Fn::If": ["UseS3Tables", {"Ref": "TableBucketArn"}, {"Ref": "AWS::NoValue"}]
    }
    policy = template["Resources"]["EtlS3TablesPolicy"]
    assert (policy["Condition"], policy["Properties"]["Roles"]) == ("UseS3Tables", [{"Ref": "EtlRole"}])
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        (
            ["s3tables:GetNamespace", "s3tables:CreateNamespace", "s3tables:CreateTable"],
            [{"Ref": "TableBucketArn"}],
        ),
        (
            [
                "s3tables:GetTableMetadataLocation",
                "s3tables:UpdateTableMetadataLocation",
                "s3tables:GetTableData",
                "s3tables:PutTableData",
            ],
            [{"Fn::Sub": "${TableBucketArn}/table/*"}],
        ),
    ]
    # the parameter's pattern accepts what the lake accepts, and nothing it refuses
    pattern = re.compile(template["Parameters"]["TableBucketArn"]["AllowedPattern"])
    for arn in ("", "arn:aws:s3tables:us-east-1:123456789012:bucket/logs", "arn:aws:s3:::logs", "bucket/logs"):
        assert bool(pattern.fullmatch(arn)) == (arn == "" or bool(TABLE_BUCKET_ARN.fullmatch(arn)))
    assert [bool(pattern.fullmatch(a)) for a in ("", "arn:aws:s3tables:eu-west-1:123456789012:bucket/l-1")] == [
        True,
        True,
    ]


def test_an_iceberg_stack_sets_the_table_format_and_grants_the_marker() -> None:
    resources = build_template()["Resources"]
    env = resources["EtlFunction"]["Properties"]["Environment"]["Variables"]
    assert env["LOGLAKE_ETL_TABLE_FORMAT"] == {"Fn::If": ["UseIceberg", "iceberg", {"Ref": "AWS::NoValue"}]}
    policy = resources["EtlIcebergPolicy"]
    assert (policy["Condition"], policy["Properties"]["Roles"]) == ("UseIceberg", [{"Ref": "EtlRole"}])
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [
                {
                    "Fn::Sub": "arn:${AWS::Partition}:s3:::${NamePrefix}-lake-${AWS::AccountId}-${AWS::Region}"
                    "/state/iceberg/tables/*"
                }
            ],
        }
    ]
    etl = json.dumps(resources["EtlRole"]) + json.dumps(policy)
    assert "CreateDatabase" not in etl and "glue:*" not in etl


def test_the_batched_etl_template_is_clean_for_cfn_lint() -> None:
    template = build_template(["/aws/lambda/orders"])
    template["Parameters"]["EtlBatchSize"]["Default"] = 10
    matches = lint(json.dumps(template), regions=["us-east-1", "eu-west-1"])
    assert [str(m) for m in matches] == []


def test_a_batched_etl_reads_a_queue_only_the_raw_bucket_may_send_to() -> None:
    resources = build_template()["Resources"]
    raw_arn = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${NamePrefix}-raw-${AWS::AccountId}-${AWS::Region}"}
    queue_arn = {"Fn::GetAtt": ["EtlQueue", "Arn"]}
    [tls, send] = resources["EtlQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert tls == {
        "Sid": "DenyWithoutTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": queue_arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert send == {
        "Sid": "RawBucketNotifies",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {
            "ArnEquals": {"aws:SourceArn": raw_arn},
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        },
    }
    read = resources["EtlQueueReadPolicy"]
    assert (read["Condition"], read["Properties"]["Roles"]) == ("BatchedEtl", [{"Ref": "EtlRole"}])
    assert read["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": queue_arn,
        },
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": [
                {"Fn::Sub": "arn:${AWS::Partition}:s3:::${NamePrefix}-lake-${AWS::AccountId}-${AWS::Region}"
                 "/state/unreadable/*"}
            ],
        },
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${NamePrefix}-lake-${AWS::AccountId}-${AWS::Region}"},
            "Condition": {"StringLike": {"s3:prefix": ["state/unreadable/*"]}},
        },
    ]  # fmt: skip
    mapping = resources["EtlQueueMapping"]
    assert mapping["DependsOn"] == ["EtlQueueReadPolicy"]
    assert {k: v for k, v in mapping["Properties"].items() if k != "ScalingConfig"} == {
        "EventSourceArn": queue_arn,
        "FunctionName": {"Ref": "EtlFunction"},
        "BatchSize": {"Ref": "EtlBatchSize"},
        "MaximumBatchingWindowInSeconds": {"Ref": "EtlBatchWindowSeconds"},
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "Enabled": True,
    }
    queue = resources["EtlQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["EtlDeadLetters", "Arn"]},
        "maxReceiveCount": 5,
    }
    assert queue["SqsManagedSseEnabled"] is resources["EtlDeadLetters"]["Properties"]["SqsManagedSseEnabled"] is True
    assert resources["EtlInvokePermission"]["Condition"] == "DirectEtl"
    notification = resources["RawBucket"]["Properties"]["NotificationConfiguration"]["Fn::If"]
    assert (notification[0], list(notification[1]), list(notification[2])) == (
        "BatchedEtl",
        ["QueueConfigurations"],
        ["LambdaConfigurations"],
    )
    assert notification[1]["QueueConfigurations"][0]["Queue"] == queue_arn
    alarm = resources["EtlDeadLettersAlarm"]
    assert (alarm["Condition"], alarm["Properties"]["Dimensions"]) == (
        "BatchedEtl",
        [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["EtlDeadLetters", "QueueName"]}}],
    )
    retried = resources["EtlRetriedMessagesAlarm"]
    assert (retried["Condition"], retried["Properties"]["MetricName"], retried["Properties"]["Dimensions"]) == (
        "BatchedEtl",
        "RetriedMessages",
        [{"Name": "Function", "Value": "etl"}],
    )
    assert (retried["Properties"]["Threshold"], retried["Properties"]["Statistic"]) == (0, "Sum")
    conditional = {name for name, r in resources.items() if r.get("Condition") == "BatchedEtl"}
    assert conditional == {
        "EtlQueue",
        "EtlDeadLetters",
        "EtlQueuePolicy",
        "EtlQueueReadPolicy",
        "EtlQueueMapping",
        "EtlDeadLettersAlarm",
        "EtlRetriedMessagesAlarm",
    }


def test_editing_a_built_template_leaves_the_next_one_as_it_was() -> None:
    """The parts are module constants: a test that set EtlBatchSize's default to 10 on its copy made every later
    stack of the process batched (tests/deploy/test_stack.py failed under pytest-xdist)."""
    edited = build_template()
    edited["Parameters"]["EtlBatchSize"]["Default"] = 10
    edited["Conditions"]["UseKms"]["Fn::Not"][0]["Fn::Equals"][1] = "x"
    fresh = build_template()
    assert fresh["Parameters"]["EtlBatchSize"]["Default"] == 1
    assert fresh["Conditions"]["UseKms"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "KmsKeyArn"}, ""]}]}
