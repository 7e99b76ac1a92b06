from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Deliver
from loglake.errors import ConfigError
from loglake.lake.open import Lake
from loglake.query.engine import DuckDBEngine
from loglake.sql_quoting import sql_string
from loglake.transform.redaction import KINDS, RedactRule, holds_secret, prepare, redact_column, stored_type, wrap
from loglake.transform.settings import EtlSettings


def redacted(text: str, kinds: tuple[str, ...] = KINDS, mode: str = "mask") -> str:
    """The SQL the ETL applies, run on one value."""
    con = duckdb.connect()
    rule = RedactRule(kinds=kinds, mode=mode)
    prepare(con, (rule,))
    value: str = con.execute(f"SELECT {wrap((rule,), 'logs', 'message', sql_string(text))}").fetchall()[0][0]
    con.close()
    return value


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail ana.lopez+ops@example.co.uk now", "mail [REDACTED:email] now"),
        ("from 203.0.113.7:443 ok", "from [REDACTED:ip]:443 ok"),
        ("v6 2001:db8::8a2e:370:7334 seen", "v6 [REDACTED:ip] seen"),
        ("card 4111 1111 1111 1111 charged", "card [REDACTED:card] charged"),
        ("card 4111-1111-1111-1112 bad", "card 4111-1111-1111-1112 bad"),  # fails the Luhn check
        # A digit group before a card: the general match "2 4916338506082832" fails the Luhn check as a
        # whole; the card inside it is found on its own (found by the ETL fuzz test).
        ("qty 2 4916338506082832 paid", "qty 2 [REDACTED:card] paid"),
        ("qty 12 4916 3385 0608 2832 paid", "qty 12 [REDACTED:card] paid"),
        ("ref 7 3714 496353 98431 amex", "ref 7 [REDACTED:card] amex"),
        ("id 49163385060828320 long", "id 49163385060828320 long"),  # 17 digits, another number
        # Neighbouring digit groups, before or after the card (found in review).
        ("card 4111 1111 1111 1111 123 cvv", "card [REDACTED:card] 123 cvv"),
        ("card 4111 1111 1111 1111 12/25", "card [REDACTED:card] 12/25"),
        ("4111-1111-1111-1111 7", "[REDACTED:card] 7"),
        ("ref 1234 4111 1111 1111 1111", "ref 1234 [REDACTED:card]"),
        ("x 4111 1111 1111 1111 5500 0000 0000 0004 y", "x [REDACTED:card] [REDACTED:card] y"),
        ("order 1764288000123456 shipped", "order 1764288000123456 shipped"),  # a long id, not a card
        ("key AKIAIOSFODNN7EXAMPLE used", "key [REDACTED:aws_key] used"),
        ("Authorization: Bearer abc.DEF-123_x/y+z==", "Authorization: [REDACTED:bearer]"),
        (f"token={JWT}", "token=[REDACTED:jwt]"),
        ("version 1.2.3 at 10:30:00", "version 1.2.3 at 10:30:00"),
    ],
)
def test_each_kind_is_masked_and_nothing_else(text: str, expected: str) -> None:
    assert redacted(text) == expected


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),
        ("5500 0000 0000 0004", True),
        ("4111111111111112", False),
        ("6011000990139424", True),
    ],
)
def test_cards_need_the_luhn_check(number: str, valid: bool) -> None:
    assert (redacted(f"n={number}", ("card",)) == "n=[REDACTED:card]") is valid


def test_hashing_is_keyed_and_stable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGLAKE_REDACT_KEY", "1" * 32)
    first = redacted("a@example.com and a@example.com", ("email",), "hash")
    token = first.split(" ")[0]
    assert token.startswith("[email:") and len(token) == len("[email:]") + 32
    assert first == f"{token} and {token}"
    monkeypatch.setenv("LOGLAKE_REDACT_KEY", "2" * 32)
    assert redacted("a@example.com", ("email",), "hash") != token


