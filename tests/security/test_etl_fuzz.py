"""Fuzz of the whole ETL, as an attacker who writes log lines would drive it.

Inputs: random text, every parser's examples cut, spliced and mutated, random JSON (nested, arrays, wide
objects of up to 300 keys, huge and signed integers), logfmt, and a secret (an e-mail, a Luhn-valid card
number) planted in any of them: in text, as a JSON string, as a JSON number, nested, in an array. Settings
are random too (depth, separator, output format, a column cap of 1 to 600), under a rule that redacts
e-mails and cards everywhere.

Properties, for every input:
- the ETL raises nothing (a bad line is quarantined, never an exception that stalls the object);
- every event lands exactly once, in one clean table or in quarantine (conservation holds, in SQL);
- no secret survives anywhere outside the raw zone (clean, quarantine, the schema registry): any byte, gzip,
  Parquet values, statistics, metadata.

CI runs a short profile (LOGLAKE_FUZZ_EXAMPLES, default 25). The long run, outside CI:
    LOGLAKE_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/security/test_etl_fuzz.py -p no:cacheprovider \
        --hypothesis-seed=1 -q   (and =2 in a second process)
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_scan import leaks

from conftest import etl_lands_exactly_once, mutated_example
from loglake.transform.settings import EtlSettings

EMAIL = "mallory.secret@example.org"
CARD = "4916338506082832"  # Luhn-valid
SECRETS = (EMAIL, CARD)
KEY = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=8)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEY, inner, max_size=5), max_leaves=12
)
wide_object = st.dictionaries(KEY, scalars, min_size=50, max_size=300)
secret_value: st.SearchStrategy[Any] = st.sampled_from([EMAIL, CARD, int(CARD), [EMAIL], {"pan": CARD}, f"x {EMAIL} y"])


@st.composite
def with_secret_in_json(draw: st.DrawFn) -> str:
    document = draw(st.dictionaries(KEY, json_values, min_size=1, max_size=6))
    keys = list(document)
    key = draw(st.sampled_from(keys))
    value = draw(secret_value)
    if draw(st.booleans()) and isinstance(document[key], dict):
        document[key]["inner"] = value  # nested one level deeper
    else:
        document[key] = value
    return json.dumps(document)


@st.composite
def with_secret_in_text(draw: st.DrawFn) -> str:
    text = draw(st.one_of(st.text(max_size=60), mutated_example()))
    at = draw(st.integers(0, len(text)))
    # Separated by spaces: a secret glued to other digits or letters is another value, not this secret.
    return f"{text[:at]} {draw(st.sampled_from(SECRETS))} {text[at:]}"


logfmt = st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), st.text(max_size=8), max_size=6).map(
    lambda pairs: " ".join(f"{k}={json.dumps(v)}" for k, v in pairs.items())
)
messages = st.lists(
    st.one_of(
        st.text(max_size=80),
        mutated_example(),
        json_values.map(json.dumps),
        wide_object.map(json.dumps),
        logfmt,
        with_secret_in_json(),
        with_secret_in_text(),
    ),
    min_size=1,
    max_size=12,
)
etl_settings = st.builds(
    EtlSettings,
    max_depth=st.integers(1, 6),
    separator=st.sampled_from(["_", "__", "x"]),
    output_format=st.sampled_from(["parquet", "jsonl"]),
    max_columns=st.integers(1, 600),
    redact=st.just(({"tables": ["*"], "fields": ["*"], "kinds": ["email", "card"]},)),
)


@settings(
    max_examples=int(os.environ.get("LOGLAKE_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(messages, etl_settings)
def test_any_lines_land_exactly_once_and_leak_no_secret(texts: list[str], options: EtlSettings) -> None:
    with etl_lands_exactly_once(texts, options) as lake:
        written = leaks(lake, ("clean", "quarantine", "schema"), SECRETS, alone=True)
        assert {path: where for path, where in written.items() if where} == {}
