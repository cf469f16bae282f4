"""Request classification: category (coding, tool_calling, prose, vision) and signals.

classifier = load_default_classifier()      # once, at startup
result = classifier.classify(request, headers)
"""

from __future__ import annotations

from .default import DefaultClassifier
from .loader import load_default_classifier
from .registry import ClassifierRegistry, builtin_registry, create_classifier
from .types import CATEGORIES, Classification, Classifier

__all__ = [
    "CATEGORIES",
    "Classification",
    "Classifier",
    "ClassifierRegistry",
    "DefaultClassifier",
    "builtin_registry",
    "create_classifier",
    "load_default_classifier",
]
