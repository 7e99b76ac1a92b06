"""The stack's operations: alarms, one dashboard, the scheduled conservation check (docs/operations.md) and
the scheduled Iceberg maintenance (docs/deploy.md).

The functions publish their metrics as EMF lines (handlers/metrics.py) in the namespace named by
NamePrefix, so two stacks in one account keep theirs apart. Alarms notify AlarmTopicArn when it is set
(an SNS topic of the operator's: none is created here). The conservation check is its own function on
a schedule: it runs `verify` on Athena over the raw objects the ETL committed in the last
ConservationHours hours, writes the result to state/conservation/last.json, and publishes
ConservationFailures, which the ConservationAlarm watches. The maintenance function runs Athena's OPTIMIZE
and VACUUM on the Glue database's Iceberg tables (handlers/maintenance.py); a failure fails the invocation,
which the MaintenanceErrorsAlarm watches.
"""

from __future__ import annotations

import json
from typing import Any

from loglake.deploy.template import (
    LAKE_BUCKET,
    RAW_BUCKET,
    RESULTS_BUCKET,
    Json,
    _bucket_arn,
    _function,
    _list_under,
    _log_group,
    _object_arns,
    _ref,
    _role,
    _statement,
    _sub,
    athena_query_statements,
    glue_arns,
)
from loglake.lake.iceberg_athena import DEFAULT_DAYS
from loglake.lake.keys import CLEAN_PREFIX, QUARANTINE_PREFIX, RAW_PREFIX, SCHEMA_PREFIX, STATE_PREFIX

CONSERVATION_HANDLER = "loglake.handlers.conservation.handler"
MAINTENANCE_HANDLER = "loglake.handlers.maintenance.handler"
CONSERVATION_STATE = f"{STATE_PREFIX}conservation/"
RUNS_STATE = f"{STATE_PREFIX}runs/"
NAMESPACE = "${NamePrefix}"
"""The metrics' namespace: LOGLAKE_METRICS_NAMESPACE in every function's environment."""

PARAMETERS: Json = {
    "AlarmTopicArn": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^$|^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$",
        "Description": "Optional SNS topic the alarms notify; with none, the alarms only change state.",
    },
    "QuarantineRatioAlarmPercent": {
        "Type": "Number",
        "Default": 5,
        "MinValue": 0,
        "MaxValue": 100,
        "Description": "Alarm when more than this percentage of the events the ETL read in 5 minutes is quarantined.",
    },
    "CollectorLagAlarmSeconds": {
        "Type": "Number",
        "Default": 3600,
        "MinValue": 60,
        "Description": "Alarm when a collected log group's newest event is older than this (now - event time).",
    },
    "ConservationRate": {
        "Type": "String",
        "Default": "rate(1 day)",
        "Description": "How often the conservation check runs on Athena.",
    },
    "ConservationHours": {
        "Type": "String",  # an environment value (a string; a Number's Ref is one on AWS, not in moto)
        "Default": "26",
        "AllowedPattern": "^[1-9][0-9]{0,3}$",
        "Description": "The check covers raw objects the ETL committed this many hours back (a little over the rate).",
    },
    "MaintenanceEnabled": {
        "Type": "String",
        "Default": "true",
        "AllowedValues": ["true", "false"],
        "Description": "Whether the Iceberg maintenance (Athena OPTIMIZE and VACUUM) runs on its schedule.",
    },
    "MaintenanceRate": {
        "Type": "String",
        "Default": "rate(1 hour)",
        "Description": "How often the Glue database's Iceberg tables are compacted (OPTIMIZE) and expired (VACUUM).",
    },
    "MaintenanceOlderThanSeconds": {
        "Type": "String",  # environment values
        "Default": "3600",
        "AllowedPattern": "^[0-9]{1,7}$",
        "Description": "OPTIMIZE rewrites the hours that ended at least this long ago (closed hours).",
    },
    "MaintenanceGraceSeconds": {
        "Type": "String",
        "Default": "3600",
        "AllowedPattern": "^(9[0-9]{2}|[1-9][0-9]{3,6})$",  # 900 (MIN_GRACE_S) to 9999999
        "ConstraintDescription": "whole seconds, at least 900: VACUUM deletes unreferenced files older than this, "
        "and an ETL invocation (up to 900 s) commits its files only at its end",
        "Description": "VACUUM keeps snapshots this young (vacuum_max_snapshot_age_seconds): longer than a query runs, "
        "and at least 900 s (the ETL's longest invocation).",
    },
    "MaintenanceDays": {
        "Type": "String",
        "Default": str(DEFAULT_DAYS),
        "AllowedPattern": "^[1-9][0-9]{0,3}$",
        "Description": "OPTIMIZE covers the closed hours from this many days before the newest closed hour's day "
        "(each run is bounded; older hours need a run with more days).",
    },
}

