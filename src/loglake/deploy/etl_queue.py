"""The batched ETL's part of the template (EtlBatchSize > 1): the raw bucket notifies an SQS queue instead of
the ETL function, and Lambda's event source mapping hands the function up to EtlBatchSize messages at once.

One invocation per object (EtlBatchSize 1, the default) costs 62-72 ms of CPU per 10-event object, most of it
the fixed cost of a DuckDB pass; a batch shares one pass (transform/etl_batch.py, docs/deploy.md). Every
resource here has the condition BatchedEtl, so a stack with the default deploys what it did before, with one
exception that CloudFormation forces: DependsOn cannot name a resource that may not exist, so the raw bucket
waits on EtlNotificationTarget, which references the Lambda permission or the queue policy, whichever exists.

The queue and its dead-letter queue use SSE-SQS even with KmsKeyArn: S3 can send to a queue encrypted with a
customer key only when that key's policy lets s3.amazonaws.com use it, which the stack cannot grant on a key it
does not own. The messages hold bucket names and object keys (log group and stream names), never log lines.
"""

from __future__ import annotations

from loglake.deploy.operations import _alarm, _loglake_metric
from loglake.deploy.template import (
    LAKE_BUCKET,
    RAW_BUCKET,
    Json,
    _bucket_arn,
    _list_under,
    _object_arns,
    _ref,
    _skip,
    _statement,
)
from loglake.lake.unreadable import UNREADABLE_PREFIX

MAX_BATCH_SIZE = 100
"""EtlBatchSize at most. Only CPU time is measured (benchmarks/README.md: about 18 ms per 10-event object in
batches of 10); each object also makes about 10 sequential S3 requests, so on AWS wall time is roughly
0.25 s per object more (not measured). A batch that runs past EtlTimeout counts a receive for every message,
and the fifth sends them all to the dead-letter queue: 100 objects stay well inside the 120 s default."""
MAX_CONCURRENCY = 1000
"""ScalingConfig.MaximumConcurrency at most (Lambda takes 2 to 1000)."""
MAX_RECEIVES = 5
"""Receives of a message before it goes to the dead-letter queue: AWS's advice for a Lambda source queue (at
least 5), so that a batch throttled by the function's concurrency is not dead-lettered."""
QUEUE_RETENTION_S = 345_600  # 4 days
DEAD_LETTER_RETENTION_S = 1_209_600  # 14 days, the most: a message keeps its first enqueue time in the DLQ

PARAMETERS: Json = {
    "EtlBatchSize": {
        "Type": "Number",
        "Default": 1,
        "MinValue": 1,
        "MaxValue": MAX_BATCH_SIZE,
        "Description": (
            "Raw objects per ETL invocation. 1: S3 invokes the ETL once per object (no queue). More: S3 notifies "
            "an SQS queue (with a dead-letter queue) and Lambda hands the ETL up to this many objects at once, "
            "which share one DuckDB pass. Over 10 needs EtlBatchWindowSeconds of 1 or more."
        ),
    },
    "EtlBatchWindowSeconds": {
        "Type": "Number",
        "Default": 5,
        "MinValue": 0,
        "MaxValue": 300,
        "Description": (
            "With EtlBatchSize > 1: how long Lambda gathers messages before it invokes the ETL with fewer than "
            "EtlBatchSize (the latency a batch may add)."
        ),
    },
    "EtlQueueVisibilitySeconds": {
        "Type": "Number",
        "Default": 720,
        "MinValue": 30,
        "MaxValue": 43200,
        "Description": (
            "With EtlBatchSize > 1: the queue's visibility timeout, at least EtlTimeout (AWS advises six times "
            "it). A message whose object failed comes back after this long."
        ),
    },
}

CONDITIONS: Json = {
    "BatchedEtl": {"Fn::Not": [{"Fn::Equals": [_ref("EtlBatchSize"), "1"]}]},
    "DirectEtl": {"Fn::Equals": [_ref("EtlBatchSize"), "1"]},
    "EtlConcurrencyOfOne": {"Fn::Equals": [_ref("EtlReservedConcurrency"), "1"]},
}

RULES: Json = {
    "BatchedEtlConcurrency": {
        # Lambda's MaximumConcurrency is 2 to 1000; without it the mapping polls with 5 or more concurrent
        # batches, and each one throttled counts a receive (deploy also refuses more than MAX_CONCURRENCY)
        "RuleCondition": {"Fn::Not": [{"Fn::Equals": [_ref("EtlBatchSize"), "1"]}]},
        "Assertions": [
            {
                "Assert": {"Fn::Not": [{"Fn::Equals": [_ref("EtlReservedConcurrency"), "1"]}]},
                "AssertDescription": "EtlBatchSize > 1 needs EtlReservedConcurrency of 2 to 1000",
            }
        ],
    }
}

QUEUE_ARN = {"Fn::GetAtt": ["EtlQueue", "Arn"]}


def notification(raw_filter: Json, direct: Json) -> Json:
    """The raw bucket's NotificationConfiguration: `direct` (the function) with EtlBatchSize 1, else the queue."""
    queued = {"QueueConfigurations": [{"Event": "s3:ObjectCreated:*", "Queue": QUEUE_ARN, "Filter": raw_filter}]}
    return {"Fn::If": ["BatchedEtl", queued, direct]}


