"""Shared fixtures: a fresh lake per test, and helpers that run the real pipeline stages on it."""

from __future__ import annotations

import contextlib
import datetime
import gzip
import importlib
import ipaddress
import json
import os
import random
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from loglake.lake.open import Lake, open_lake
from loglake.lake.schema_registry import SchemaRegistry
from loglake.lake.store import Store
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform import session
from loglake.transform.etl import EtlResult
from loglake.transform.parsers import PARSERS
from loglake.transform.settings import EtlSettings

TEST_SWITCHES = frozenset({"LOGLAKE_FUZZ_EXAMPLES", "LOGLAKE_WRITE_GOLDEN"})
"""Variables that steer the tests themselves (examples to draw, rewriting golden files), not loglake."""
TERMINAL_SETTINGS = (
    "GITHUB_ACTIONS", "FORCE_COLOR", "PY_COLORS", "CLICOLOR_FORCE", "NO_COLOR", "TTY_COMPATIBLE",
    "TTY_INTERACTIVE", "TERMINAL_WIDTH", "COLUMNS", "LINES",
)  # fmt: skip
"""What rich and typer read when the CLI modules are imported (their consoles are module globals), before any
fixture runs: FORCE_COLOR or GITHUB_ACTIONS put ANSI codes in the output the CLI tests compare (27 of 52
tests in four tests/cli files failed with FORCE_COLOR=1), a narrow COLUMNS wrapped help and
tables. The tests see what a CI shell without them gives: no colour, 80 columns."""
NO_AWS_CONFIGURATION = {
    "AWS_CONFIG_FILE": "/nonexistent/loglake-tests/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/loglake-tests/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",  # never probe the instance metadata address
}
"""No ~/.aws file (its profiles, regions, retry settings) and no instance metadata probe reach a test."""


def _from_the_shell(name: str) -> bool:
    return (
        name in TERMINAL_SETTINGS
        or (name.startswith("LOGLAKE_") and name not in TEST_SWITCHES)
        or name.startswith("AWS_")
    )


# The tests start from the shell's environment less loglake's and AWS's settings: an exported LOGLAKE_LAKE or
# LOGLAKE_RAW sent every CLI test's raw objects into one shared folder, and an AWS_PROFILE this machine lacks or
# AWS_MAX_ATTEMPTS changed which credentials and how many retries the tests saw. Done once, here, not per test:
# a module's fixture may set AWS variables for all of its tests. Tests that need AWS set what they need (the
# `aws` fixture, or their own variables).
for _name in [n for n in os.environ if _from_the_shell(n)]:
    del os.environ[_name]
os.environ.update(NO_AWS_CONFIGURATION, COLUMNS="80")

# The console's lake and server fixtures live beside its tests, registered here: a second conftest.py would shadow
# this one for the other folders' `from conftest import ...`.
pytest_plugins = ["console.console_lake"]

hypothesis_settings.register_profile("loglake", derandomize=True, database=None)
"""The property tests try the same examples on every run (a seed from each test's own code) and keep no database
of past failures: a run fails because of the code, not because it drew an unlucky input that the last run did
not. `--hypothesis-seed N` or `--hypothesis-profile explore` draws new inputs (docs/security.md's long runs)."""
hypothesis_settings.register_profile("explore", derandomize=False)


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("hypothesis_seed", None) is None and config.getoption("hypothesis_profile", None) is None:
        hypothesis_settings.load_profile("loglake")


EVENTS = Path(__file__).parent / "events"
MOTO_SERVER = Path(__file__).parent / "moto_server.py"
"""moto's server, with CloudFormation models for what the deploy template uses (see that file)."""


def cancelled_midway(run: Callable[[], object], cancel: Callable[[str], bool], request_id: str) -> list[object]:
    """Run `run` in a thread, cancel `request_id` as soon as its engine exists, and return what `run` gave or
    raised (QueryError): the console's cancel is checked against a request that is really running."""
    from loglake.errors import QueryError

    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(run())
        except QueryError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=target)
    started = time.monotonic()
    worker.start()
    while not cancel(request_id):  # False until the request's engine exists
        assert time.monotonic() - started < 30
        time.sleep(0.05)
    worker.join(30)
    assert not worker.is_alive()
    return outcome


def shared_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch that committed through etl_batch's shared DuckDB pass, in order."""
    from loglake.transform import etl_batch

    sizes: list[int] = []
    original = etl_batch._process_batch

    def counted(store: Any, batch: list[Any], *args: Any, **kwargs: Any) -> Any:
        result = original(store, batch, *args, **kwargs)
        sizes.append(len(batch))
        return result

    monkeypatch.setattr(etl_batch, "_process_batch", counted)
    return sizes


