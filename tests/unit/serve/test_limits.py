import pytest

from signclip.errors import ConfigError
from signclip.serve.limits import ServeLimits


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch_wait_ms", float("inf"), "finite"),
        ("batch_wait_ms", float("nan"), "finite"),
        ("batch_wait_ms", 5000.0, "at most"),
        ("max_k", 0, "positive"),
        ("batch_wait_ms", -1.0, "positive"),
    ],
)
def test_impossible_limits_are_refused_by_name(field, value, message):
    with pytest.raises(ConfigError, match=f"{field}=.*{message}"):
        ServeLimits(**{field: value})


def test_no_wait_is_allowed():
    assert ServeLimits(batch_wait_ms=0).batch_wait_ms == 0
