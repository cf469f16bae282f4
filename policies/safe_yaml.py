"""YAML from operators and admins, loaded with a nesting limit: PyYAML's composer recurses once per
level, so a document nested a few thousand deep raises RecursionError (a crash, not a YAML error).
The parser itself is iterative, so the depth is counted on its event stream before anything is built."""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 100  # configuration and rules nest a handful of levels


class TooDeep(yaml.YAMLError):
    pass


def load_yaml(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """yaml.safe_load(text), or TooDeep (a yaml.YAMLError) when collections nest deeper than max_depth."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise TooDeep(f"nested more than {max_depth} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return yaml.safe_load(text)