CONDITIONS: Json = {
    "UseAlarmTopic": {"Fn::Not": [{"Fn::Equals": [_ref("AlarmTopicArn"), ""]}]},
    "UseMaintenance": {"Fn::Equals": [_ref("MaintenanceEnabled"), "true"]},
}


def _actions() -> Json:
    return {"Fn::If": ["UseAlarmTopic", [_ref("AlarmTopicArn")], _ref("AWS::NoValue")]}


def _errors_alarm(name: str, description: str, function: str) -> Json:
    """Any failed invocation of `function` in five minutes (Lambda's own Errors metric)."""
    return _alarm(
        name,
        description,
        0,
        300,
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": _ref(function)}],
        Statistic="Sum",
    )


def _alarm(
    name: str, description: str, threshold: Any, period: int, *, missing: str = "notBreaching", **metric: Any
) -> Json:
    """One alarm, over one metric (Namespace, MetricName, Dimensions, Statistic) or metric math (Metrics).
    `missing` is "breaching" where silence itself is the fault: a metric every run sends (lag, conservation)
    is missing only when the run did not happen or died before printing it."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": _sub(f"${{NamePrefix}}-{name}"),
            "AlarmDescription": description,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": threshold,
            "EvaluationPeriods": 1,
            "TreatMissingData": missing,
            "AlarmActions": _actions(),
            **({"Period": period} if "Metrics" not in metric else {}),
            **metric,
        },
    }


def _loglake_metric(name: str, function: str) -> Json:
    return {
        "Namespace": _ref("NamePrefix"),
        "MetricName": name,
        "Dimensions": [{"Name": "Function", "Value": function}],
    }


def alarms() -> Json:
    def ratio_part(query_id: str, name: str) -> Json:
        return {
            "Id": query_id,
            "MetricStat": {"Metric": _loglake_metric(name, "etl"), "Period": 300, "Stat": "Sum"},
            "ReturnData": False,
        }

    return {
        "FailedInvocationsAlarm": _alarm(
            "failed-invocations",
            "An event a function could not process is in the FailedInvocations queue (docs/operations.md).",
            0,
            300,
            Namespace="AWS/SQS",
            MetricName="ApproximateNumberOfMessagesVisible",
            Dimensions=[{"Name": "QueueName", "Value": {"Fn::GetAtt": ["FailedInvocations", "QueueName"]}}],
            Statistic="Maximum",
        ),
        "EtlErrorsAlarm": _errors_alarm(
            "etl-errors",
            "ETL invocations failed (Lambda retries twice, then the event goes to FailedInvocations).",
            "EtlFunction",
        ),
        "CollectorErrorsAlarm": _errors_alarm(
            "collector-errors",
            "A collector run failed: CloudWatch refused it or the lake could not be written.",
            "CollectorFunction",
        ),
        "QuarantineRatioAlarm": _alarm(
            "quarantine-ratio",
            "More of the events the ETL read went to quarantine than QuarantineRatioAlarmPercent.",
            _ref("QuarantineRatioAlarmPercent"),
            300,
            Metrics=[
                ratio_part("quarantined", "EventsQuarantined"),
                ratio_part("clean", "EventsClean"),
                {
                    "Id": "ratio",
                    "Expression": "100 * quarantined / (quarantined + clean)",
                    "Label": "quarantined %",
                    "ReturnData": True,
                },
            ],
        ),
        "CollectorLagAlarm": _alarm(
            "collector-lag",
            "A collected log group's newest event is older than CollectorLagAlarmSeconds, or no collector run "
            "reported a lag in an hour (every run reports each group's lag from its checkpoint).",
            _ref("CollectorLagAlarmSeconds"),
            3600,
            missing="breaching",
            **_loglake_metric("LagSeconds", "collector"),
            Statistic="Maximum",
        ),
        "ConservationAlarm": _alarm(
            "conservation",
            "The scheduled conservation check found raw objects whose clean + quarantined rows do not match "
            "their events, could not run, or sent no result in a day (a timeout).",
            0,
            86400,
            missing="breaching",
            **_loglake_metric("ConservationFailures", "conservation"),
            Statistic="Maximum",
        ),
        "ConservationErrorsAlarm": _errors_alarm(
            "conservation-errors",
            "The conservation check's function failed (a timeout or an error before it published its result).",
            "ConservationFunction",
        ),
        "MaintenanceErrorsAlarm": _errors_alarm(
            "maintenance-errors",
            "Iceberg maintenance failed: an OPTIMIZE, VACUUM or ALTER TABLE on Athena failed for a table (its log "
            "and state/runs/maintenance.json name it), or the run could not list the tables.",
            "MaintenanceFunction",
        ),
    }


ALARM_NAMES = (
    "FailedInvocationsAlarm",
    "EtlErrorsAlarm",
    "CollectorErrorsAlarm",
    "QuarantineRatioAlarm",
    "CollectorLagAlarm",
    "ConservationAlarm",
    "ConservationErrorsAlarm",
    "MaintenanceErrorsAlarm",
)


def _widget(title: str, metrics: list[list[Any]], y: int, x: int, stat: str = "Sum", width: int = 12) -> Json:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": width,
        "height": 6,
        "properties": {
            "title": title,
            "region": "${AWS::Region}",
            "stat": stat,
            "period": 300,
            "view": "timeSeries",
            "metrics": metrics,
        },
    }


def dashboard_body() -> str:
    """The dashboard's JSON, with ${...} placeholders for Fn::Sub (names of this stack's resources)."""
    ns = NAMESPACE

    def own(name: str, function: str, **options: Any) -> list[Any]:
        return [ns, name, "Function", function, *([options] if options else [])]

    def lambda_metric(name: str, function: str) -> list[Any]:
        return ["AWS/Lambda", name, "FunctionName", f"${{{function}}}"]

    quarantine_by_reason = {
        "expression": f"SEARCH('{{{ns},Function,Reason}} MetricName=\"QuarantinedEvents\"', 'Sum', 300)",
        "id": "reasons",
        "label": "",
    }
    widgets = [
        {
            "type": "alarm",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 3,
            "properties": {"title": "Alarms", "alarms": [f"${{{name}.Arn}}" for name in ALARM_NAMES]},
        },
        _widget(
            "Events: collected, clean, quarantined",
            [own("EventsRead", "collector"), own("EventsClean", "etl"), own("EventsQuarantined", "etl")],
            3,
            0,
        ),
        _widget("Quarantined events by reason", [[quarantine_by_reason]], 3, 12),
        _widget(
            "Lag (s): now - newest event",
            [own("LagSeconds", "collector"), own("LagSeconds", "etl"), own("LagSeconds", "subscription")],
            9,
            0,
            stat="Maximum",
        ),
        _widget(
            "ETL duration (ms)",
            [own("Duration", "etl", stat="p50"), own("Duration", "etl", stat="p99"), own("ReadDuration", "etl")],
            9,
            12,
            stat="Average",
        ),
        _widget(
            "Bytes in / out",
            [own("BytesOut", "collector"), own("BytesIn", "etl"), own("BytesOut", "etl")],
            15,
            0,
        ),
        _widget(
            "CloudWatch API calls and throttles",
            [own("CloudWatchApiCalls", "collector"), own("CloudWatchThrottles", "collector")],
            15,
            12,
        ),
        _widget(
            "Function errors and invocations",
            [
                lambda_metric("Errors", "EtlFunction"),
                lambda_metric("Errors", "CollectorFunction"),
                lambda_metric("Errors", "ConservationFunction"),
                lambda_metric("Errors", "MaintenanceFunction"),
                lambda_metric("Invocations", "EtlFunction"),
            ],
            21,
            0,
        ),
        _widget(
            "Failed invocations queue, conservation failures",
            [
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${FailedInvocations.QueueName}"],
                own("ConservationFailures", "conservation"),
            ],
            21,
            12,
            stat="Maximum",
        ),
    ]
    return json.dumps({"widgets": widgets}, separators=(",", ":"))


def _conservation_role() -> Json:
    """Least privilege: run queries in the stack's workgroup, read the catalog and the zones Athena scans,
    read the ETL's state, and write only its own result, its run record and unreadable-object records."""
    lake_reads = [CLEAN_PREFIX, QUARANTINE_PREFIX, SCHEMA_PREFIX, STATE_PREFIX]
    statements = [
        *athena_query_statements(),  # the workgroup, the Glue reads and results/, as people's query policies
        _statement(["s3:GetObject"], _object_arns(LAKE_BUCKET, lake_reads) + _object_arns(RAW_BUCKET, [RAW_PREFIX])),
        _statement(
            ["s3:PutObject"],
            _object_arns(LAKE_BUCKET, [CONSERVATION_STATE, f"{RUNS_STATE}verify.json", f"{STATE_PREFIX}unreadable/"]),
        ),
        _list_under(LAKE_BUCKET, lake_reads),
        _list_under(RAW_BUCKET, [RAW_PREFIX]),
        _statement(
            ["s3:GetBucketLocation"], [_bucket_arn(LAKE_BUCKET), _bucket_arn(RAW_BUCKET), _bucket_arn(RESULTS_BUCKET)]
        ),
        _list_under(RESULTS_BUCKET, ["results/"]),
    ]
    return _role("loglake-conservation", statements, "ConservationLogGroup")


