"""Property: for any messages (random text, and every parser's examples cut, spliced and mutated) and any
flattening settings, the ETL raises nothing and every event lands exactly once: in one clean table or
in quarantine, never both, never twice, never lost."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PARSER_EXAMPLES, etl_lands_exactly_once, mutated_example
from loglake.transform.settings import EtlSettings

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10,
)
# JSON that looks like the known shapes (CloudTrail, Lambda platform, API Gateway) with arbitrary values.
shaped_json = st.fixed_dictionaries(
    {},
    optional={
        "eventVersion": json_values,
        "eventSource": json_values,
        "userIdentity": json_values,
        "resources": json_values,
        "type": st.sampled_from(["platform.report", "platform.start"]) | json_values,
        "record": json_values,
        "requestId": json_values,
        "httpMethod": json_values,
        "level": json_values,
        "timestamp": json_values,
    },
).map(json.dumps)

messages = st.lists(
    st.one_of(st.text(max_size=80), mutated_example(), shaped_json, st.sampled_from(PARSER_EXAMPLES)),
    min_size=1,
    max_size=20,
)
etl_settings = st.builds(
    EtlSettings,
    max_depth=st.integers(1, 6),
    separator=st.sampled_from(["_", "__", "x"]),
    output_format=st.sampled_from(["parquet", "jsonl"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages, etl_settings)
def test_every_event_lands_exactly_once(texts: list[str], options: EtlSettings) -> None:
    with etl_lands_exactly_once(texts, options) as lake:
        assert any((lake / "raw").rglob("*.json.gz"))  # the checks are the context manager's
