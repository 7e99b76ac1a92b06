"""Athena as the query engine: the same SQL text as locally, run in a workgroup over the S3 lake.

A query is submitted with StartQueryExecution, polled with backoff (0.2 s growing to 2 s), and its
result read page by page (1,000 rows). Ctrl-C stops the query on Athena before giving up. The bytes
scanned, the cost at $5 per TB (Athena bills at least 10 MB per query) and the time are reported.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from loglake.aws_calls import call_aws
from loglake.errors import QueryError
from loglake.query.dialect import read_only_statement
from loglake.query.engine import QueryResult

PRICE_PER_TB = 5.0
MIN_BILLED_BYTES = 10 * 1024 * 1024
_DONE = {"SUCCEEDED", "FAILED", "CANCELLED"}


def athena_client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("athena", config=Config(retries={"mode": "standard", "max_attempts": 8}))


def cost_usd(bytes_scanned: int) -> float:
    return max(bytes_scanned, MIN_BILLED_BYTES) / 1e12 * PRICE_PER_TB


def _convert(value: str | None, type_: str) -> Any:
    """Athena returns text; give numbers, booleans, dates and UTC timestamps their Python types."""
    if value is None:
        return None
    try:
        return _typed(value, type_.lower().split("(")[0])
    except ValueError:
        return value  # a form not handled here (a named zone, a row, a map): shown as Athena wrote it


def _typed(value: str, kind: str) -> Any:
    if kind in ("tinyint", "smallint", "integer", "int", "bigint"):
        return int(value)
    if kind in ("double", "float", "real"):
        return float(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "boolean":
        return value.lower() == "true"
    if kind == "date":
        return date.fromisoformat(value)
    if kind.startswith("timestamp"):
        return datetime.fromisoformat(value.replace(" UTC", "+00:00"))
    return value


class AthenaEngine:
    def __init__(
        self,
        workgroup: str = "primary",
        database: str = "default",
        output_location: str | None = None,
        client: Any = None,
        max_wait_s: float = 1800.0,
    ) -> None:
        self.workgroup = workgroup
        self.database = database
        self.output_location = output_location
        self.client = client or athena_client()
        self.max_wait_s = max_wait_s

    def _call(self, operation: str, **kwargs: Any) -> Any:
        return call_aws(self.client, "Athena", QueryError, operation, **kwargs)

    def query(self, sql: str, *, dialect: str = "athena", generated: bool = False) -> QueryResult:
        """`generated`: SQL loglake wrote itself (the scheduled conservation check), run without the
        read-only screen, whose parser (sqlglot) the Lambda package leaves out; users' SQL is always screened."""
        if dialect != "athena":
            raise QueryError("the Athena engine runs Athena SQL only")
        if not generated:
            read_only_statement(sql)
        started = time.monotonic()
        request: dict[str, Any] = {
            "QueryString": sql,
            "WorkGroup": self.workgroup,
            "QueryExecutionContext": {"Database": self.database},
        }
        if self.output_location:
            request["ResultConfiguration"] = {"OutputLocation": self.output_location}
        query_id = self._call("start_query_execution", **request)["QueryExecutionId"]
        try:
            execution = self._wait(query_id, started)
        except KeyboardInterrupt:
            self._call("stop_query_execution", QueryExecutionId=query_id)
            raise QueryError(f"cancelled: Athena query {query_id} was stopped") from None
        status = execution["Status"]
        if status["State"] != "SUCCEEDED":
            reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage") or "no reason"
            raise QueryError(f"Athena query {query_id} {status['State'].lower()}: {' '.join(str(reason).split())}")
        columns, types, rows = self._results(query_id, header_row=execution.get("StatementType") == "DML")
        scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
        stats = {
            "engine": "athena",
            "query_id": query_id,
            "bytes_scanned": scanned,
            "cost_usd": cost_usd(scanned),
            "seconds": round(time.monotonic() - started, 3),
        }
        return QueryResult(columns, types, rows, stats)

    def _wait(self, query_id: str, started: float) -> dict[str, Any]:
        pause = 0.2
        while True:
            execution: dict[str, Any] = self._call("get_query_execution", QueryExecutionId=query_id)["QueryExecution"]
            if execution["Status"]["State"] in _DONE:
                return execution
            if time.monotonic() - started > self.max_wait_s:
                self._call("stop_query_execution", QueryExecutionId=query_id)
                raise QueryError(f"Athena query {query_id} took more than {self.max_wait_s:.0f} s and was stopped")
            time.sleep(pause)
            pause = min(pause * 1.5, 2.0)

    def _results(self, query_id: str, *, header_row: bool) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
        """All rows, page by page; a SELECT's (DML's) first row repeats the column names and is skipped."""
        columns: list[str] = []
        types: list[str] = []
        rows: list[tuple[Any, ...]] = []
        token = None
        first_page = True
        while True:
            kwargs: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": 1000}
            if token:
                kwargs["NextToken"] = token
            page = self._call("get_query_results", **kwargs)
            result = page["ResultSet"]
            if first_page:
                info = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                columns = [c["Name"] for c in info]
                types = [c.get("Type", "varchar") for c in info]
            data = result.get("Rows", [])
            if first_page and header_row:
                data = data[1:]
            for row in data:
                values = [d.get("VarCharValue") for d in row["Data"]]
                rows.append(tuple(_convert(v, t) for v, t in zip(values, types, strict=False)))
            first_page = False
            token = page.get("NextToken")
            if not token:
                return columns, types, rows

    def close(self) -> None:
        return None

    def __enter__(self) -> AthenaEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
