"""One AWS API call, with boto3's failures turned into loglake's one-line errors.

The message names the service, the operation and AWS's error code and message, collapsed to one line;
the caller chooses the error class (QueryError for Athena, CatalogError for Glue, ...).
"""

from __future__ import annotations

from typing import Any

from loglake.errors import LoglakeError


def call_aws(client: Any, service: str, error: type[LoglakeError], operation: str, **kwargs: Any) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return getattr(client, operation)(**kwargs)
    except ClientError as exc:
        details = exc.response.get("Error", {})
        message = " ".join(str(details.get("Message", "")).split())[:300]
        raise error(f"{service} refused {operation}: {details.get('Code')}: {message}") from None
    except BotoCoreError as exc:
        raise error(f"{service} call {operation} failed: {exc}") from None
