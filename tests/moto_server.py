"""The tests' moto server, with CloudFormation support for what loglake's template uses and moto 5.2.5 skips.

moto's CloudFormation creates S3 buckets with their encryption only; it ignores public-access blocks,
ownership controls, versioning and notifications (on an update too), and has no model for bucket policies,
Glue databases or Athena workgroups (it logs "No Moto CloudFormation support" and creates nothing). This module fills
those gaps by calling moto's own S3, Glue and Athena backends with the template's properties, so the
test reads them back through the real S3/Glue/Athena APIs. Nothing here decides what a test sees: a
property missing from the template is missing from the bucket.

Four fixes make moto evaluate conditions as CloudFormation does: a Number parameter's Ref is a string in
Fn::Equals, an update leaves alone a resource whose condition is false and deletes one whose condition
turned false, and a changed parameter updates the resources whose Fn::If conditions read it.

Run as `python tests/moto_server.py -H 127.0.0.1 -p PORT` (the arguments of `python -m moto.server`), or with
`--port-file PATH` instead of `-p` to listen on a free port and write its number to PATH (what the tests do).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from flask import has_request_context, request
from moto.athena.models import athena_backends
from moto.cloudformation import parsing as cloudformation_parsing
from moto.cloudformation.models import CloudFormationBackend
from moto.core.common_models import CloudFormationModel
from moto.glue.models import glue_backends
from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition


def _s3(account_id: str, region_name: str) -> Any:
    return s3_backends[account_id][get_partition(region_name)]


def _notification(properties: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration in the shape moto's S3 XML parser produces (Lambda and SQS
    destinations)."""
    shape: dict[str, Any] = {}
    kinds = (
        ("LambdaConfigurations", "Function", "CloudFunction", "lambda"),
        ("QueueConfigurations", "Queue", "Queue", "sqs"),
    )
    for template_key, target, moto_key, name in kinds:
        entries = []
        for index, config in enumerate(properties.get(template_key, [])):
            rules = config.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            entry: dict[str, Any] = {"Id": f"{name}-{index}", moto_key: config[target], "Event": [config["Event"]]}
            if rules:
                entry["Filter"] = {"S3Key": {"FilterRule": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
            entries.append(entry)
        if entries:
            shape[f"{'CloudFunction' if name == 'lambda' else 'Queue'}Configuration"] = entries
    return shape


_create_bucket = FakeBucket.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _create_bucket_with_settings(
    cls: type[FakeBucket], resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
) -> FakeBucket:
    bucket = _create_bucket(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
    properties = cloudformation_json.get("Properties", {})
    backend = _s3(account_id, region_name)
    if "PublicAccessBlockConfiguration" in properties:
        backend.put_public_access_block(bucket.name, properties["PublicAccessBlockConfiguration"])
    if "OwnershipControls" in properties:
        rule = properties["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
        backend.put_bucket_ownership_controls(bucket.name, {"Rule": {"ObjectOwnership": rule}})
    if "VersioningConfiguration" in properties:
        backend.put_bucket_versioning(bucket.name, properties["VersioningConfiguration"]["Status"])
    if "NotificationConfiguration" in properties:
        bucket.set_notification_configuration(_notification(properties["NotificationConfiguration"]))
    return bucket


FakeBucket.create_from_cloudformation_json = classmethod(_create_bucket_with_settings)  # type: ignore[assignment]

_update_bucket = FakeBucket.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _update_bucket_with_notification(
    cls: type[FakeBucket],
    original_resource: FakeBucket,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> FakeBucket:
    """moto's update applies a bucket's encryption and tags only: its notification follows the template too
    (EtlBatchSize 1 <-> N switches it between the function and the queue)."""
    bucket = _update_bucket(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    properties = cloudformation_json.get("Properties", {})
    bucket.set_notification_configuration(_notification(properties.get("NotificationConfiguration", {})))
    return bucket


FakeBucket.update_from_cloudformation_json = classmethod(_update_bucket_with_notification)  # type: ignore[assignment]


CONDITIONS: dict[str, Callable[[str, str], bool]] = {
    "Bool": lambda expected, actual: actual.lower() == expected.lower(),
    "NumericLessThan": lambda expected, actual: float(actual) < float(expected),
    "StringEquals": lambda expected, actual: actual == expected,
    "StringLike": lambda expected, actual: fnmatchcase(actual, expected),
}


def _listed(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _applies(statement: dict[str, Any], action: str, resource: str, values: dict[str, str]) -> bool:
    if not any(fnmatchcase(action, a) for a in _listed(statement.get("Action", []))):
        return False
    if not any(fnmatchcase(resource, r) for r in _listed(statement.get("Resource", []))):
        return False
    for operator, keys in statement.get("Condition", {}).items():
        for key, expected in keys.items():
            if key not in values or not any(CONDITIONS[operator](e, values[key]) for e in _listed(expected)):
                return False
    return True


def _get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
    """AWS's evaluation of a bucket policy: an explicit Deny wins, then an Allow, else no opinion.

    moto's own evaluation treats an unmet condition on a Deny as a denial, and knows neither Bool nor
    the request's transport, so a TLS-only policy would refuse every request."""
    if self.policy is None:
        return PermissionResult.NEUTRAL
    secure = has_request_context() and request.scheme == "https"
    # The server runs Python's default TLS context, which refuses anything older than TLS 1.2.
    values = {"aws:SecureTransport": str(secure).lower(), "s3:TlsVersion": "1.2" if secure else "0"}
    statements = json.loads(self.policy)["Statement"]
    matched = [
        s["Effect"]
        for s in (statements if isinstance(statements, list) else [statements])
        if _applies(s, action, resource, values)
    ]
    if "Deny" in matched:
        return PermissionResult.DENIED
    return PermissionResult.PERMITTED if "Allow" in matched else PermissionResult.NEUTRAL


FakeBucket.get_permission = _get_permission  # type: ignore[method-assign]


_parse_condition = cloudformation_parsing.parse_condition


def _parse_condition_with_string_refs(condition: Any, resources_map: Any, condition_map: dict[str, Any]) -> bool:
    """Fn::Equals as CloudFormation evaluates it: a Number parameter's Ref is a string there ("1"), where moto
    keeps the number and finds 1 unequal to "1" (EtlBatchSize's DirectEtl was false with its default)."""
    if isinstance(condition, dict) and list(condition) == ["Fn::Equals"]:
        left, right = (
            value if not isinstance(value, dict) else cloudformation_parsing.clean_json(value, resources_map)
            for value in condition["Fn::Equals"]
        )
        if isinstance(left, int | float) and not isinstance(left, bool) and isinstance(right, str):
            return str(left) == right
    return bool(_parse_condition(condition, resources_map, condition_map))


cloudformation_parsing.parse_condition = _parse_condition_with_string_refs

_parse_and_update_resource = cloudformation_parsing.parse_and_update_resource


def _update_only_resources_that_exist(
    logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
) -> Any:
    """moto updates a resource whose parameter changed even when its condition is false (CloudFormation
    leaves it uncreated), and fails resolving its references to the other uncreated resources."""
    condition = resource_json.get("Condition")
    if isinstance(condition, str) and not resources_map.lazy_condition_map[condition]:
        return resources_map._parsed_resources.get(logical_id)
    return _parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name)


cloudformation_parsing.parse_and_update_resource = _update_only_resources_that_exist


_build_resource_diff = cloudformation_parsing.ResourceMap.build_resource_diff


def _conditions_in(value: Any) -> set[str]:
    """The conditions a resource's Fn::If names, anywhere in it."""
    if isinstance(value, list):
        return {c for v in value for c in _conditions_in(v)}
    if not isinstance(value, dict):
        return set()
    found = {c for v in value.values() for c in _conditions_in(v)}
    if isinstance(value.get("Fn::If"), list) and value["Fn::If"]:
        found.add(str(value["Fn::If"][0]))
    return found


def _diff_with_conditions(self: Any, other_template: dict[str, Any], parameters: dict[str, Any] | None = None) -> Any:
    """moto modifies a resource whose own Refs name a changed parameter; CloudFormation also re-evaluates its
    Fn::If conditions (the raw bucket's notification follows EtlBatchSize through BatchedEtl)."""
    diff = _build_resource_diff(self, other_template, parameters)
    if parameters:
        changed = {p for p in parameters if self.input_parameters.get(p) != parameters[p]}
        conditions = other_template.get("Conditions", {})
        references = cloudformation_parsing.get_references_from_template
        touched = {name for name, c in conditions.items() if changed & set(references(c))}
        for name, resource in other_template["Resources"].items():
            if name in self._resource_json_map and name not in diff["Modify"] and touched & _conditions_in(resource):
                diff["Modify"].append(name)
    return diff


cloudformation_parsing.ResourceMap.build_resource_diff = _diff_with_conditions  # type: ignore[method-assign]

_update_resources = cloudformation_parsing.ResourceMap.update


def _update_deleting_what_turned_false(
    self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None
) -> None:
    """CloudFormation deletes a resource whose condition an update turns false; moto keeps it."""
    _update_resources(self, template, parameters)
    for name, resource_json in reversed(template["Resources"].items()):
        condition = resource_json.get("Condition")
        if isinstance(condition, str) and not self.lazy_condition_map[condition]:
            resource = self._parsed_resources.pop(name, None)
            if resource is not None and not isinstance(resource, str):
                self._delete_resource(resource, resource_json)


cloudformation_parsing.ResourceMap.update = _update_deleting_what_turned_false  # type: ignore[method-assign]

_execute_change_set = CloudFormationBackend.execute_change_set


def _execute_change_set_with_outputs(
    self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None
) -> None:
    """moto applies a change set's resources but keeps the template and outputs the stack had before
    (none, for a stack created by a change set)."""
    _execute_change_set(self, change_set_name, stack_name)
    for stack in self.stacks.values():
        if stack.name == stack_name or stack.stack_id == stack_name:
            stack._parse_template()
            stack.output_map = stack._create_output_map()


CloudFormationBackend.execute_change_set = _execute_change_set_with_outputs  # type: ignore[method-assign]

MODULE = "tests.loglake_cloudformation"  # moto files models by the second part of their module name


class _Named:
    """What the models below share: CloudFormation's Ref of each is the name it was created with."""

    def __init__(self, physical_resource_id: str) -> None:
        self.physical_resource_id = physical_resource_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""


class BucketPolicy(_Named, CloudFormationModel):  # moto only looks at direct subclasses
    __module__ = MODULE

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> BucketPolicy:
        properties = cloudformation_json["Properties"]
        policy = json.dumps(properties["PolicyDocument"]).encode()
        _s3(account_id, region_name).put_bucket_policy(properties["Bucket"], policy)
        return cls(properties["Bucket"])


class QueuePolicy(_Named, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> QueuePolicy:
        from moto.sqs.models import sqs_backends

        properties = cloudformation_json["Properties"]
        backend = sqs_backends[account_id][region_name]
        for url in properties["Queues"]:
            backend.set_queue_attributes(
                url.rstrip("/").split("/")[-1], {"Policy": json.dumps(properties["PolicyDocument"])}
            )
        return cls(resource_name)


class GlueDatabase(_Named, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Glue::Database"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> GlueDatabase:
        database_input = cloudformation_json["Properties"]["DatabaseInput"]
        glue_backends[account_id][region_name].create_database(database_input["Name"], database_input)
        return cls(database_input["Name"])


class AthenaWorkGroup(_Named, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Athena::WorkGroup"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> AthenaWorkGroup:
        properties = cloudformation_json["Properties"]
        athena_backends[account_id][region_name].create_work_group(
            properties["Name"],
            properties.get("WorkGroupConfiguration", {}),
            properties.get("Description", ""),
            properties.get("Tags", []),
        )
        return cls(properties["Name"])


class CloudWatchAlarm(_Named, CloudFormationModel):
    """moto 5.2.5 has a CloudFormation model for dashboards but not for alarms: this one puts the alarm
    through moto's CloudWatch backend, as PutMetricAlarm would, so DescribeAlarms shows it."""

    __module__ = MODULE

    def __init__(self, name: str, arn: str) -> None:
        super().__init__(name)
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> CloudWatchAlarm:
        from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends

        p = cloudformation_json["Properties"]
        queries = []
        for query in p.get("Metrics", []):
            stat = query.get("MetricStat")
            metric_stat = None
            if stat is not None:
                dimensions = [Dimension(d["Name"], d["Value"]) for d in stat["Metric"].get("Dimensions", [])]
                metric = Metric(stat["Metric"]["MetricName"], stat["Metric"]["Namespace"], dimensions)
                metric_stat = MetricStat(metric, stat["Period"], stat["Stat"], stat.get("Unit"))
            queries.append(
                MetricDataQuery(
                    query["Id"], query.get("Label"), query.get("Period"), query.get("ReturnData"),
                    query.get("Expression"), metric_stat,
                )
            )  # fmt: skip
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=p.get("AlarmName") or resource_name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            period=p.get("Period"),
            threshold=float(p["Threshold"]),
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription", ""),
            dimensions=p.get("Dimensions", []),
            alarm_actions=p.get("AlarmActions", []),
            metric_data_queries=queries or None,
            treat_missing_data=p.get("TreatMissingData"),
        )
        return cls(alarm.name, alarm.alarm_arn)


def serve_on_a_free_port(argv: list[str]) -> None:
    """`--port-file PATH`: bind a port the system chooses and write its number to PATH once listening.

    A port probed free by the tests and bound here later could be taken in between by any process on the
    machine (another test run's server, even another moto that the tests would then reset and use): the
    socket this process listens on is the one whose number it reports."""
    import argparse
    import os
    from pathlib import Path

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("-c", "--ssl-cert")
    parser.add_argument("-k", "--ssl-key")
    args = parser.parse_args(argv)
    app = DomainDispatcherApplication(create_backend_app)
    tls = (args.ssl_cert, args.ssl_key) if args.ssl_cert and args.ssl_key else None
    server = make_server(args.host, 0, app, threaded=True, request_handler=MotoRequestHandler, ssl_context=tls)
    os.environ["MOTO_PORT"] = str(server.port)  # what moto puts in the URLs it hands out, as its main() does
    written = Path(f"{args.port_file}.tmp")
    written.write_text(str(server.port))
    written.replace(args.port_file)  # whole, or not there yet
    server.serve_forever()


if __name__ == "__main__":
    if "--port-file" in sys.argv:
        serve_on_a_free_port(sys.argv[1:])
    else:
        from moto.server import main

        main(sys.argv[1:])
