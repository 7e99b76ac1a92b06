"""The template's operations part: alarms on the functions' EMF metrics, the dashboard, the optional SNS
topic, and the scheduled conservation check with a least-privilege role."""

from __future__ import annotations

import json
import re
from typing import Any

from cfnlint.api import lint

from loglake.deploy.operations import ALARM_NAMES
from loglake.deploy.template import build_template
from loglake.errors import ConfigError
from loglake.handlers.metrics import NAMESPACE
from loglake.lake.iceberg_athena import MIN_GRACE_S, maintained_name

IF_TOPIC = {"Fn::If": ["UseAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def test_the_alarms_watch_the_queue_the_functions_and_the_emf_metrics() -> None:
    found = alarms(build_template())
    assert sorted(found) == [
        "CollectorErrorsAlarm",
        "CollectorLagAlarm",
        "ConservationAlarm",
        "ConservationErrorsAlarm",
        "EtlDeadLettersAlarm",  # only with EtlBatchSize > 1 (tests/deploy/test_template.py)
        "EtlErrorsAlarm",
        "EtlRetriedMessagesAlarm",  # only with EtlBatchSize > 1
        "FailedInvocationsAlarm",
        "MaintenanceErrorsAlarm",
        "QuarantineRatioAlarm",
    ]
    for props in found.values():
        assert props["AlarmActions"] == IF_TOPIC
        assert (props["ComparisonOperator"], props["EvaluationPeriods"]) == ("GreaterThanThreshold", 1)
    silence_is_a_fault = {"CollectorLagAlarm", "ConservationAlarm"}  # their metric is sent by every run
    assert {name for name, props in found.items() if props["TreatMissingData"] == "breaching"} == silence_is_a_fault
    assert {props["TreatMissingData"] for name, props in found.items() if name not in silence_is_a_fault} == {
        "notBreaching"
    }
    queue = found["FailedInvocationsAlarm"]
    assert (queue["Namespace"], queue["MetricName"], queue["Statistic"], queue["Threshold"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "Maximum",
        0,
    )
    assert queue["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["FailedInvocations", "QueueName"]}}]
    etl = found["EtlErrorsAlarm"]
    assert (etl["Namespace"], etl["MetricName"], etl["Statistic"], etl["Threshold"]) == (
        "AWS/Lambda",
        "Errors",
        "Sum",
        0,
    )
    assert etl["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "EtlFunction"}}]
    lag = found["CollectorLagAlarm"]
    assert (lag["Namespace"], lag["MetricName"], lag["Statistic"]) == ({"Ref": "NamePrefix"}, "LagSeconds", "Maximum")
    assert lag["Dimensions"] == [{"Name": "Function", "Value": "collector"}]
    assert (lag["Threshold"], lag["Period"]) == ({"Ref": "CollectorLagAlarmSeconds"}, 3600)
    conservation = found["ConservationAlarm"]
    assert (conservation["MetricName"], conservation["Period"], conservation["Threshold"]) == (
        "ConservationFailures",
        86400,
        0,
    )
    assert conservation["Dimensions"] == [{"Name": "Function", "Value": "conservation"}]
    errors = found["ConservationErrorsAlarm"]  # a timeout prints no EMF: Lambda's Errors still counts it
    assert (errors["Namespace"], errors["MetricName"], errors["Statistic"], errors["Threshold"]) == (
        "AWS/Lambda",
        "Errors",
        "Sum",
        0,
    )
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "ConservationFunction"}}]


def test_the_quarantine_ratio_is_metric_math_over_the_etls_counts() -> None:
    ratio = alarms(build_template())["QuarantineRatioAlarm"]
    assert ratio["Threshold"] == {"Ref": "QuarantineRatioAlarmPercent"} and "Period" not in ratio
    queries = {q["Id"]: q for q in ratio["Metrics"]}
    assert queries["ratio"] == {
        "Id": "ratio",
        "Expression": "100 * quarantined / (quarantined + clean)",
        "Label": "quarantined %",
        "ReturnData": True,
    }
    for query_id, name in (("quarantined", "EventsQuarantined"), ("clean", "EventsClean")):
        stat = queries[query_id]["MetricStat"]
        assert stat == {
            "Metric": {
                "Namespace": {"Ref": "NamePrefix"},
                "MetricName": name,
                "Dimensions": [{"Name": "Function", "Value": "etl"}],
            },
            "Period": 300,
            "Stat": "Sum",
        }
        assert queries[query_id]["ReturnData"] is False


def test_the_alarm_topic_is_optional() -> None:
    template = build_template()
    topic = template["Parameters"]["AlarmTopicArn"]
    assert topic["Default"] == ""
    pattern = re.compile(topic["AllowedPattern"])
    assert pattern.fullmatch("") and pattern.fullmatch("arn:aws:sns:us-east-1:123456789012:ops-alerts")
    assert not pattern.fullmatch("ops-alerts") and not pattern.fullmatch("arn:aws:sqs:us-east-1:123456789012:q")
    assert template["Conditions"]["UseAlarmTopic"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}


def test_the_functions_publish_in_the_stacks_namespace() -> None:
    resources = build_template(["/aws/lambda/orders"])["Resources"]
    functions = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 5
    for function in functions:
        assert function["Properties"]["Environment"]["Variables"]["LOGLAKE_METRICS_NAMESPACE"] == {"Ref": "NamePrefix"}
    assert build_template()["Parameters"]["NamePrefix"]["Default"] == NAMESPACE


def _substituted_dashboard() -> dict[str, Any]:
    body = build_template()["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    values = {"AWS::Region": "eu-west-1", "NamePrefix": "loglake", "FailedInvocations.QueueName": "q"}
    names = set(re.findall(r"\$\{([^}]+)\}", body))
    for name in names:
        value = values.get(name) or (f"arn:{name}" if name.endswith(".Arn") else f"fn-{name}")
        body = body.replace(f"${{{name}}}", value)
    return dict(json.loads(body))


def test_the_dashboard_is_valid_json_with_every_alarm_and_the_pipeline_figures() -> None:
    template = build_template()
    dashboard = template["Resources"]["Dashboard"]
    assert dashboard["Type"] == "AWS::CloudWatch::Dashboard"
    assert dashboard["Properties"]["DashboardName"] == {"Fn::Sub": "${NamePrefix}-pipeline"}
    widgets = _substituted_dashboard()["widgets"]
    assert widgets[0]["type"] == "alarm"
    assert widgets[0]["properties"]["alarms"] == [f"arn:{name}.Arn" for name in ALARM_NAMES]
    # every alarm the stack always has; the batched ETL's dead-letter alarm exists only with EtlBatchSize > 1
    assert set(ALARM_NAMES) == set(alarms(template)) - {"EtlDeadLettersAlarm", "EtlRetriedMessagesAlarm"}
    titles = [w["properties"]["title"] for w in widgets[1:]]
    assert titles == [
        "Events: collected, clean, quarantined",
        "Quarantined events by reason",
        "Lag (s): now - newest event",
        "ETL duration (ms)",
        "Bytes in / out",
        "CloudWatch API calls and throttles",
        "Function errors and invocations",
        "Failed invocations queue, conservation failures",
    ]
    for widget in widgets[1:]:
        assert widget["properties"]["region"] == "eu-west-1"
        for metric in widget["properties"]["metrics"]:
            if isinstance(metric[0], dict):
                assert metric[0]["expression"].startswith("SEARCH('{loglake,Function,Reason}")
            else:
                assert metric[0] in ("loglake", "AWS/Lambda", "AWS/SQS")
    # Every placeholder names a parameter, a pseudo parameter or a resource of the template.
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for name in set(re.findall(r"\$\{([^}.]+)", body)):
        assert name in template["Resources"] or name in template["Parameters"] or name == "AWS::Region"


def test_athena_queries_are_granted_by_one_shared_set_of_statements() -> None:
    """The conservation function and people's query policies run Athena with the same grants, written once
    (template.athena_query_statements), each present exactly once in every such policy (review item 15)."""
    from loglake.deploy.template import athena_query_statements

    resources = build_template()["Resources"]
    shared = athena_query_statements()
    assert [s["Action"][0] for s in shared] == ["athena:StartQueryExecution", "glue:GetDatabase", "s3:GetObject"]
    documents = {
        "ConservationRole": resources["ConservationRole"]["Properties"]["Policies"][0]["PolicyDocument"],
        "MaintenanceRole": resources["MaintenanceRole"]["Properties"]["Policies"][0]["PolicyDocument"],
        **{
            name: resource["Properties"]["PolicyDocument"]
            for name, resource in resources.items()
            if resource["Type"] == "AWS::IAM::ManagedPolicy" and "athena" in json.dumps(resource)
        },
    }
    assert len(documents) == 4  # the conservation and maintenance roles and the two query policies
    for document in documents.values():
        assert [document["Statement"].count(statement) for statement in shared] == [1, 1, 1]


def test_the_conservation_check_runs_on_a_schedule_with_least_privilege() -> None:
    resources = build_template()["Resources"]
    function = resources["ConservationFunction"]["Properties"]
    assert function["Handler"] == "loglake.handlers.conservation.handler"
    assert function["Environment"]["Variables"]["LOGLAKE_CONSERVATION_HOURS"] == {"Ref": "ConservationHours"}
    assert function["Environment"]["Variables"]["LOGLAKE_ATHENA_WORKGROUP"] == {"Ref": "AthenaWorkGroup"}
    schedule = resources["ConservationSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == {"Ref": "ConservationRate"}
    assert schedule["Targets"] == [{"Id": "conservation", "Arn": {"Fn::GetAtt": ["ConservationFunction", "Arn"]}}]
    statements = resources["ConservationRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {action for s in statements for action in s["Action"]}
    assert not any(a.endswith("*") for a in actions)
    assert not {"s3:DeleteObject", "glue:CreateTable", "glue:UpdateTable", "athena:CreateWorkGroup"} & actions
    writes = [s for s in statements if "s3:PutObject" in s["Action"] and "s3:AbortMultipartUpload" not in s["Action"]]
    assert [r["Fn::Sub"] for s in writes for r in s["Resource"]] == [
        "arn:${AWS::Partition}:s3:::${NamePrefix}-lake-${AWS::AccountId}-${AWS::Region}/state/conservation/*",
        "arn:${AWS::Partition}:s3:::${NamePrefix}-lake-${AWS::AccountId}-${AWS::Region}/state/runs/verify.json*",
        "arn:${AWS::Partition}:s3:::${NamePrefix}-lake-${AWS::AccountId}-${AWS::Region}/state/unreadable/*",
    ]
    athena = next(s for s in statements if "athena:StartQueryExecution" in s["Action"])
    assert athena["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${NamePrefix}"
    }
    assert {"Ref": "ConservationRole"} in resources["KmsPolicy"]["Properties"]["Roles"]


LAKE_ARN = "arn:${AWS::Partition}:s3:::${NamePrefix}-lake-${AWS::AccountId}-${AWS::Region}"


def test_the_iceberg_maintenance_runs_on_a_schedule_with_least_privilege() -> None:
    template = build_template()
    resources = template["Resources"]
    function = resources["MaintenanceFunction"]["Properties"]
    assert function["Handler"] == "loglake.handlers.maintenance.handler"
    assert (function["Timeout"], function["ReservedConcurrentExecutions"]) == (900, 1)
    assert {k: v for k, v in function["Environment"]["Variables"].items() if k.startswith("LOGLAKE_")} == {
        "LOGLAKE_LAKE": {"Fn::Sub": "s3://${NamePrefix}-lake-${AWS::AccountId}-${AWS::Region}"},
        "LOGLAKE_RAW": {"Fn::Sub": "s3://${NamePrefix}-raw-${AWS::AccountId}-${AWS::Region}"},
        "LOGLAKE_METRICS_NAMESPACE": {"Ref": "NamePrefix"},
        "LOGLAKE_ATHENA_WORKGROUP": {"Ref": "AthenaWorkGroup"},
        "LOGLAKE_GLUE_DATABASE": {"Ref": "GlueDatabase"},
        "LOGLAKE_MAINTENANCE_OLDER_THAN_S": {"Ref": "MaintenanceOlderThanSeconds"},
        "LOGLAKE_MAINTENANCE_GRACE_S": {"Ref": "MaintenanceGraceSeconds"},
        "LOGLAKE_MAINTENANCE_DAYS": {"Ref": "MaintenanceDays"},
    }
    parameters = template["Parameters"]
    assert [parameters[p]["Default"] for p in ("MaintenanceEnabled", "MaintenanceRate")] == ["true", "rate(1 hour)"]
    assert [parameters[p]["Default"] for p in ("MaintenanceGraceSeconds", "MaintenanceDays")] == ["3600", "2"]
    assert template["Conditions"]["UseMaintenance"] == {"Fn::Equals": [{"Ref": "MaintenanceEnabled"}, "true"]}
    schedule = resources["MaintenanceSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == {"Ref": "MaintenanceRate"}
    assert schedule["State"] == {"Fn::If": ["UseMaintenance", "ENABLED", "DISABLED"]}
    assert schedule["Targets"] == [{"Id": "maintenance", "Arn": {"Fn::GetAtt": ["MaintenanceFunction", "Arn"]}}]
    statements = resources["MaintenanceRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {action for s in statements for action in s["Action"]}
    assert not any(a.endswith("*") for a in actions)
    assert not {"glue:CreateTable", "glue:DeleteTable", "s3:DeleteObjectVersion", "athena:CreateWorkGroup"} & actions
    # Athena reads, writes and (VACUUM) deletes the tables' files with the function's role: under clean/ only.
    deletes = [r["Fn::Sub"] for s in statements if "s3:DeleteObject" in s["Action"] for r in s["Resource"]]
    assert deletes == [f"{LAKE_ARN}/clean/*"]
    writes = [r["Fn::Sub"] for s in statements if "s3:PutObject" in s["Action"] for r in s["Resource"]]
    assert writes == [
        "arn:${AWS::Partition}:s3:::${NamePrefix}-athena-${AWS::AccountId}-${AWS::Region}/results/*",
        f"{LAKE_ARN}/clean/*",
        f"{LAKE_ARN}/state/runs/maintenance.json*",
    ]
    (update,) = [s for s in statements if "glue:UpdateTable" in s["Action"]]
    assert update["Action"] == ["glue:UpdateTable"]
    assert [r["Fn::Sub"].rsplit(":", 1)[1] for r in update["Resource"]] == [
        "catalog",
        "database/${GlueDatabase}",
        "table/${GlueDatabase}/*",
    ]
    errors = resources["MaintenanceErrorsAlarm"]["Properties"]
    assert (errors["MetricName"], errors["Threshold"], errors["Dimensions"]) == (
        "Errors",
        0,
        [{"Name": "FunctionName", "Value": {"Ref": "MaintenanceFunction"}}],
    )
    assert {"Ref": "MaintenanceRole"} in resources["KmsPolicy"]["Properties"]["Roles"]


def test_the_etl_and_the_collector_may_write_only_their_own_run_record() -> None:
    resources = build_template()["Resources"]
    for role, kind in (("EtlRole", "etl"), ("CollectorRole", "collect")):
        statements = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        runs = [
            r["Fn::Sub"]
            for s in statements
            for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
            if isinstance(r, dict) and "Fn::Sub" in r and "/state/runs/" in r["Fn::Sub"]
        ]
        assert runs == [
            f"arn:${{AWS::Partition}}:s3:::${{NamePrefix}}-lake-${{AWS::AccountId}}-${{AWS::Region}}/state/runs/{kind}.json*"
        ]


def test_the_grace_parameter_refuses_less_than_an_etl_invocation() -> None:
    """VACUUM deletes unreferenced files older than the grace; an ETL invocation (up to EtlTimeout's 900 s)
    references its files only when it commits: a shorter grace (0 was accepted) loses them."""
    parameters = build_template()["Parameters"]
    assert MIN_GRACE_S == 900 >= parameters["EtlTimeout"]["MaxValue"]
    pattern = re.compile(parameters["MaintenanceGraceSeconds"]["AllowedPattern"])
    accepted = [n for n in range(0, 20_000) if pattern.fullmatch(str(n))]
    assert (accepted[0], len(accepted)) == (MIN_GRACE_S, 20_000 - MIN_GRACE_S)
    assert [v for v in ("9999999", "10000000", "0900", "", "1h", "-1") if pattern.fullmatch(v)] == ["9999999"]
    days = re.compile(parameters["MaintenanceDays"]["AllowedPattern"])
    assert [v for v in ("0", "1", "2", "9999", "10000", "01", "") if days.fullmatch(v)] == ["1", "2", "9999"]


def _maintainable(database: str) -> bool:
    try:
        maintained_name("logs", database)
    except ConfigError:
        return False
    return True


def test_the_glue_database_pattern_is_the_names_maintenance_accepts() -> None:
    """`2024logs` passed the template's pattern and then failed every maintenance run; both now use one rule
    (catalog/glue_names.py), so a 65-character name, which maintenance accepted, is refused by both."""
    pattern = re.compile(build_template()["Parameters"]["GlueDatabase"]["AllowedPattern"])
    names = ["loglake", "logs_2024", "a", "a" * 64, "a" * 65, "2024logs", "_logs", "Logs", "log-lake", "", "l\u00f6g"]
    assert [n for n in names if pattern.fullmatch(n)] == ["loglake", "logs_2024", "a", "a" * 64]
    assert [n for n in names if n and _maintainable(n)] == ["loglake", "logs_2024", "a", "a" * 64]


def test_the_scheduled_functions_are_not_retried_by_lambda() -> None:
    """A failed scheduled run is retried by the next schedule; Lambda's two retries would only triple its cost
    (and, for maintenance, its Athena commits) before the event reaches FailedInvocations."""
    resources = build_template()["Resources"]
    configs = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::Lambda::EventInvokeConfig"}
    assert configs == {
        "ConservationInvokeConfig": {
            "FunctionName": {"Ref": "ConservationFunction"},
            "Qualifier": "$LATEST",
            "MaximumRetryAttempts": 0,
        },
        "MaintenanceInvokeConfig": {
            "FunctionName": {"Ref": "MaintenanceFunction"},
            "Qualifier": "$LATEST",
            "MaximumRetryAttempts": 0,
        },
    }


def test_cfn_lint_accepts_the_operations_resources() -> None:
    assert [str(m) for m in lint(json.dumps(build_template()), regions=["us-east-1"])] == []
