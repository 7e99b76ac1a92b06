"""Redaction must leave no secret anywhere the ETL writes: every byte of every file outside the raw zone
is read (gzip decompressed; Parquet raw, decoded value by value, and through its column statistics and
key-value metadata), while the raw zone still holds the originals.

The secrets travel every path: an e-mail and a Luhn-valid card number as JSON strings, as a JSON number
(a BIGINT column) and a JSON float (a DOUBLE column), nested, in arrays, below the depth limit (JSON
text), in logfmt values (a BIGINT column), in plain text, inside a CloudTrail STRUCT and ARRAY of
STRUCT, and in a line that goes to quarantine.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from secret_scan import leaks

from conftest import Deliver
from loglake.lake.open import Lake
from loglake.lake.schema_registry import SchemaRegistry
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings

EMAIL = "ana.secret@example.com"
CARD = "4539578763621486"  # Luhn-valid, below 2**53 so a DOUBLE holds it exactly
CARD_SPACED = "4539 5787 6362 1486"
NEEDLES = (EMAIL, CARD, CARD_SPACED)
KEY = "k" * 48

CLOUDTRAIL = json.dumps(
    {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "userName": EMAIL, "arn": f"arn:aws:iam::123456789012:user/{EMAIL}"},
        "eventTime": "2025-11-28T00:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.1",
        "resources": [{"ARN": f"arn:aws:s3:::bucket/{EMAIL}", "accountId": "123456789012", "type": "AWS::S3::Object"}],
        "eventID": "ct1",
        "eventType": "AwsApiCall",
    }
)
MESSAGES = [
    json.dumps(
        {
            "level": "info",
            "user": EMAIL,
            "card": CARD,
            "card_number": int(CARD),
            "amount": float(CARD),
            "payment": {"holder": {"mail": EMAIL}, "pan": CARD},
            "emails": [EMAIL, "ops"],
            "cards": [int(CARD)],
            "deep": {"a": {"b": {"c": {"d": {"e": EMAIL}}}}},
        }
    ),
    json.dumps({"level": "info", "user": "bo", "card": "none", "card_number": 7, "amount": 0.5}),
    f'level=info user={EMAIL} pan={CARD} note="paid with {CARD_SPACED}"',
    "level=info user=bo pan=12 note=ok",
    f"login by {EMAIL} with card {CARD_SPACED}",
    CLOUDTRAIL,
    f'{{"cut": "{EMAIL} {CARD}',  # invalid JSON: quarantined
]

README_RULE: dict[str, Any] = {"fields": ["message"], "kinds": ["email", "card"]}
"""The README's example: a rule on the message covers every column parsed from it."""
ALL_RULE: dict[str, Any] = {"tables": ["*"], "fields": ["*"]}


WRITTEN = ("clean", "quarantine", "schema", "state")
"""Everything but the raw zone."""