def _maintenance_role() -> Json:
    """Least privilege for what Athena does with the function's credentials: its queries in the workgroup,
    the Glue reads and the Iceberg commits (UpdateTable), reading and writing the tables' data and metadata
    under clean/ and deleting what VACUUM expires (without s3:DeleteObject VACUUM succeeds and deletes
    nothing: AWS's VACUUM page), listing clean/ for orphan files; and its own run record."""
    statements = [
        *athena_query_statements(),
        _statement(["glue:UpdateTable"], glue_arns()),
        _statement(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], _object_arns(LAKE_BUCKET, [CLEAN_PREFIX])),
        _list_under(LAKE_BUCKET, [CLEAN_PREFIX]),
        _statement(["s3:PutObject"], _object_arns(LAKE_BUCKET, [f"{RUNS_STATE}maintenance.json"])),
        _statement(["s3:GetBucketLocation"], [_bucket_arn(LAKE_BUCKET), _bucket_arn(RESULTS_BUCKET)]),
        _list_under(RESULTS_BUCKET, ["results/"]),
    ]
    return _role("loglake-maintenance", statements, "MaintenanceLogGroup")


def _no_retries(function: str) -> Json:
    """A scheduled function's failed run is not retried by Lambda (twice, by default): the next scheduled run
    is the retry, its errors alarm has already fired, and the failed event still reaches FailedInvocations."""
    return {
        "Type": "AWS::Lambda::EventInvokeConfig",
        "Properties": {"FunctionName": _ref(function), "Qualifier": "$LATEST", "MaximumRetryAttempts": 0},
    }


