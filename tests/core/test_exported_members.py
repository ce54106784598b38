import pytest
import stackhub


def test_every_exported_name_resolves():
    # Its order is ruff's (RUF022), checked by the lint environment.
    assert len(set(stackhub.__all__)) == len(stackhub.__all__)
    for name in stackhub.__all__:
        assert getattr(stackhub, name) is not None, name


def test_all_lists_exactly_the_lazy_exports():
    assert set(stackhub.__all__) == set(stackhub._EXPORTS)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="^module 'stackhub' has no attribute 'nope'$"):
        stackhub.nope  # noqa: B018


def test_every_error_derives_from_stackhub_error():
    from stackhub import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.StackhubError)
