"""Hash-mode redaction is HMAC-SHA256 (RFC 2104) under a key of at least 32 bytes, computed in DuckDB SQL:
checked against Python's hmac module, and the key is needed only where the ETL runs."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import random
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import Deliver
from loglake.cli.app import app
from loglake.errors import ConfigError
from loglake.lake.open import Lake
from loglake.query.engine import DuckDBEngine
from loglake.sql_quoting import sql_string
from loglake.transform.redaction import HASH_HEX, RedactRule, hmac_pads, hmac_sql, prepare, wrap
from loglake.transform.settings import EtlSettings

runner = CliRunner()
HELP = 'generate one with `python -c "import secrets; print(secrets.token_urlsafe(48))"` or `openssl rand -base64 48`'
KEY = "S3cr3t-" + "x" * 57  # 64 bytes, as `secrets.token_urlsafe(48)` gives


def _values(count: int) -> list[str]:
    """Short, long, empty-ish and non-ASCII values (the HMAC is over their UTF-8 bytes)."""
    rng = random.Random(11)
    alphabet = "abcXYZ019 .@-_/+=é漢🙂'\"\\"
    values = ["", "a", "ana@example.com", "x" * 64, "y" * 65, "z" * 1000]
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 200))) for _ in range(count - len(values))]
    return values


@pytest.mark.parametrize("key_bytes", [32, 63, 64, 65, 200])
def test_the_sql_hmac_equals_pythons_hmac(key_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Key lengths around SHA-256's 64-byte block (a longer key is hashed first), 300 values each."""
    key = "".join(random.Random(key_bytes).choice("abcdefghij0123456789") for _ in range(key_bytes))
    monkeypatch.setenv("LOGLAKE_REDACT_KEY", key)
    values = _values(300)
    con = duckdb.connect()
    prepare(con, (RedactRule(mode="hash"),))
    listed = "[" + ", ".join(sql_string(v) for v in values) + "]"
    (got,) = con.execute(f"SELECT list_transform({listed}, lambda v: {hmac_sql('v')})").fetchall()[0]
    con.close()
    assert got == [hmac.new(key.encode(), v.encode(), hashlib.sha256).hexdigest() for v in values]


def test_a_token_is_the_hmac_of_the_match_cut_to_128_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGLAKE_REDACT_KEY", KEY)
    rule = RedactRule(kinds=("email", "ip"), mode="hash")
    con = duckdb.connect()
    prepare(con, (rule,))
    text = "from ana@example.com at 203.0.113.7"
    (got,) = con.execute(f"SELECT {wrap((rule,), 'logs', 'message', sql_string(text))}").fetchall()[0]
    con.close()

    def token(kind: str, value: str) -> str:
        return f"[{kind}:{hmac.new(KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:HASH_HEX]}]"

    assert HASH_HEX == 32
    assert got == f"from {token('email', 'ana@example.com')} at {token('ip', '203.0.113.7')}"


def test_the_key_is_never_in_the_sql_nor_in_the_lake(
    lake: Lake, deliver: Deliver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGLAKE_REDACT_KEY", KEY)
    rules = (RedactRule(mode="hash"),)
    inner, outer = hmac_pads(KEY.encode())
    sql = wrap(rules, "logs", "message", "message")
    assert [secret in sql for secret in (KEY, inner.hex(), outer.hex())] == [False, False, False]
    deliver(["login by ana@example.com", '{"cut": "ana@example.com'], settings=EtlSettings(redact=rules))
    with DuckDBEngine(lake.store) as engine:
        (message,) = engine.query("SELECT message FROM logs").rows[0]
    expected = hmac.new(KEY.encode(), b"ana@example.com", hashlib.sha256).hexdigest()[:HASH_HEX]
    assert message == f"login by [email:{expected}]"
    files = [p for p in Path(lake.store.uri).rglob("*") if p.is_file()]
    # raw, clean, quarantine, schema, manifest, the collector's stream record, the skip index, the run record
    assert len(files) == 8
    for path in files:
        data = path.read_bytes()
        text = gzip.decompress(data) if path.suffix == ".gz" else data
        assert KEY.encode() not in text and KEY.encode() not in data, path


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "redaction mode hash needs a secret key in LOGLAKE_REDACT_KEY"),
        ("k", "the redaction key is 1 bytes; hash mode needs at least 32"),
        ("k" * 31, "the redaction key is 31 bytes; hash mode needs at least 32"),
    ],
)
def test_a_missing_or_short_key_is_refused_with_how_to_make_one(
    key: str | None, message: str, lake: Lake, deliver: Deliver, monkeypatch: pytest.MonkeyPatch
) -> None:
    if key is None:
        monkeypatch.delenv("LOGLAKE_REDACT_KEY", raising=False)
    else:
        monkeypatch.setenv("LOGLAKE_REDACT_KEY", key)
    with pytest.raises(ConfigError) as refused:
        deliver(["a@example.com"], settings=EtlSettings(redact=(RedactRule(mode="hash"),)))
    # The run names the object it could not process, then the cause: this message, whole.
    assert f": {message}: {HELP}; " in str(refused.value)
    assert list((Path(lake.store.uri) / "clean").rglob("*")) == []


def test_only_the_etl_needs_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hash rule in loglake.toml: `query` runs without the key; `etl` stops and says how to make one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOGLAKE_REDACT_KEY", raising=False)
    monkeypatch.delenv("LOGLAKE_LAKE", raising=False)
    (tmp_path / "loglake.toml").write_text('lake = "lake"\n[etl]\nredact = [{ fields = ["message"], mode = "hash" }]\n')
    (tmp_path / "app.log").write_text("login by ana@example.com\n")
    ingested = runner.invoke(app, ["ingest", "app.log", "--no-etl"])
    assert ingested.exit_code == 0, ingested.output

    queried = runner.invoke(app, ["query", "-f", "csv", "SELECT count(*) AS n FROM raw_events"])
    assert (queried.exit_code, queried.stdout) == (0, "n\n1\n")

    refused = runner.invoke(app, ["etl"])  # the entry point prints a LoglakeError as one line, exit 1
    assert (refused.exit_code, type(refused.exception)) == (1, ConfigError)
    # Checked once for the run, before any object is attempted.
    assert str(refused.exception) == f"redaction mode hash needs a secret key in LOGLAKE_REDACT_KEY: {HELP}"
    assert not (tmp_path / "lake" / "state" / "etl").exists()

    monkeypatch.setenv("LOGLAKE_REDACT_KEY", KEY)
    done = runner.invoke(app, ["etl"])
    assert done.exit_code == 0, done.output
    expected = hmac.new(KEY.encode(), b"ana@example.com", hashlib.sha256).hexdigest()[:HASH_HEX]
    queried = runner.invoke(app, ["query", "-f", "csv", "SELECT message FROM logs"])
    assert queried.stdout == f"message\nlogin by [email:{expected}]\n"
