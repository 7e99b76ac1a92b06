from __future__ import annotations

import pytest

import loglake


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert loglake.__all__ == sorted(loglake.__all__)
    for name in loglake.__all__:
        assert getattr(loglake, name) is not None


def test_unknown_names_raise() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = loglake.no_such_thing  # type: ignore[attr-defined]