@pytest.fixture
def small_memory_sessions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """ETL connections under a 400 MB memory limit (80% of a 512 MB Lambda, what DuckDB gives itself there),
    closed after the test."""
    connect = session.Session.__init__

    def limited(self: session.Session, threads: int | None) -> None:
        connect(self, threads)
        self.con.execute("SET memory_limit = '400MB'")

    monkeypatch.setattr(session.Session, "__init__", limited)
    yield
    left = getattr(session._local, "session", None)
    if left is not None:
        left.close()
    session._local.session = None


@pytest.fixture
def small_memory_engines(monkeypatch: pytest.MonkeyPatch) -> None:
    """Query engines (DuckDBEngine) under a 400 MB memory limit on two threads, set before it locks its settings."""
    from loglake.query import engine

    lock = engine.lock_down

    def limited(con: Any, directories: list[str]) -> None:
        con.execute("SET memory_limit = '400MB'")
        con.execute("SET threads = 2")
        lock(con, directories)

    monkeypatch.setattr(engine, "lock_down", limited)


def load_event(name: str) -> dict[str, Any]:
    """A real AWS payload from tests/events (see ATTRIBUTION.md)."""
    return json.loads((EVENTS / f"{name}.json").read_text())


def athena_documented(page: str) -> dict[int, str]:
    """The numbered statements of one of AWS's Athena guide pages (tests/events/athena_sql), verbatim."""
    parts = re.split(r"^-- \[(\d+)\][^\n]*\n", (EVENTS / "athena_sql" / page).read_text(), flags=re.MULTILINE)
    return {
        int(number): "\n".join(line for line in body.splitlines() if not line.startswith("--")).strip().rstrip(";")
        for number, body in zip(parts[1::2], parts[2::2], strict=True)
    }


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return open_lake(str(tmp_path / "lake"))


Ingest = Callable[..., list[EtlResult]]
Deliver = Callable[..., list[EtlResult]]
Query = Callable[[str], list[tuple[Any, ...]]]
"""The `query` fixture: SQL over the lake (DuckDB), its rows."""


T0 = 1_764_288_000_000
"""2025-11-28T00:00:00Z: the record time of delivered test events (event i at T0 + i ms)."""


def write_messages(
    store: Store, log_group: str, messages: list[str], *, id_prefix: str = "e", stream: str = "s", timestamp: int = T0
) -> None:
    """One raw object of CloudWatch Logs events, as a subscription writes it (a multi-line message stays
    one event); event i has id `<id_prefix><i>` and time `timestamp + i`."""
    from loglake.aws_events.cloudwatch_logs_event import LogEvent, LogsPayload
    from loglake.sources.cloudwatch_subscription import write_payload

    events = tuple(LogEvent(f"{id_prefix}{i}", timestamp + i, m) for i, m in enumerate(messages))
    write_payload(store, LogsPayload("DATA_MESSAGE", log_group, stream, events))


class _AnyDatetime(type):
    """A pinned datetime class still recognises every real datetime (`isinstance(value, datetime)` in the code)."""

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, datetime.datetime)


