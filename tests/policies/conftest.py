from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backends.contract import CanonicalRequest
from policies.classify import Classification, DefaultClassifier, load_default_classifier
from router.dialects import get_dialect

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
FIXTURES = REPO / "tests" / "fixtures" / "clients"


@pytest.fixture(scope="session")
def default_classifier() -> DefaultClassifier:
    return load_default_classifier()


def parse(body: dict[str, Any]) -> CanonicalRequest:
    body = dict(body)
    return get_dialect(body.pop("dialect", "openai")).parse_request(body)


@pytest.fixture(scope="session")
def classify(default_classifier: DefaultClassifier) -> Any:
    def run(body: dict[str, Any], headers: dict[str, str] | None = None) -> Classification:
        return default_classifier.classify(parse(body), headers)

    return run
