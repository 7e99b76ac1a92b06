"""The template itself: cfn-lint clean, and the properties moto's CloudFormation does not apply."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import lint

from loglake.deploy.template import build_template
from loglake.errors import ConfigError


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
    assert rules["tidy-versions-and-uploads"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 7}
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"


def test_failed_invocations_go_to_an_encrypted_queue() -> None:
    resources = build_template()["Resources"]
    for function in ("EtlFunction", "CollectorFunction"):
        assert resources[function]["Properties"]["DeadLetterConfig"] == {
            "TargetArn": {"Fn::GetAtt": ["FailedInvocations", "Arn"]}
        }
    assert resources["FailedInvocations"]["Properties"]["SqsManagedSseEnabled"] is True
    assert resources["EtlFunction"]["Properties"]["ReservedConcurrentExecutions"] == {"Ref": "EtlReservedConcurrency"}


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
    assert kms["Properties"]["Roles"] == [{"Ref": "EtlRole"}, {"Ref": "CollectorRole"}]


def test_log_group_names_are_checked_before_they_reach_the_template() -> None:
    with pytest.raises(ConfigError, match="not a CloudWatch log group name"):
        build_template(["/app/${AWS::AccountId}"])
