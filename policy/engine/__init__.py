"""The policy rule engine: pure Python, no Django.

rules = parse_policy_yaml(text)      # or validate_rules(list_of_dicts)
policy = compile_policy(rules)       # once per policy version; immutable, thread-safe
result = policy.lint(text, channel="@brand", platform="mastodon", category="promo")
result.blocked, result.findings, result.to_dict()
"""

from policy.engine.compiler import CompiledPolicy, Finding, LintResult, compile_policy
from policy.engine.schema import (
    RULE_KINDS,
    PolicyFormatError,
    RuleList,
    dump_policy_yaml,
    parse_policy_yaml,
    validate_rules,
)
from policy.engine.starter import starter_rules

__all__ = [
    "RULE_KINDS",
    "CompiledPolicy",
    "Finding",
    "LintResult",
    "PolicyFormatError",
    "RuleList",
    "compile_policy",
    "dump_policy_yaml",
    "parse_policy_yaml",
    "starter_rules",
    "validate_rules",
]
