"""Whether an object's VPC or CloudFront header makes those parsers count fields: a parser's `sure` rules them out
only where they do not (see MysqlErrorParser.sure)."""

from __future__ import annotations

from loglake.transform.parsers.cloudfront import CloudFrontParser
from loglake.transform.parsers.vpc_flow_log import VpcFlowLogParser

HEADERS_COUNT_FIELDS = " OR ".join(f"coalesce({p.settled[0]}, false)" for p in (CloudFrontParser, VpcFlowLogParser))
"""SQL: true where a VPC or CloudFront header of the object makes their detection count blank- or tab-separated
fields (their `custom`, a value per object: etl._settled), so that a line of any shape with that many fields may be
theirs; every `sure` is false there."""
