"""YAML nested past the limit is a YAML error, not a RecursionError from PyYAML's composer."""

from __future__ import annotations

import pytest
import yaml

from policies.rules import parse_rules_yaml
from policies.safe_yaml import MAX_DEPTH, TooDeep, load_yaml


def nested(n: int) -> str:
    return "[" * n + "]" * n


def test_depth_limit() -> None:
    assert load_yaml(nested(MAX_DEPTH)) is not None
    assert load_yaml("a: {b: [1, 2]}\nc: x\n") == {"a": {"b": [1, 2]}, "c": "x"}
    with pytest.raises(TooDeep):
        load_yaml(nested(MAX_DEPTH + 1))
    with pytest.raises(yaml.YAMLError):  # what callers already catch
        load_yaml(nested(5000))


def test_rules_nested_5000_deep_are_an_error() -> None:
    block = "rules:\n" + "".join("  " * i + "- \n" for i in range(1, 5000))
    for text in (nested(5000), block):
        _, errors = parse_rules_yaml(text, ["up"])
        assert errors and "nested more than" in errors[0]