def _queue(properties: Json) -> Json:
    return {
        "Type": "AWS::SQS::Queue",
        "Condition": "BatchedEtl",
        "Metadata": _skip(
            (
                "CKV_AWS_27",
                "Encrypted with SSE-SQS (SqsManagedSseEnabled), which the check does not know; S3 cannot send to a "
                "queue under a customer key unless that key's policy lets it, which this stack cannot grant.",
            )
        ),
        "Properties": {"SqsManagedSseEnabled": True, **properties},
    }


def resources() -> Json:
    return {
        "EtlNotificationTarget": {
            "Type": "AWS::CloudFormation::WaitConditionHandle",
            "Metadata": {
                "Why": "The raw bucket depends on this: it references whichever of the two exists.",
                "EtlInvokePermission": {"Fn::If": ["DirectEtl", _ref("EtlInvokePermission"), ""]},
                "EtlQueuePolicy": {"Fn::If": ["BatchedEtl", _ref("EtlQueuePolicy"), ""]},
            },
        },
        "EtlQueue": _queue(
            {
                "VisibilityTimeout": _ref("EtlQueueVisibilitySeconds"),
                "MessageRetentionPeriod": QUEUE_RETENTION_S,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["EtlDeadLetters", "Arn"]},
                    "maxReceiveCount": MAX_RECEIVES,
                },
            }
        ),
        "EtlDeadLetters": _queue({"MessageRetentionPeriod": DEAD_LETTER_RETENTION_S}),
        "EtlQueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Condition": "BatchedEtl",
            "Properties": {
                "Queues": [_ref("EtlQueue")],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {  # as the buckets' policies: nothing reaches the queue over plain HTTP
                            "Sid": "DenyWithoutTls",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "sqs:*",
                            "Resource": QUEUE_ARN,
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        {
                            "Sid": "RawBucketNotifies",
                            "Effect": "Allow",
                            "Principal": {"Service": "s3.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": QUEUE_ARN,
                            "Condition": {
                                "ArnEquals": {"aws:SourceArn": _bucket_arn(RAW_BUCKET)},
                                "StringEquals": {"aws:SourceAccount": _ref("AWS::AccountId")},
                            },
                        },
                    ],
                },
            },
        },
        "EtlQueueReadPolicy": {
            "Type": "AWS::IAM::Policy",
            "Condition": "BatchedEtl",
            "Properties": {
                "PolicyName": "loglake-etl-queue",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        _statement(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], QUEUE_ARN),
                        # an unreadable raw object is set aside (handlers/etl_queue.py), not retried; the records
                        # are listed once per invocation, and one of an object that reads again is deleted
                        _statement(["s3:PutObject", "s3:DeleteObject"], _object_arns(LAKE_BUCKET, [UNREADABLE_PREFIX])),
                        _list_under(LAKE_BUCKET, [UNREADABLE_PREFIX]),
                    ],
                },
                "Roles": [_ref("EtlRole")],
            },
        },
        "EtlQueueMapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Condition": "BatchedEtl",
            "DependsOn": ["EtlQueueReadPolicy"],  # Lambda checks the role may read the queue when it creates it
            "Properties": {
                "EventSourceArn": QUEUE_ARN,
                "FunctionName": _ref("EtlFunction"),
                "BatchSize": _ref("EtlBatchSize"),
                "MaximumBatchingWindowInSeconds": _ref("EtlBatchWindowSeconds"),
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "Enabled": True,
                # no more concurrent batches than the function may run: a throttled batch counts as a receive
                # (RULES and deploy keep EtlReservedConcurrency at 2 to 1000 here; the Fn::If only tells
                # cfn-lint, which does not read Rules, that 1 never reaches MaximumConcurrency)
                "ScalingConfig": {
                    "Fn::If": [
                        "EtlConcurrencyOfOne",
                        _ref("AWS::NoValue"),
                        {"MaximumConcurrency": _ref("EtlReservedConcurrency")},
                    ]
                },
            },
        },
        "EtlRetriedMessagesAlarm": {
            **_alarm(
                "etl-retried-messages",
                "The batched ETL answered with messages to retry: an object failed (S3, memory, an invariant) or "
                "another run held its lease. Lambda's Errors does not count these (docs/operations.md).",
                0,
                300,
                **_loglake_metric("RetriedMessages", "etl"),
                Statistic="Sum",
            ),
            "Condition": "BatchedEtl",
        },
        "EtlDeadLettersAlarm": {
            **_alarm(
                "etl-dead-letters",
                f"A raw object's notification failed {MAX_RECEIVES} times and is in the ETL's dead-letter queue "
                "(docs/operations.md).",
                0,
                300,
                Namespace="AWS/SQS",
                MetricName="ApproximateNumberOfMessagesVisible",
                Dimensions=[{"Name": "QueueName", "Value": {"Fn::GetAtt": ["EtlDeadLetters", "QueueName"]}}],
                Statistic="Maximum",
            ),
            "Condition": "BatchedEtl",
        },
    }


OUTPUTS: Json = {
    "EtlQueueUrl": {"Condition": "BatchedEtl", "Value": _ref("EtlQueue")},
    "EtlDeadLettersQueueUrl": {"Condition": "BatchedEtl", "Value": _ref("EtlDeadLetters")},
}