def pin_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime.datetime, *modules: str) -> None:
    """Make `datetime.now()` in `modules` (dotted names that did `from datetime import datetime`) answer `moment`,
    so that a test of "the last hour" sees the same hours whenever it runs (CI once ran one at 23:09)."""
    pinned = moment.astimezone(datetime.UTC)

    class PinnedDatetime(datetime.datetime, metaclass=_AnyDatetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> datetime.datetime:  # type: ignore[override]
            return pinned.astimezone(tz) if tz is not None else pinned.astimezone().replace(tzinfo=None)

    for module in modules:
        monkeypatch.setattr(f"{module}.datetime", PinnedDatetime)


@pytest.fixture
def deliver(lake: Lake) -> Deliver:
    """Deliver messages as CloudWatch Logs events (write_messages), then run the ETL; ids are `e0`, `e1`, ..."""

    def run(
        messages: list[str],
        *,
        log_group: str = "/test/app",
        settings: EtlSettings | None = None,
        timestamp: int = T0,
    ) -> list[EtlResult]:
        write_messages(lake.store, log_group, messages, stream="stream-1", timestamp=timestamp)
        return run_etl(lake, pending_raw_objects(lake), settings or EtlSettings(), workers=1)

    return run


@pytest.fixture
def ingest_lines(lake: Lake, tmp_path: Path) -> Ingest:
    """Write bytes to a log file, ingest it, run the ETL on what is pending; return the ETL results."""
    counter = iter(range(1_000_000))

    def run(
        data: bytes, *, name: str | None = None, log_group: str = "/test/app", settings: EtlSettings | None = None
    ) -> list[EtlResult]:
        path = tmp_path / (name or f"input-{next(counter)}.log")
        path.write_bytes(data)
        FileSource(lake.store, FileSourceOptions(log_group=log_group)).ingest(str(path))
        return run_etl(lake, pending_raw_objects(lake), settings or EtlSettings(), workers=1)

    return run


@pytest.fixture
def query(lake: Lake) -> Query:
    def run(sql: str) -> list[tuple[Any, ...]]:
        with DuckDBEngine(lake.store) as engine:
            return engine.query(sql).rows

    return run


def _start_moto(
    extra_env: dict[str, str] | None = None, tls: tuple[Path, Path] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`tls` (certificate, key) serves HTTPS, which bucket policies that demand aws:SecureTransport need.

    The server binds a port of the system's choosing and tells which (moto_server.py --port-file): a port
    probed free here and bound by the server a second later could meanwhile be taken by another process."""
    folder = Path(tempfile.mkdtemp(prefix="loglake-moto-"))
    port_file = folder / "port"
    tls_args = ["-c", str(tls[0]), "-k", str(tls[1])] if tls else []
    server = subprocess.Popen(
        [sys.executable, str(MOTO_SERVER), "-H", "127.0.0.1", "--port-file", str(port_file), *tls_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(extra_env or {})},  # without the shell's AWS_PROFILE, which stopped moto at import
    )
    context = ssl.create_default_context(cafile=str(tls[0])) if tls else None
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if port_file.exists():
                    endpoint = f"{'https' if tls else 'http'}://127.0.0.1:{int(port_file.read_text())}"
                    urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=5, context=context).close()
                    return server, endpoint
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("the moto server did not start")
            time.sleep(0.2)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def reset_and_point_boto3_at(endpoint: str, monkeypatch: pytest.MonkeyPatch, ca_bundle: Path | None = None) -> str:
    """Point boto3 at a freshly reset moto server (through boto3's own AWS_ENDPOINT_URL convention)."""
    context = ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else None
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10, context=context).close()
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name, value in NO_AWS_CONFIGURATION.items():
        monkeypatch.setenv(name, value)
    if ca_bundle:
        monkeypatch.setenv("AWS_CA_BUNDLE", str(ca_bundle))
    return endpoint


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1, started by the tests: real HTTP, real boto3."""
    server, endpoint = _start_moto()
    try:
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def moto_auth_endpoint() -> Iterator[str]:
    """A moto server that checks credentials, like AWS: unknown keys are refused."""
    server, endpoint = _start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    try:
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    return reset_and_point_boto3_at(moto_endpoint, monkeypatch)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "moto.pem", folder / "moto.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="session")
def moto_tls_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A moto server over TLS: deployed buckets deny requests without aws:SecureTransport, as on AWS."""
    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    server, endpoint = _start_moto(tls=(cert, key))
    try:
        yield endpoint, cert
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def aws_tls(moto_tls_endpoint: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> str:
    endpoint, cert = moto_tls_endpoint
    return reset_and_point_boto3_at(endpoint, monkeypatch, ca_bundle=cert)


@pytest.fixture
def s3_lake(aws: str) -> Lake:
    import boto3

    boto3.client("s3").create_bucket(Bucket="loglake-test")
    return open_lake("s3://loglake-test/lake")


@pytest.fixture(autouse=True)
def cold_lambda_container() -> Iterator[None]:
    """Handlers build their lake once per container (lru_cache), fetch the redaction key once and point redaction
    at it: every test starts and ends with a cold one, whatever handler test ran before it."""
    from loglake.handlers import environment, etl
    from loglake.transform import redaction

    def cold() -> None:
        environment.lake_from_environment.cache_clear()
        environment._fetch_key.cache_clear()
        redaction.set_key_source(None)
        etl._catalogued.clear()

    cold()
    yield
    cold()


CliRun = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRun:
    """Run `loglake ARGS` as a user's shell does (the real entry point, exit code and all), in-process;
    returns (exit code, stdout, stderr). `cwd` runs it from another folder."""
    from loglake.cli.app import main

    def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
        capsys.readouterr()
        if cwd is not None:
            monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["loglake", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@contextlib.contextmanager
def etl_lands_exactly_once(texts: list[str], options: EtlSettings) -> Iterator[Path]:
    """Deliver `texts` as one raw object to a new temporary lake and run the ETL: it must raise nothing, and
    every event must land exactly once, in one clean table or in quarantine (conservation holds, in SQL).
    Yields the lake's folder for further checks (the property tests' shared check)."""
    with tempfile.TemporaryDirectory() as tmp:
        lake = open_lake(str(Path(tmp) / "lake"))
        write_messages(lake.store, "/fuzz", texts)
        [result] = run_etl(lake, pending_raw_objects(lake), options, workers=1)
        assert result.manifest.clean_rows + result.manifest.quarantined_rows == len(texts)
        with DuckDBEngine(lake.store) as engine:
            union = " UNION ALL ".join(
                [f'SELECT event_id FROM "{table}"' for table in SchemaRegistry(lake.store).tables()]
                + ["SELECT event_id FROM quarantine"]
            )
            landed = sorted(row[0] for row in engine.query(union).rows)
            assert check_conservation(engine, engine.store).ok
        assert landed == sorted(f"e{i}" for i in range(len(texts)))
        yield Path(tmp) / "lake"


PARSER_EXAMPLES = [ex.message for p in PARSERS for ex in importlib.import_module(type(p).__module__).EXAMPLES]
"""Every parser's own example lines: the property tests' seeds."""
NOISE = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)


@st.composite
def mutated_example(draw: st.DrawFn) -> str:
    """A parser's own example, as is, cut short, with noise spliced in, with a field replaced, or doubled."""
    text = draw(st.sampled_from(PARSER_EXAMPLES))
    at = draw(st.integers(0, len(text)))
    action = draw(st.sampled_from(["as_is", "cut", "splice", "replace_token", "double"]))
    if action == "as_is":
        return text
    if action == "cut":
        return text[:at]
    if action == "splice":
        return text[:at] + draw(NOISE) + text[at:]
    if action == "double":
        return text + " " + text
    tokens = text.split(" ")
    tokens[draw(st.integers(0, len(tokens) - 1))] = draw(NOISE)
    return " ".join(tokens)


def benchmark_module(name: str) -> Any:
    """A module of benchmarks/ (its line generators are test data too), imported without leaving that folder
    on sys.path."""
    folder = str(Path(__file__).resolve().parents[1] / "benchmarks")
    sys.path.insert(0, folder)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(folder)


class RecordingConnection:
    """A DuckDB connection that keeps the text of each statement run through it (`statements`): what a test
    of a plan's SQL shape reads."""

    def __init__(self, con: Any) -> None:
        self.con, self.statements = con, []

    def execute(self, sql: str, *args: object) -> Any:
        self.statements.append(sql)
        return self.con.execute(sql, *args)


def classifying_connection(lines: list[str]) -> Any:
    """A DuckDB connection whose table raw_lines holds `lines` (column message, in order) after every parser's
    set-up ran on it: what classification's CASE (etl._routing) and a parser's detection or `sure` read."""
    import duckdb

    from loglake.transform.parsers import PARSERS

    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE raw_lines AS SELECT unnest($lines::VARCHAR[]) AS message", {"lines": lines})
    for parser in PARSERS:
        for statement in parser.setup():
            con.execute(statement)
    return con


VPC_CLOUDFRONT_HEADERS = [
    "version vpc-id subnet-id srcaddr dstaddr action log-status",
    "#Fields: date time c-ip sc-bytes x-edge-location cs-method",
]
"""A VPC and a CloudFront header: in an object, their parsers claim lines of 7 blank-separated and 6 tab-separated
fields (their `custom`), and no `sure` holds."""


def is_object_header(line: str) -> bool:
    """A line that VPC's or CloudFront's set-up takes as its object's header."""
    from loglake.transform.parsers import vpc_flow_log

    return line.startswith("#Fields: ") or re.fullmatch(vpc_flow_log.HEADER_PATTERN, line.rstrip("\r\n")) is not None


def every_format_lines(per_format: int, seed: int) -> list[str]:
    """`per_format` lines of every format of benchmarks/parser_throughput.py (its GENERATORS), format by format in
    name order, drawn from one random.Random(seed)."""
    generators = benchmark_module("parser_throughput").GENERATORS
    rng = random.Random(seed)
    return [generators[name](rng, i) for name in sorted(generators) for i in range(per_format)]


def benchmark_lines(fmt: str, count: int, seed: int) -> list[str]:
    """`count` lines of `fmt` from benchmarks/parser_throughput.py's generator, drawn from one random.Random(seed)."""
    make = benchmark_module("parser_throughput").GENERATORS[fmt]
    rng = random.Random(seed)
    return [make(rng, i) for i in range(count)]


def without_shortcut(patched: pytest.MonkeyPatch, name: str) -> None:
    """Patch etl._shortcuts to leave out parser `name`'s shortcut (every other one kept)."""
    from loglake.transform import etl

    shortcuts = etl._shortcuts
    patched.setattr(
        etl, "_shortcuts", lambda order, likely=None: {k: v for k, v in shortcuts(order, likely).items() if k != name}
    )


def shortcut_parsers(
    lines: list[str], parser: Any, shortcut: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[bool]]:
    """Each line's parser from classification's CASE, with or without `parser`'s shortcut (its `sure` tested
    first), and its `sure` of each line."""
    from loglake.transform import etl
    from loglake.transform.settings import EtlSettings

    with monkeypatch.context() as patched:
        if not shortcut:
            without_shortcut(patched, parser.name)
        connection = classifying_connection(lines)
        parser_sql, _table = etl._routing(EtlSettings())
        rows = connection.execute(f"SELECT {parser_sql}, {parser.sure('message')} FROM raw_lines ORDER BY rowid")
        found = rows.fetchall()
    return [str(row[0]) for row in found], [bool(row[1]) for row in found]


def shortcut_runs(
    parser: Any, objects: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[list[str], list[bool]]]:
    """shortcut_parsers of each object with and without `parser`'s shortcut, asserting that every line gets the
    same parser either way and that every line its `sure` takes gets `parser`: (each line's parser, its `sure`)
    per object."""
    runs = []
    for lines in objects:
        new, sure = shortcut_parsers(lines, parser, True, monkeypatch)
        old, _sure = shortcut_parsers(lines, parser, False, monkeypatch)
        assert [(line, o, n) for line, o, n in zip(lines, old, new, strict=True) if o != n] == []
        assert all(n == parser.name for n, s in zip(new, sure, strict=True) if s)
        runs.append((old, sure))
    return runs


def first_shortcut_runs(
    parser: Any,
    crafted: tuple[list[str], list[str], list[str]],
    bench: list[str],
    custom: list[str],
    monkeypatch: pytest.MonkeyPatch,
    *,
    corpus: list[str] | None = None,
    mutated: list[str] | None = None,
) -> tuple[list[bool], list[str]]:
    """A `sure` tested before every parser (its `ahead_of` is every parser before it in PARSERS) against the CASE
    without it (shortcut_runs), on four objects: `crafted` (the lines `sure` takes, those it does not, and their
    parsers) with `bench` (the format's benchmark lines, all sure), 20 lines of every format of the benchmark and
    each again with CR LF; `crafted` with `corpus` (default: every parser's examples and test_typed_golden.py's
    messages, with their VPC and CloudFront headers), each also with CR LF; `crafted` with `mutated` (when given);
    and `custom` (VPC's and CloudFront's headers) with `crafted` and `bench`, where `sure` is false (their
    `custom`). Returns `sure` of each mutated line and the parsers of the custom object."""
    from loglake.transform import etl
    from loglake.transform.parsers import PARSERS

    sure_lines, not_sure, not_sure_parsers = crafted
    lines = [*sure_lines, *not_sure]
    names = [p.name for p in PARSERS]
    assert etl._shortcuts(names)[parser.name] == names[0]  # tested before every parser
    assert parser.ahead_of == tuple(names[: names.index(parser.name)])
    generated = every_format_lines(20, 13)
    corpus = [*PARSER_EXAMPLES, *golden_messages()] if corpus is None else corpus
    objects = [
        [*lines, *bench, *generated, *(line + "\r\n" for line in generated)],
        [*lines, *corpus, *(line + "\r\n" for line in corpus)],
        *([[*lines, *mutated]] if mutated is not None else []),
        [*custom, *lines, *bench],
    ]
    runs = shortcut_runs(parser, objects, monkeypatch)
    old, sure = runs[0]
    assert sure[: len(lines)] == [j < len(sure_lines) for j in range(len(lines))]
    assert sure[len(lines) : len(lines) + len(bench)] == [True] * len(bench)
    assert old[len(sure_lines) : len(lines)] == not_sure_parsers
    assert not any(runs[1][1])  # the corpus holds a VPC and a CloudFront header
    assert not any(runs[-1][1])
    return (runs[2][1][len(lines) :] if mutated is not None else []), runs[-1][0]


def mutate(line: str, rng: random.Random, noise: list[str], head: int | None = None) -> str:
    """`line` with 1-3 insertions, deletions or replacements from `noise`; with `head`, half of them at one of its
    first `head` positions (where `sure` and the parsers' guards read)."""
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(head) if head is not None and rng.random() < 0.5 else rng.randrange(len(line) + 1)
        op = rng.random()
        if op < 0.5:
            line = line[:at] + rng.choice(noise) + line[at:]
        elif op < 0.75:
            line = line[:at] + line[at + rng.randint(1, 3) :]
        else:
            line = line[:at] + rng.choice(noise) + line[at + 1 :]
    return line


def sure_lines_claimed(parser: Any, lines: list[str]) -> int:
    """How many of `lines` `parser`'s `sure` takes, asserting that its own detection and plain text's claim each
    of them and that no parser of its `ahead_of` does (what the CASE's order needs)."""
    from loglake.transform.parsers import PARSERS

    claims = ", ".join(f"count(*) FILTER (WHERE {p.detect('message')})" for p in PARSERS)
    query = f"SELECT count(*), {claims} FROM raw_lines WHERE {parser.sure('message')}"
    taken, *found = classifying_connection(lines).execute(query).fetchall()[0]
    by_name = dict(zip([p.name for p in PARSERS], found, strict=True))
    assert by_name.pop(parser.name) == taken
    assert by_name.pop("text") == taken  # plain text takes every line
    assert {name: by_name[name] for name in parser.ahead_of} == dict.fromkeys(parser.ahead_of, 0)
    return int(taken)


T = TypeVar("T")


def in_new_thread(work: Callable[[], T]) -> T:
    """Run `work` in a thread of its own: it starts without a prepared ETL connection, as a new worker does; what it
    raises is raised here."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # handed to the test's thread
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    result: T = box["result"]
    return result


def classified_events(lines: list[str], staged: str | None, columns: str) -> list[tuple[object, ...]]:
    """etl.classify_lines over `lines` as one object's raw_lines, in a thread of its own (a fresh session, released
    as failed); `columns` of `classified` per event. The classification it found to keep is `staged`. The
    statement cache is cleared before and after, so no statement built under other patches is reused."""
    from loglake.transform import etl, session
    from loglake.transform.settings import EtlSettings

    etl._classify_sql.cache_clear()

    def run() -> list[tuple[object, ...]]:
        prepared = session.acquire(None)
        try:
            prepared.con.execute(
                "CREATE TEMP TABLE raw_lines AS SELECT '/g' AS log_group, 's' AS log_stream, 'e' || n AS event_id, "
                "1800000000000 + n AS timestamp, NULL::BIGINT AS ingestion_time, m AS message, 'file' AS source, "
                "NULL::VARCHAR AS message_b64 FROM (SELECT unnest($m::VARCHAR[]) AS m, "
                "generate_subscripts($m::VARCHAR[], 1) AS n)",
                {"m": lines},
            )
            result = etl.classify_lines(prepared.con, "k", EtlSettings())
            assert result.staged == staged
            query = f"SELECT {columns} FROM classified ORDER BY rowid"
            return [tuple(row) for row in prepared.con.execute(query).fetchall()]
        finally:
            session.release(prepared, failed=True)

    try:
        return in_new_thread(run)
    finally:
        etl._classify_sql.cache_clear()


def classified_with_shortcut(
    lines: list[str], monkeypatch: pytest.MonkeyPatch, name: str, shortcut: bool, path: str
) -> list[tuple[object, ...]]:
    """etl.classify_lines over `lines` as one object: (format, reason, table) per event, with parser `name`'s
    shortcut or (`shortcut` false) without it (every other shortcut kept). `path`: "guarded" (the small object's
    guard pass), "large" (the large object's, no likely format), or the likely format the large object's path is
    given; there every shortcut is tested, whatever the object's ends (etl._sure_of)."""
    from loglake.transform import etl, likely_format

    with monkeypatch.context() as patched:
        if path != "guarded":
            patched.setattr(etl, "_GUARD_PASS_MAX_ROWS", -1)
            patched.setattr(likely_format, "guess", lambda messages: None if path == "large" else path)
            patched.setattr(etl, "_sure_of", lambda *args: None)
        if not shortcut:
            without_shortcut(patched, name)
        staged = None if path in ("guarded", "large") else path
        return classified_events(lines, staged, "format, __ll_reason, __ll_table")


def classified_same_without_shortcut(
    lines: list[str], monkeypatch: pytest.MonkeyPatch, name: str, path: str
) -> list[tuple[object, ...]]:
    """classified_with_shortcut with parser `name`'s shortcut and without it, asserting that every line gets the same
    format, reason and table either way; the rows with it."""
    new = classified_with_shortcut(lines, monkeypatch, name, True, path)
    old = classified_with_shortcut(lines, monkeypatch, name, False, path)
    assert [(line, o, n) for line, o, n in zip(lines, old, new, strict=True) if o != n] == []
    return new


def sure_count(parser: Any, lines: list[str]) -> int:
    """How many of `lines`, as one object's raw_lines, `parser`'s `sure` takes."""
    query = f"SELECT count(*) FILTER (WHERE {parser.sure('message')}) FROM raw_lines"
    return int(classifying_connection(lines).execute(query).fetchall()[0][0])


def golden_messages() -> list[str]:
    """Every message of test_typed_golden.py's corpus (tests/transform/parsers/typed_golden.json.gz), in order."""
    golden = Path(__file__).parent / "transform" / "parsers" / "typed_golden.json.gz"
    groups = json.loads(gzip.decompress(golden.read_bytes()))["groups"]
    items = [item for group in groups for item in group]
    messages = [line for item in items for line in ([item] if isinstance(item, str) else item["lines"])]
    assert len(messages) > 800
    return messages


def macro_connection() -> Any:
    """A DuckDB connection with the ETL's time zone and SQL macros (timestamps, levels), as transform/session.py
    prepares one: what a test of a parser's time, level or plan expressions runs them on."""
    import duckdb

    from loglake.transform import levels, timestamps

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(timestamps.MACROS)
    con.execute(levels.MACROS)
    return con


def classified_rows(con: Any, name: str, table: str, messages: list[str]) -> None:
    """Temp table `classified` as classification leaves it for parser `name`: each message with its position `i`."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE classified AS SELECT m.message, $name AS format, $table AS __ll_table, "
        "m.i AS i FROM (SELECT unnest($messages::VARCHAR[]) AS message, unnest(range(len($messages))) AS i) m",
        {"name": name, "table": table, "messages": messages},
    )


def matched_time_rows(
    parser: Any, lines: list[str], shape: str, *, claimed_only: bool = False
) -> list[tuple[Any, ...]]:
    """For a parser whose plan declares a matched time format (timestamps.MATCHED_FORMATS), each of `lines` as its
    plan reads it from `classified`, in order: (position, whether detection claims it, the plan's time string, that
    format's value, ll_parse_time's value), each value against the record time 2026-11-27T12:00Z. Checked on every
    line (`claimed_only`: on the lines detection claims, the only ones the parser writes): the time string is '' or a
    full match of `shape`, and the format's value is ll_parse_time's."""
    from loglake.transform import timestamps
    from loglake.transform.etl import staged_rows

    plan = parser.plan(None, 5)
    assert plan.time_format in timestamps.MATCHED_FORMATS, plan.time_format
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, lines)
    fast = timestamps.parse_time_expression(plan.time, "1795780800000", plan.time_format)
    rows = con.execute(
        f"SELECT i, {parser.detect('message')}, {plan.time}, {fast}, ll_parse_time({plan.time}, 1795780800000) "
        f"FROM ({staged_rows(parser.name, parser.table, plan)}) ORDER BY i"
    ).fetchall()
    checked = [row for row in rows if row[1] or not claimed_only]
    assert [row[2] for row in checked if row[2] != "" and not re.fullmatch(shape, row[2])] == []
    assert [row[0] for row in checked if row[3] != row[4]] == []
    return rows


def prefix_against_regex(
    parser: Any, lines: list[str], old_claim: str | None = None
) -> tuple[list[bool], list[Any], Any, str]:
    """A PrefixParser (or a parser cut after a one-pass head) checked against its whole pattern on `lines`: its
    detection claims what `old_claim` (SQL over `message`; default: the guard, then the whole pattern's full match)
    claimed, and its plan's struct equals the whole pattern's groups on every line. Returns the claims, the struct of
    each line (in order), the connection and the plan's rows (SQL over `classified`, ordered by `i`) for the caller's
    own checks."""
    import duckdb

    from loglake.transform.etl import staged_rows
    from loglake.transform.parsers.base import LINE, RegexParser, regex_groups

    con = duckdb.connect()
    classified_rows(con, parser.name, parser.table, lines)
    if old_claim is None:
        guard = str(parser.guard).replace("{m}", "message")
        old_claim = f"(CASE WHEN {guard} THEN {RegexParser.matches(parser, 'message')} ELSE false END)"
    pairs = con.execute(f"SELECT {parser.detect('message')}, {old_claim} FROM classified ORDER BY i").fetchall()
    claims = [bool(new) for new, _ in pairs]
    assert claims == [bool(old) for _, old in pairs]
    rows = staged_rows(parser.name, parser.table, parser.plan(con, 5))
    after = con.execute(f"SELECT {parser.struct_column} FROM ({rows}) ORDER BY i").fetchall()
    whole = regex_groups(LINE.format(m="message"), parser.pattern, parser.groups)
    assert len(after) == len(lines)
    assert after == con.execute(f"SELECT {whole} FROM classified ORDER BY i").fetchall()
    return claims, [row[0] for row in after], con, rows


def cut_against_regex(parser: Any, lines: list[str]) -> list[tuple[str, Any, Any, bool]]:
    """For each of `lines` that `parser`'s pattern accepts (ordered by the line): the line, the groups of the
    whole pattern (regexp_extract), the struct the parser's plan stages (its string cut, parsers/base.py
    cut_or_regex) and whether the cut read it (the plan's `<struct>_fast`): where a cut must be the regex."""
    import duckdb

    from loglake.transform.etl import staged_rows
    from loglake.transform.parsers.base import LINE, regex_groups

    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE classified AS SELECT m AS message, $name AS format, $table AS __ll_table "
        "FROM unnest($lines::VARCHAR[]) AS t(m)",
        {"lines": lines, "name": parser.name, "table": parser.table},
    )
    con.execute(f"DELETE FROM classified WHERE NOT {parser.matches('message')}")
    whole = regex_groups(LINE.format(m="message"), parser.pattern, parser.groups)
    struct = parser.struct_column
    rows = staged_rows(parser.name, parser.table, parser.plan(con, 5))
    found: list[tuple[str, Any, Any, bool]] = con.execute(
        f"SELECT message, {whole}, {struct}, {struct}_fast FROM ({rows}) ORDER BY message"
    ).fetchall()
    return found


def distinct_ids(rng: random.Random, n: int, digits: str = "0123456789abcdef", length: int = 8) -> list[str]:
    """n distinct ids of `length` characters of `digits`, each with a letter when `digits` has one (the skip
    index's files of ids, lake/skip_index.py HEX_FILE)."""
    made: set[str] = set()
    while len(made) < n:
        word = "".join(rng.choice(digits) for _ in range(length))
        if digits.isdigit() or not word.isdigit():
            made.add(word)
    return sorted(made)


def reference_bloom(con: Any, items: set[str], bits: int) -> bytes:
    """A skip index's filter of `items`, set bit by bit in Python as SkipIndex.may_contain reads it: the reference
    the SQL build is compared with (tests/lake/test_skip_index*.py)."""
    from loglake.lake import skip_index

    bloom = bytearray(bits // 8)
    for hashed in skip_index.hashes(con, sorted(items))[0]:
        for p in skip_index.positions(hashed, bits):
            bloom[p >> 3] |= 0x80 >> (p & 7)
    return bytes(bloom)


class SkipItemsSnapshot:
    """A connection that keeps the rows of the skip index build's items table (dropped before build_many
    returns) and its parameters: what tests/lake/test_skip_index_*.py compare with an older items statement."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.rows: list[tuple[int, int | None]] = []
        self.params: dict[str, Any] = {}

    def execute(self, sql: str, *args: Any) -> Any:
        result = self.con.execute(sql, *args)
        if "CREATE OR REPLACE TEMP TABLE __ll_skip_items" in sql:
            self.params = args[0]
            self.rows = self.con.execute("SELECT f, h FROM __ll_skip_items ORDER BY f, h NULLS FIRST").fetchall()
        return result


def message_parquet(con: Any, path: Path, messages: list[str | None]) -> Path:
    """A Parquet file of one `message` column: a clean file as the skip index reads it."""
    con.execute("CREATE OR REPLACE TEMP TABLE m AS SELECT unnest($m::VARCHAR[]) AS message", {"m": messages})
    con.execute(f"COPY m TO '{path}' (FORMAT parquet)")
    con.execute("DROP TABLE m")
    return path


def index_definition(messages: list[str | None]) -> set[str]:
    """The skip index's items by its definition (lake/skip_index.py): each word of the lowered messages and each
    trigram inside a word, with no shortcut."""
    from loglake.lake import skip_index

    found = {w for m in messages if m for w in skip_index.WORD.findall(m.lower())}
    return {f"t:{w}" for w in found} | {f"g:{w[i : i + 3]}" for w in found for i in range(len(w) - 2)}


HEX_ITEMS = {f"g:{a}{b}{c}" for a in "0123456789abcdef" for b in "0123456789abcdef" for c in "0123456789abcdef"}
"""The 4,096 hex trigrams as skip index items: what a file of ids holds (lake/skip_index.py HEX_FILE)."""


def assert_filters_are_the_definitions(
    con: Any, built: dict[str, Any], batches: dict[str, list[str | None]], prefix: str
) -> None:
    """Every batch's file but `long_word` (unindexable: no index) has the filter of its definition's items (with
    HEX_ITEMS for `ids`, a file of ids), bit for bit: tests/lake/test_skip_index_*.py's check of a build."""
    from loglake.lake import skip_index

    assert sorted(built) == sorted(f"{prefix}{name}.parquet" for name in batches if name != "long_word")
    for name, messages in batches.items():
        if name == "long_word":
            continue
        key = f"{prefix}{name}.parquet"
        items = index_definition(messages) | (HEX_ITEMS if name == "ids" else set())
        assert (name, built[key].items) == (name, len(items))
        assert built[key].bloom == reference_bloom(con, items, skip_index.filter_bits(len(items)))


def build_with_snapshot(
    con: Any, tmp_path: Path, batches: dict[str, list[str | None]], prefix: str
) -> tuple[dict[str, Path], SkipItemsSnapshot, dict[str, Any]]:
    """Each batch of messages as a clean Parquet file under `prefix`, their skip indexes built in one build_many, and
    the snapshot of its items table: the set-up of tests/lake/test_skip_index_*.py's comparisons."""
    from loglake.lake import skip_index

    files = {
        f"{prefix}{name}.parquet": message_parquet(con, tmp_path / f"{name}.parquet", m) for name, m in batches.items()
    }
    snapshot = SkipItemsSnapshot(con)
    built = skip_index.build_many(files, versions=dict.fromkeys(files, "v"), con=snapshot)  # type: ignore[arg-type]
    return files, snapshot, built
