"""One AWS API call, with boto3's failures turned into loglake's one-line errors.

The message names the service, the operation and AWS's error code and message, collapsed to one line;
the caller chooses the error class (QueryError for Athena, CatalogError for Glue, ...).
"""

from __future__ import annotations

from typing import Any

from loglake.errors import LoglakeError

MISSING_DATABASE = "EntityNotFoundException"
"""Glue's error code for GetTables on a database that does not exist."""


def call_aws(
    client: Any, service: str, error: type[LoglakeError], operation: str, *, none_on: str = "", **kwargs: Any
) -> Any:
    """`client.operation(**kwargs)`; None where AWS answers with the error code `none_on` (a caller that
    words that case itself), `error` with one line for any other failure."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return getattr(client, operation)(**kwargs)
    except ClientError as exc:
        details = exc.response.get("Error", {})
        if none_on and details.get("Code") == none_on:
            return None
        message = " ".join(str(details.get("Message", "")).split())[:300]
        raise error(f"{service} refused {operation}: {details.get('Code')}: {message}") from None
    except BotoCoreError as exc:
        raise error(f"{service} call {operation} failed: {exc}") from None


def glue_tables(
    glue: Any, database: str, error: type[LoglakeError], *, missing_ok: bool = False
) -> list[dict[str, Any]] | None:
    """Every table of the Glue `database`, all of GetTables' pages; None for a database that does not exist
    when `missing_ok` (otherwise that is `error`, as any other failure)."""
    found: list[dict[str, Any]] = []
    token = None
    while True:
        page = call_aws(
            glue,
            "Glue",
            error,
            "get_tables",
            none_on=MISSING_DATABASE if missing_ok else "",
            DatabaseName=database,
            **({"NextToken": token} if token else {}),
        )
        if page is None:
            return None
        found += page.get("TableList", [])
        token = page.get("NextToken")
        if not token:
            return found