def _maintenance_resources() -> Json:
    return {
        "MaintenanceLogGroup": _log_group("${NamePrefix}-maintenance"),
        "MaintenanceRole": _maintenance_role(),
        "MaintenanceFunction": _function(
            "${NamePrefix}-maintenance",
            MAINTENANCE_HANDLER,
            "MaintenanceRole",
            "MaintenanceLogGroup",
            256,  # it waits on Athena; the work is Athena's
            900,
            1,  # one run at a time: two OPTIMIZE of one table would conflict
            {
                "LOGLAKE_ATHENA_WORKGROUP": _ref("AthenaWorkGroup"),
                "LOGLAKE_GLUE_DATABASE": _ref("GlueDatabase"),
                "LOGLAKE_MAINTENANCE_OLDER_THAN_S": _ref("MaintenanceOlderThanSeconds"),
                "LOGLAKE_MAINTENANCE_GRACE_S": _ref("MaintenanceGraceSeconds"),
                "LOGLAKE_MAINTENANCE_DAYS": _ref("MaintenanceDays"),
            },
        ),
        "MaintenanceInvokeConfig": _no_retries("MaintenanceFunction"),
        "MaintenanceSchedule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "Compact (OPTIMIZE) and expire (VACUUM) the Iceberg tables on Athena",
                "ScheduleExpression": _ref("MaintenanceRate"),
                "State": {"Fn::If": ["UseMaintenance", "ENABLED", "DISABLED"]},
                "Targets": [{"Id": "maintenance", "Arn": {"Fn::GetAtt": ["MaintenanceFunction", "Arn"]}}],
            },
        },
        "MaintenanceInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": ["MaintenanceFunction", "Arn"]},
                "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": ["MaintenanceSchedule", "Arn"]},
            },
        },
    }


