"""`loglake deploy` and `loglake destroy`: the stack, through CloudFormation change sets (boto3).

Deploying uploads the artifact to an artifacts bucket (created encrypted, private and TLS-only when
missing), makes a change set, shows it, executes it when confirmed, and follows the stack's events
until it settles. The data buckets are retained when the stack is deleted: destroying compute never
destroys the lake.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from loglake.aws_calls import call_aws
from loglake.deploy.package import Artifact
from loglake.deploy.template import build_template
from loglake.errors import DeployError

TEMPLATE_BODY_LIMIT = 51_200
SETTLED = ("_COMPLETE", "_FAILED")
IN_REVIEW = "REVIEW_IN_PROGRESS"


@dataclass(frozen=True)
class Change:
    action: str
    logical_id: str
    resource_type: str
    replacement: str


@dataclass
class DeployResult:
    stack: str
    status: str
    changes: list[Change] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    executed: bool = False


def name_prefix(stack: str) -> str:
    """The stack name made fit for bucket names (lower case, digits and '-', at most 25 characters)."""
    prefix = re.sub(r"[^a-z0-9-]+", "-", stack.lower()).strip("-")[:25].strip("-")
    if len(prefix) < 2:
        raise DeployError(f"stack name {stack!r} leaves no usable name prefix; pass --param NamePrefix=...")
    return prefix


class StackDeployer:
    def __init__(self, stack: str, *, session: Any = None, poll_seconds: float = 2.0) -> None:
        if session is None:
            import boto3

            session = boto3.session.Session()
        self.stack = stack
        self.cloudformation = session.client("cloudformation")
        self.s3 = session.client("s3")
        self.sts = session.client("sts")
        self.region = session.region_name or "us-east-1"
        self.poll_seconds = poll_seconds

    def _cfn(self, operation: str, **kwargs: Any) -> Any:
        return call_aws(self.cloudformation, "CloudFormation", DeployError, operation, **kwargs)

    def _s3(self, operation: str, **kwargs: Any) -> Any:
        return call_aws(self.s3, "S3", DeployError, operation, **kwargs)

    def artifact_bucket(self, prefix: str) -> str:
        """The artifacts bucket, created (encrypted, private, TLS-only) when missing."""
        account = call_aws(self.sts, "STS", DeployError, "get_caller_identity")["Account"]
        bucket = f"{prefix}-artifacts-{account}-{self.region}"
        from botocore.exceptions import ClientError

        try:
            self.s3.head_bucket(Bucket=bucket)
            return bucket
        except ClientError:
            pass
        location = (
            {} if self.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
        )
        self._s3("create_bucket", Bucket=bucket, **location)
        self._s3(
            "put_public_access_block",
            Bucket=bucket,
            PublicAccessBlockConfiguration=dict.fromkeys(
                ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
            ),
        )
        self._s3(
            "put_bucket_encryption",
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        deny = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        self._s3("put_bucket_policy", Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
        return bucket

    def upload(self, artifact: Artifact, bucket: str) -> str:
        """Upload unless an identical artifact is there already (the key is the content hash)."""
        from botocore.exceptions import ClientError

        try:
            self.s3.head_object(Bucket=bucket, Key=artifact.key)
        except ClientError:
            self._s3("upload_file", Filename=str(artifact.path), Bucket=bucket, Key=artifact.key)
        return artifact.key

    def _described(self, ref: str | None = None) -> dict[str, Any] | None:
        """The stack as describe_stacks gives it; None when there is none."""
        from botocore.exceptions import ClientError

        try:
            stacks = self.cloudformation.describe_stacks(StackName=ref or self.stack)["Stacks"]
        except ClientError as exc:
            if "does not exist" in str(exc):
                return None
            raise DeployError(f"CloudFormation refused describe_stacks: {exc}") from None
        return dict(stacks[0]) if stacks else None

    def _status(self, ref: str | None = None) -> str | None:
        stack = self._described(ref)
        return None if stack is None else str(stack["StackStatus"])

    def parameter(self, name: str) -> str | None:
        """A parameter's value on the deployed stack; None when there is no stack or it lacks the parameter."""
        stack = self._described()
        if stack is None:
            return None
        values = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
        value = values.get(name)
        return None if value is None else str(value)

    def _template_argument(self, template: dict[str, Any], bucket: str) -> dict[str, str]:
        body = json.dumps(template, separators=(",", ":"), sort_keys=True)
        if len(body) <= TEMPLATE_BODY_LIMIT:
            return {"TemplateBody": body}
        key = f"loglake/template-{self.stack}.json"
        self._s3("put_object", Bucket=bucket, Key=key, Body=body.encode())
        return {"TemplateURL": f"https://{bucket}.s3.{self.region}.amazonaws.com/{key}"}

    def _wait_change_set(self, change_set: str) -> dict[str, Any] | None:
        """The described change set, or None when it holds no changes."""
        delay = self.poll_seconds / 4
        while True:
            described = self._cfn("describe_change_set", ChangeSetName=change_set, StackName=self.stack)
            status = described["Status"]
            if status == "CREATE_COMPLETE":
                return dict(described)
            if status == "FAILED":
                reason = str(described.get("StatusReason", ""))
                if "didn't contain changes" in reason or "No updates" in reason:
                    self._cfn("delete_change_set", ChangeSetName=change_set, StackName=self.stack)
                    return None
                raise DeployError(f"the change set failed: {reason}")
            time.sleep(delay)
            delay = min(delay * 2, self.poll_seconds)

    def follow(self, since: datetime, on_event: Callable[[str], None], ref: str | None = None) -> str:
        """Report the stack's new events until it settles; return the final status.

        `ref` is the stack id, which (unlike the name) still finds a stack once it is deleted."""
        seen: set[str] = set()
        while True:
            events = self._cfn("describe_stack_events", StackName=ref or self.stack)["StackEvents"]
            for event in reversed(events):
                if event["EventId"] in seen or event["Timestamp"] < since:
                    continue
                seen.add(event["EventId"])
                reason = f" ({event['ResourceStatusReason']})" if event.get("ResourceStatusReason") else ""
                on_event(f"{event['LogicalResourceId']}: {event['ResourceStatus']}{reason}")
            status = self._status(ref)
            if status is None or (status.endswith(SETTLED) and not status.endswith("_IN_PROGRESS")):
                return status or "DELETE_COMPLETE"
            time.sleep(self.poll_seconds)

    def deploy(
        self,
        artifact: Artifact,
        parameters: Mapping[str, str],
        *,
        subscribe: Iterable[str] = (),
        confirm: Callable[[list[Change]], bool] = lambda changes: True,
        on_event: Callable[[str], None] = lambda line: None,
    ) -> DeployResult:
        params = {"NamePrefix": name_prefix(self.stack), **parameters}
        bucket = self.artifact_bucket(params["NamePrefix"])
        params.setdefault("ArtifactBucket", bucket)
        if "ArtifactKey" not in params:
            params["ArtifactKey"] = self.upload(artifact, bucket)
        status = self._status()
        kind = "CREATE" if status in (None, IN_REVIEW) else "UPDATE"
        if status is not None and status.endswith("_IN_PROGRESS") and status != IN_REVIEW:
            raise DeployError(f"stack {self.stack} is busy ({status}); wait for it to settle")
        name = f"loglake-{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}"
        started = datetime.now(UTC)
        self._cfn(
            "create_change_set",
            StackName=self.stack,
            ChangeSetName=name,
            ChangeSetType=kind,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(params.items())],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
            Tags=[{"Key": "loglake:stack", "Value": self.stack}],
            **self._template_argument(build_template(subscribe), bucket),
        )
        described = self._wait_change_set(name)
        if described is None:
            return DeployResult(self.stack, status or "", outputs=self.outputs())
        changes = [
            Change(
                c["ResourceChange"]["Action"],
                c["ResourceChange"]["LogicalResourceId"],
                c["ResourceChange"]["ResourceType"],
                str(c["ResourceChange"].get("Replacement", "")),
            )
            for c in described.get("Changes", [])
        ]
        if not confirm(changes):
            self._cfn("delete_change_set", ChangeSetName=name, StackName=self.stack)
            return DeployResult(self.stack, status or "", changes)
        self._cfn("execute_change_set", ChangeSetName=name, StackName=self.stack)
        final = self.follow(started, on_event)
        if not final.endswith("_COMPLETE") or "ROLLBACK" in final:
            raise DeployError(f"stack {self.stack} ended in {final}; its events above say why")
        return DeployResult(self.stack, final, changes, self.outputs(), executed=True)

    def outputs(self) -> dict[str, str]:
        stacks = self._cfn("describe_stacks", StackName=self.stack)["Stacks"]
        return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}

    def destroy(self, on_event: Callable[[str], None] = lambda line: None) -> str:
        if self._status() is None:
            raise DeployError(f"there is no stack named {self.stack}")
        stack_id = self._cfn("describe_stacks", StackName=self.stack)["Stacks"][0]["StackId"]
        started = datetime.now(UTC)
        self._cfn("delete_stack", StackName=self.stack)
        final = self.follow(started, on_event, stack_id)
        if final != "DELETE_COMPLETE":
            raise DeployError(f"stack {self.stack} ended in {final}; its events above say why")
        return final
