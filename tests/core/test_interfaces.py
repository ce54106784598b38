"""The interfaces keep their promises: every required operation is abstract, typed and states its contract."""

from __future__ import annotations

import inspect

import pytest
from stackhub import categories

OPTIONAL_MIXINS = {
    "feature_store": ["SupportsPush"],
    "labeling": ["SupportsPredictions"],
    "monitor": ["SupportsHtmlReport"],
    "tracker": ["SupportsModelRegistry"],
    "warehouse": [],
}


@pytest.mark.parametrize("category", sorted(categories.CATEGORIES))
def test_every_operation_is_abstract_typed_and_has_a_contract(category):
    interface = categories.interface(category)
    assert interface.category == category
    operations = sorted(interface.__abstractmethods__ - {"health"})
    assert operations, f"{category} declares no operation"
    for name in operations:
        method = getattr(interface, name)
        doc = inspect.getdoc(method) or ""
        assert doc, f"{category}.{name} has no docstring"
        signature = inspect.signature(method)
        assert signature.return_annotation is not inspect.Signature.empty, f"{category}.{name} has no return type"
        for parameter in list(signature.parameters.values())[1:]:
            assert parameter.annotation is not inspect.Parameter.empty, f"{category}.{name}({parameter.name})"


@pytest.mark.parametrize("category", sorted(categories.CATEGORIES))
def test_capabilities_are_declared_data_with_a_mixin_each(category):
    module = categories.load(category)
    caps = categories.capabilities(category)
    assert all(isinstance(text, str) and text.endswith(".") for text in caps.values())
    for mixin in OPTIONAL_MIXINS[category]:
        assert inspect.isabstract(getattr(module, mixin))
        assert any(mixin in text for text in caps.values()), f"no capability names {mixin}"


@pytest.mark.parametrize("category", sorted(categories.CATEGORIES))
def test_models_are_strict(category):
    for model in categories.load(category).MODELS:
        assert model.model_config.get("extra") == "forbid", model.__name__
