from hypothesis import given, settings, strategies as st, HealthCheck
from tests.policy.test_engine_properties import FULL, STARTER, assert_valid, tricky_text

A = st.sampled_from(list("abcdefhiklmnorstuxyz0123456789@$!|#._-*' ") + ["https://", "www.", ".com/", "#", "f.u.c.k", "sh1t", "a ", "I ", "b i t c h", "\u200b", "é", "Ⓐ"])
@settings(max_examples=20000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(A, max_size=80).map("".join))
def test_fuzz_digits(text):
    assert_valid(text, FULL.lint(text, channel="@brand", category="sponsored"))
    assert_valid(text, STARTER.lint(text))
    many = FULL.lint_many([text, "hello " + text, "x"])
    assert [r.to_dict() for r in many[:1]] == [FULL.lint(text).to_dict()]