def test_bad_rules_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="unknown redaction kind"):
        EtlSettings(redact=({"kinds": ["ssn"]},))  # type: ignore[arg-type]
    monkeypatch.delenv("LOGLAKE_REDACT_KEY", raising=False)
    # The key is asked for where the ETL runs (tests/security/test_keyed_hash.py), not when settings load.
    assert EtlSettings(redact=({"mode": "hash"},)).redact == (RedactRule(mode="hash"),)  # type: ignore[arg-type]
    for envelope in ("log_stream", "event_id", "raw_object", "reason"):
        with pytest.raises(ConfigError, match=rf"fields \['{envelope}'\] are envelope columns"):
            EtlSettings(redact=({"fields": ["message", envelope]},))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="tables, fields, kinds and mode"):
        EtlSettings(redact=({"table": "logs"},))  # type: ignore[arg-type]


def test_nothing_unredacted_reaches_the_clean_or_quarantine_zone(lake: Lake, deliver: Deliver) -> None:
    settings = EtlSettings(
        redact=(
            {"tables": ["logs", "quarantine"], "fields": ["message", "user_email"]},  # type: ignore[list-item]
        )
    )
    deliver(
        [
            '{"level":"info","user_email":"ana@example.com","note":"hi","ip":"198.51.100.4"}',
            "login from 198.51.100.4 by ana@example.com",
            '{"cut": "ana@example.com',
        ],
        settings=settings,
    )
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT message, user_email, note, ip FROM logs ORDER BY event_id").rows
        quarantined = engine.query("SELECT message, reason FROM quarantine").rows
    assert rows == [
        (
            '{"level":"info","user_email":"[REDACTED:email]","note":"hi","ip":"[REDACTED:ip]"}',
            "[REDACTED:email]",
            "hi",
            "[REDACTED:ip]",  # parsed from the message, which the rule names: covered
        ),
        ("login from [REDACTED:ip] by [REDACTED:email]", None, None, None),
    ]
    assert quarantined == [('{"cut": "[REDACTED:email]', "invalid_json")]
    # Not in any value, nor in Parquet's column statistics.
    written = [p for zone in ("clean", "quarantine") for p in (Path(lake.store.uri) / zone).rglob("*") if p.is_file()]
    assert len(written) == 2
    for path in written:
        data = path.read_bytes()
        assert b"ana@example.com" not in (gzip.decompress(data) if path.suffix == ".gz" else data)


def test_the_lambda_reads_rules_and_routes_from_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from loglake.handlers.environment import etl_settings_from_environment

    monkeypatch.setenv("LOGLAKE_ETL_REDACT", '[{"fields": ["message"], "kinds": ["email"]}]')
    monkeypatch.setenv("LOGLAKE_ETL_ROUTES", '[{"log_group": "/vpc/*", "format": "vpc_flow_log"}]')
    settings = etl_settings_from_environment()
    assert settings.redact == (RedactRule(fields=("message",), kinds=("email",)),)
    assert [(r.log_group, r.format) for r in settings.routes] == [("/vpc/*", "vpc_flow_log")]
    monkeypatch.setenv("LOGLAKE_ETL_REDACT", "{not json")
    with pytest.raises(ConfigError, match="must be JSON lists"):
        etl_settings_from_environment()


def test_a_rule_on_payload_columns_covers_them_and_the_message_that_holds_them(lake: Lake, deliver: Deliver) -> None:
    settings = EtlSettings(redact=({"fields": ["user_email"], "kinds": ["email"]},))  # type: ignore[arg-type]
    deliver(['{"user_email":"ana@example.com","note":"cc bo@example.com"}'], settings=settings)
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT message, user_email, note FROM logs").rows
    assert rows == [
        (
            '{"user_email":"[REDACTED:email]","note":"cc [REDACTED:email]"}',
            "[REDACTED:email]",
            "cc bo@example.com",  # not named, and the rule does not name message: kept
        )
    ]


