"""Message parsers, one per file. Each declares how it recognises a message (a SQL predicate), what makes a
recognised message unusable (sent to quarantine with a reason), which columns it produces, and which
clean table its rows go to; each module lists examples that the tests run through the ETL.

The ETL tries them in the order of PARSERS: specific formats first, then generic JSON and logfmt, and
plain text last, which accepts everything, so every event ends in exactly one parser's output or in
quarantine. A route in loglake.toml can force one format for a log group (see settings.Route).
"""

from __future__ import annotations

from loglake.transform.parsers.access_log import AccessLogParser
from loglake.transform.parsers.alb import AlbParser
from loglake.transform.parsers.alb_connection import AlbConnectionParser
from loglake.transform.parsers.apache_error import ApacheErrorParser
from loglake.transform.parsers.apigateway_access_log import ApiGatewayAccessLogParser
from loglake.transform.parsers.apigateway_json import ApiGatewayJsonParser
from loglake.transform.parsers.base import FieldPlan, ParsePlan, Parser
from loglake.transform.parsers.cloudfront import CloudFrontParser
from loglake.transform.parsers.cloudfront_realtime import CloudFrontRealtimeParser
from loglake.transform.parsers.cloudtrail import CloudTrailParser
from loglake.transform.parsers.container_cri import ContainerCriParser
from loglake.transform.parsers.container_docker import ContainerDockerParser
from loglake.transform.parsers.ecs_firelens import EcsFirelensParser
from loglake.transform.parsers.elb_classic import ElbClassicParser
from loglake.transform.parsers.json_object import JsonObjectParser
from loglake.transform.parsers.lambda_platform import LambdaPlatformParser
from loglake.transform.parsers.lambda_platform_json import LambdaPlatformJsonParser
from loglake.transform.parsers.lambda_text import LambdaTextParser
from loglake.transform.parsers.logfmt import LogfmtParser
from loglake.transform.parsers.mysql_error import MysqlErrorParser
from loglake.transform.parsers.mysql_general import MysqlGeneralParser
from loglake.transform.parsers.mysql_slow import MysqlSlowParser
from loglake.transform.parsers.network_firewall import NetworkFirewallParser
from loglake.transform.parsers.nginx_error import NginxErrorParser
from loglake.transform.parsers.nlb import NlbParser
from loglake.transform.parsers.otlp_json import OtlpJsonParser
from loglake.transform.parsers.plain_text import PlainTextParser
from loglake.transform.parsers.rds_postgresql import RdsPostgresqlParser
from loglake.transform.parsers.route53_resolver import Route53ResolverParser
from loglake.transform.parsers.s3_access_log import S3AccessLogParser
from loglake.transform.parsers.stack_trace import StackTraceParser
from loglake.transform.parsers.syslog_rfc3164 import SyslogRfc3164Parser
from loglake.transform.parsers.syslog_rfc5424 import SyslogRfc5424Parser
from loglake.transform.parsers.syslog_rsyslog_file import SyslogRsyslogFileParser
from loglake.transform.parsers.vpc_flow_log import VpcFlowLogParser
from loglake.transform.parsers.waf import WafParser

PARSERS: tuple[Parser, ...] = (
    # JSON shapes with a known schema, before generic JSON.
    LambdaPlatformJsonParser(),
    CloudTrailParser(),
    ApiGatewayJsonParser(),
    ContainerDockerParser(),
    EcsFirelensParser(),
    OtlpJsonParser(),
    WafParser(),
    Route53ResolverParser(),
    NetworkFirewallParser(),
    JsonObjectParser(),
    # Line formats, most specific first.
    LambdaPlatformParser(),
    LambdaTextParser(),
    VpcFlowLogParser(),
    AlbParser(),
    NlbParser(),
    ElbClassicParser(),
    AlbConnectionParser(),
    S3AccessLogParser(),
    CloudFrontParser(),
    CloudFrontRealtimeParser(),
    ApiGatewayAccessLogParser(),
    AccessLogParser(),
    NginxErrorParser(),
    ApacheErrorParser(),
    ContainerCriParser(),
    RdsPostgresqlParser(),
    MysqlErrorParser(),
    MysqlGeneralParser(),
    MysqlSlowParser(),
    SyslogRfc5424Parser(),
    SyslogRfc3164Parser(),
    SyslogRsyslogFileParser(),
    StackTraceParser(),
    LogfmtParser(),
    PlainTextParser(),
)

__all__ = ["PARSERS", "FieldPlan", "ParsePlan", "Parser"]