def _run(lake: Lake, deliver: Deliver, rule: dict[str, Any], output_format: str = "parquet") -> dict[str, set[str]]:
    results = deliver(MESSAGES, settings=EtlSettings(output_format=output_format, redact=(rule,)))  # type: ignore[arg-type]
    assert [(r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [(6, 1)]
    return leaks(Path(lake.store.uri), WRITTEN, NEEDLES)


def test_without_redaction_the_scanner_finds_the_secrets_where_they_are(lake: Lake, deliver: Deliver) -> None:
    """The control: the scan sees secrets in gzip, in Parquet values and in Parquet statistics."""
    deliver(MESSAGES)
    report = leaks(Path(lake.store.uri), WRITTEN, NEEDLES)
    flagged = {key.split("/")[0] + "/" + key.split("/")[1]: found for key, found in report.items() if found}
    assert flagged == {
        "clean/logs": {"bytes", "values", "statistics"},  # the footer's statistics are not compressed
        "clean/cloudtrail_logs": {"bytes", "values", "statistics"},
        "quarantine/dt=2025-11-28": {"gzip"},
    }


@pytest.mark.parametrize(
    ("rule", "output_format"),
    [
        (README_RULE, "parquet"),
        (README_RULE, "jsonl"),
        (ALL_RULE, "parquet"),
        ({**README_RULE, "mode": "hash"}, "parquet"),
    ],
    ids=["readme-parquet", "readme-jsonl", "all-parquet", "readme-hash-parquet"],
)
def test_no_secret_survives_outside_the_raw_zone(
    lake: Lake, deliver: Deliver, rule: dict[str, Any], output_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGLAKE_REDACT_KEY", KEY)
    report = _run(lake, deliver, rule, output_format)
    # 2 clean objects, 1 quarantine object, 2 schemas, 1 manifest, 2 skip indexes (hashed words), 1 run record
    assert len(report) == 9
    assert {key: found for key, found in report.items() if found} == {}
    raw = leaks(Path(lake.store.uri), ("raw",), NEEDLES)
    assert list(raw.values()) == [{"gzip"}]
    (raw_file,) = (Path(lake.store.uri) / "raw").rglob("*.gz")
    assert {n for n in NEEDLES if n in gzip.decompress(raw_file.read_bytes()).decode()} == set(NEEDLES)


def test_numeric_columns_a_rule_covers_are_text_and_keep_every_other_value(lake: Lake, deliver: Deliver) -> None:
    """A card in a BIGINT or DOUBLE column is masked: the column is VARCHAR (in the registry too), and
    values that match nothing are kept as their text."""
    _run(lake, deliver, README_RULE)
    schema = SchemaRegistry(lake.store).get("logs")
    assert schema is not None
    types = {c.name: c.type for c in schema.columns}
    assert [types[n] for n in ("card_number", "amount", "pan", "cards", "level")] == [
        "VARCHAR",
        "VARCHAR",
        "VARCHAR",
        "VARCHAR",
        "VARCHAR",
    ]
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query(
            "SELECT user, card, card_number, amount, payment_holder_mail, payment_pan, emails, cards, deep_a_b_c_d, "
            "pan, note FROM logs WHERE format IN ('json', 'logfmt') ORDER BY event_id"
        ).rows
        text = engine.query("SELECT message FROM logs WHERE format = 'text'").rows
        trail = engine.query(
            "SELECT useridentity.username, useridentity.arn, resources[1].arn, resources[1].accountid, "
            "sourceipaddress FROM cloudtrail_logs"
        ).rows
        quarantined = engine.query("SELECT message, message_b64, reason FROM quarantine").rows
    e, c = "[REDACTED:email]", "[REDACTED:card]"
    assert rows == [
        (e, c, c, f"{c}.0", e, c, f'["{e}","ops"]', f"[{c}]", f'{{"e":"{e}"}}', None, None),
        ("bo", "none", "7", "0.5", None, None, None, None, None, None, None),
        (e, None, None, None, None, None, None, None, None, c, f"paid with {c}"),
        ("bo", None, None, None, None, None, None, None, None, "12", "ok"),
    ]
    assert text == [(f"login by {e} with card {c}",)]
    assert trail == [
        (e, f"arn:aws:iam::123456789012:user/{e}", f"arn:aws:s3:::bucket/{e}", "123456789012", "192.0.2.1")
    ]
    assert quarantined == [(f'{{"cut": "{e} {c}', None, "invalid_json")]


def test_keys_past_the_column_cap_are_covered_too(lake: Lake, deliver: Deliver) -> None:
    """Keys beyond max_columns go to the `extra` JSON column, which is parsed from the message like any other."""
    wide = {f"key_{i:02}": EMAIL if i % 2 else int(CARD) for i in range(12)}
    settings = EtlSettings(max_columns=2, redact=(README_RULE,))  # type: ignore[arg-type]
    results = deliver([json.dumps(wide), json.dumps({**wide, "nested": {"deep": [EMAIL, CARD]}})], settings=settings)
    assert [(r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [(2, 0)]
    report = leaks(Path(lake.store.uri), WRITTEN, NEEDLES)
    assert len(report) == 5  # 1 clean object, 1 schema, 1 manifest, 1 skip index, 1 run record
    assert {key: found for key, found in report.items() if found} == {}
    assert list(leaks(Path(lake.store.uri), ("raw",), NEEDLES).values()) == [{"gzip"}]


def test_json_keys_that_hold_a_secret_never_become_column_names(lake: Lake, deliver: Deliver) -> None:
    """Maps keyed by user (`{"scores": {"ana@...": 3}}`) are common: a column name is not redacted (Parquet
    schemas, the registry, Glue), so such a key goes to `extra`, whose text is. Found by the ETL fuzz test."""
    events = [
        json.dumps({"level": "info", "scores": {EMAIL: 3, "bo": 4}, f"{CARD} total": 1, f"é{CARD}": 2}),
        json.dumps({"level": "info", "scores": {"bo": 5}}),
    ]
    results = deliver(events, settings=EtlSettings(redact=(README_RULE,)))
    assert [(r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [(2, 0)]
    assert {p: w for p, w in leaks(Path(lake.store.uri), WRITTEN, NEEDLES).items() if w} == {}
    schema = SchemaRegistry(lake.store).get("logs")
    assert schema is not None
    payload = [(c.name, c.source) for c in schema.columns if c.source.startswith(("/", "extra"))]
    assert payload == [("level_2", "/level"), ("scores_bo", "/scores/bo"), ("extra", "extra:max_columns")]
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT scores_bo, extra FROM logs ORDER BY event_id").rows
    # The README rule includes cards, so numbers it covers are text; extra holds whole top-level keys.
    assert rows == [
        ("4", '{"scores":{"[REDACTED:email]":3,"bo":4},"[REDACTED:card] total":1,"é[REDACTED:card]":2}'),
        ("5", '{"scores":{"bo":5}}'),
    ]