@pytest.mark.parametrize(
    ("type_", "kinds", "stored"),
    [
        ("BIGINT", ("card",), "VARCHAR"),
        ("DOUBLE", KINDS, "VARCHAR"),
        ("DECIMAL(18,3)", ("card",), "VARCHAR"),
        ("BIGINT", ("email", "ip"), "BIGINT"),  # no number's text is an e-mail or an address
        ("INTEGER", KINDS, "INTEGER"),  # 10 digits at most: never a card
        ("TIMESTAMP", KINDS, "TIMESTAMP"),
        ("BOOLEAN", KINDS, "BOOLEAN"),
        ("VARCHAR", KINDS, "VARCHAR"),
        ('STRUCT("a" VARCHAR, "b" STRUCT("c" VARCHAR)[])[]', KINDS, 'STRUCT("a" VARCHAR, "b" STRUCT("c" VARCHAR)[])[]'),
        ('STRUCT("a" VARCHAR, "n" BIGINT)', ("card",), "VARCHAR"),
        ('STRUCT("a" VARCHAR, "n" BIGINT)', ("email",), 'STRUCT("a" VARCHAR, "n" BIGINT)'),
        ("MAP(VARCHAR, VARCHAR)", ("email",), "VARCHAR"),  # a type the rebuild does not know: text
    ],
)
def test_the_stored_type_of_a_covered_column(type_: str, kinds: tuple[str, ...], stored: str) -> None:
    rules = (RedactRule(fields=("message",), kinds=kinds),)
    assert stored_type(rules, "logs", "x", type_) == stored
    assert stored_type((RedactRule(tables=("other",), kinds=kinds),), "logs", "x", type_) == type_


def test_struct_and_list_values_are_redacted_leaf_by_leaf_keeping_their_shape() -> None:
    type_ = 'STRUCT("userName" VARCHAR, "ctx" STRUCT("ip" VARCHAR, "n" INTEGER), "tags" VARCHAR[])[]'
    value = (
        "[{'userName': 'ana@example.com', 'ctx': {'ip': '10.1.2.3', 'n': 4}, 'tags': ['x', NULL, 'bo@example.com']},"
        " NULL, {'userName': NULL, 'ctx': NULL, 'tags': NULL}]"
    )
    rule = RedactRule(fields=("message",), kinds=("email", "ip"))
    con = duckdb.connect()
    prepare(con, (rule,))
    sql = redact_column((rule,), "t", "c", f"CAST({value} AS {type_})", type_)
    got, got_type = con.execute(f"SELECT v, typeof(v) FROM (SELECT {sql} AS v)").fetchall()[0]
    con.close()
    assert got == [
        {
            "userName": "[REDACTED:email]",
            "ctx": {"ip": "[REDACTED:ip]", "n": 4},
            "tags": ["x", None, "[REDACTED:email]"],
        },
        None,
        {"userName": None, "ctx": None, "tags": None},
    ]
    assert got_type == type_.replace('"', "")


def test_quarantined_lines_are_covered_by_the_rules_of_the_table_they_were_bound_for(
    lake: Lake, deliver: Deliver
) -> None:
    settings = EtlSettings(
        routes=({"log_group": "/pay/*", "table": "payments"},),  # type: ignore[arg-type]
        redact=({"tables": ["logs"], "fields": ["message"], "kinds": ["email"]},),  # type: ignore[arg-type]
    )
    deliver(['{"cut": "ana@example.com'], settings=settings)
    deliver(['{"cut": "bo@example.com'], log_group="/pay/api", settings=settings, timestamp=1_764_288_001_000)
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT log_group, message, reason FROM quarantine ORDER BY log_group").rows
    assert rows == [
        ("/pay/api", '{"cut": "bo@example.com', "invalid_json"),  # bound for payments: no rule covers it
        ("/test/app", '{"cut": "[REDACTED:email]', "invalid_json"),
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["4111 1111 1111 1111", "4916338506082832", "3714 496353 98431", "12", "1234", "-", " "]),
            st.from_regex(r"[0-9]{1,5}", fullmatch=True),
            st.text(alphabet="ab é-", max_size=3),
        ),
        max_size=8,
    ).map(" ".join)
)
def test_the_python_check_for_names_agrees_with_the_sql_on_cards(text: str) -> None:
    """Keys are checked in Python (holds_secret) and values in SQL: a key the SQL would redact and the
    Python lets through would become a column name holding a card number."""
    assert holds_secret(text, ["card"]) == (redacted(text, ("card",)) != text)
