from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from loglake.aws_calls import call_aws
from loglake.errors import QueryError


def test_aws_errors_become_one_line_loglake_errors() -> None:
    client = boto3.client("athena", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("get_query_execution", "InvalidRequestException", "QueryExecution abc\n  was not found")
        with pytest.raises(QueryError) as info:
            call_aws(client, "Athena", QueryError, "get_query_execution", QueryExecutionId="abc")
    assert str(info.value) == (
        "Athena refused get_query_execution: InvalidRequestException: QueryExecution abc was not found"
    )
    with Stubber(client) as stub:
        stub.add_response("get_query_execution", {"QueryExecution": {"QueryExecutionId": "abc"}})
        answer = call_aws(client, "Athena", QueryError, "get_query_execution", QueryExecutionId="abc")
    assert answer["QueryExecution"]["QueryExecutionId"] == "abc"