def resources() -> Json:
    return {
        **_maintenance_resources(),
        **alarms(),
        "Dashboard": {
            "Type": "AWS::CloudWatch::Dashboard",
            "Properties": {"DashboardName": _sub("${NamePrefix}-pipeline"), "DashboardBody": _sub(dashboard_body())},
        },
        "ConservationLogGroup": _log_group("${NamePrefix}-conservation"),
        "ConservationRole": _conservation_role(),
        "ConservationFunction": _function(
            "${NamePrefix}-conservation",
            CONSERVATION_HANDLER,
            "ConservationRole",
            "ConservationLogGroup",
            1024,
            900,  # Athena queries over a large lake take minutes
            1,
            {
                "LOGLAKE_ATHENA_WORKGROUP": _ref("AthenaWorkGroup"),
                "LOGLAKE_GLUE_DATABASE": _ref("GlueDatabase"),
                "LOGLAKE_CONSERVATION_HOURS": _ref("ConservationHours"),
            },
        ),
        "ConservationInvokeConfig": _no_retries("ConservationFunction"),
        "ConservationSchedule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "Check conservation (clean + quarantined = raw events) on Athena",
                "ScheduleExpression": _ref("ConservationRate"),
                "State": "ENABLED",
                "Targets": [{"Id": "conservation", "Arn": {"Fn::GetAtt": ["ConservationFunction", "Arn"]}}],
            },
        },
        "ConservationInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": ["ConservationFunction", "Arn"]},
                "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": ["ConservationSchedule", "Arn"]},
            },
        },
    }


OUTPUTS: Json = {
    "DashboardName": {"Value": _ref("Dashboard")},
    "ConservationFunctionName": {"Value": _ref("ConservationFunction")},
    "MaintenanceFunctionName": {"Value": _ref("MaintenanceFunction")},
}
