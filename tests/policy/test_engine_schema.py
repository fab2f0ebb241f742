"""The policy file: parsing, validation with line numbers, and writing it back."""

import textwrap

import pytest

from policy.engine import (
    RULE_KINDS,
    PolicyFormatError,
    compile_policy,
    dump_policy_yaml,
    parse_policy_yaml,
    starter_rules,
    validate_rules,
)

GOOD = textwrap.dedent(
    """\
    name: Acme social policy
    description: What goes out on Acme's accounts.
    rules:
      - id: no-profanity
        kind: banned_terms
        severity: block
        message: No profanity on brand channels.
        terms: [fuck, shit, "go to hell"]
      - id: brand-name
        kind: brand_spelling
        severity: warn
        message: Write KitchenAid.
        canonical: KitchenAid
      - id: disclose
        kind: required_terms
        severity: block
        message: Sponsored posts say #ad.
        any_of: ["#ad", "#sponsored"]
        categories: [sponsored]
      - id: hashtags
        kind: max_count
        severity: warn
        message: At most 5 hashtags.
        what: hashtags
        max: 5
        channels: ["@acme", mastodon]
      - id: links
        kind: link_domains
        severity: block
        message: Link only to our own sites.
        allow: [acme.com]
      - id: politics
        kind: sensitive_topics
        severity: block
        message: Not on the brand account.
        terms: [election, "#prayfor*"]
        enabled: false
      - id: new-tags
        kind: hashtags
        severity: warn
        message: "{tag} is new here."
        known: ["#ad"]
    """
)


def test_a_good_file_parses_to_normalised_rules():
    rules = parse_policy_yaml(GOOD)
    assert [r["id"] for r in rules] == [
        "no-profanity",
        "brand-name",
        "disclose",
        "hashtags",
        "links",
        "politics",
        "new-tags",
    ]
    assert rules.name == "Acme social policy"
    assert rules.description == "What goes out on Acme's accounts."
    assert rules[0] == {
        "id": "no-profanity",
        "kind": "banned_terms",
        "severity": "block",
        "message": "No profanity on brand channels.",
        "enabled": True,
        "terms": ["fuck", "shit", "go to hell"],
    }
    assert rules[5]["enabled"] is False
    assert set(RULE_KINDS) == {r["kind"] for r in rules}


def test_dump_round_trips():
    rules = parse_policy_yaml(GOOD)
    text = dump_policy_yaml(rules)
    again = parse_policy_yaml(text)
    assert again == rules
    assert again.name == rules.name and again.description == rules.description
    assert "enabled: false" in text and "enabled: true" not in text


def test_the_starter_policy_round_trips():
    rules = starter_rules()
    assert parse_policy_yaml(dump_policy_yaml(rules)) == rules


def test_dump_quotes_what_yaml_would_misread():
    rules = validate_rules(
        [
            {
                "id": "odd",
                "kind": "banned_terms",
                "severity": "warn",
                "message": "yes",
                "terms": ["no", "on", "1.0", "#ad", "null", "- x", "a: b", "ünïcödé", "x\ny"],
            }
        ]
    )
    assert parse_policy_yaml(dump_policy_yaml(rules)) == rules


def error(text):
    with pytest.raises(PolicyFormatError) as info:
        parse_policy_yaml(textwrap.dedent(text))
    return info.value


def test_error_names_the_line_and_the_rule():
    exc = error(
        """\
        rules:
          - id: ok
            kind: banned_terms
            severity: block
            message: m
            terms: [x]
          - id: x
            kind: foo
            severity: block
            message: m
        """
    )
    assert exc.line == 8
    assert str(exc).startswith("line 8: rule 'x': unknown kind 'foo'")


@pytest.mark.parametrize(
    "text, line, reason",
    [
        ("- a\n- b\n", 1, "must be a mapping"),
        ("", None, "not an empty file"),
        ("name: x\n", 1, "missing 'rules'"),
        ("rules: x\n", 1, "'rules' must be a list"),
        ("rules: []\nfoo: 1\n", 2, "unknown top-level key 'foo'"),
        ("rules:\n  - 3\n", 2, "a rule must be a mapping"),
        ("rules:\n  - kind: banned_terms\n", 2, "missing 'id'"),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: high\n    message: m\n"
            "    terms: [x]\n",
            4,
            "severity must be 'block' or 'warn'",
        ),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n",
            2,
            "missing 'message'",
        ),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: '  '\n"
            "    terms: [x]\n",
            5,
            "'message' is empty",
        ),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: m\n"
            "    terms: []\n",
            6,
            "'terms' is empty",
        ),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: m\n"
            "    terms: fuck\n",
            6,
            "'terms' must be a list",
        ),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: m\n"
            "    terms: [x, 3]\n",
            6,
            "entries must be text",
        ),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: m\n"
            "    terms: ['!!!']\n",
            6,
            "has no letters or digits once normalised",
        ),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: m\n"
            "    terms: ['f*ck']\n",
            6,
            "'*' is only allowed at the end",
        ),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: m\n"
            "    terms: [x]\n    colour: red\n",
            7,
            "unknown key 'colour'",
        ),
        (
            "rules:\n  - id: a\n    kind: max_count\n    severity: block\n    message: m\n"
            "    what: hashtags\n    max: -1\n",
            7,
            "'max' must be 0 or more",
        ),
        (
            "rules:\n  - id: a\n    kind: max_count\n    severity: block\n    message: m\n"
            "    what: hashtags\n    max: true\n",
            7,
            "'max' must be a whole number",
        ),
        (
            "rules:\n  - id: a\n    kind: max_count\n    severity: block\n    message: m\n"
            "    what: words\n    max: 1\n",
            6,
            "'what' must be one of hashtags, mentions, links, emoji",
        ),
        (
            "rules:\n  - id: a\n    kind: link_domains\n    severity: block\n    message: m\n"
            "    allow: [https://x.com/]\n",
            6,
            "not a URL",
        ),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: m\n"
            "    terms: [x]\n    enabled: maybe\n",
            7,
            "'enabled' must be true or false",
        ),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: m\n"
            "    terms: [x]\n    channels: []\n",
            7,
            "'channels' is empty",
        ),
        (
            "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: m\n"
            "    terms: [x]\n  - id: a\n    kind: banned_terms\n    severity: block\n"
            "    message: m\n    terms: [y]\n",
            7,
            "rule 'a': duplicate id",
        ),
        (
            "rules:\n  - id: 'bad id!'\n    kind: banned_terms\n",
            2,
            "id 'bad id!' must be",
        ),
        (
            "rules:\n  - id: a\n    id: b\n",
            3,
            "duplicate key 'id'",
        ),
        ("rules: [\n", 2, "YAML syntax error"),
        ("rules:\n  - id: a\n   kind: x\n", 3, "YAML syntax error"),
        ("rules:\n\t- id: a\n", 2, "YAML syntax error"),
        ("rules: !!python/object:os.system x\n", 1, "YAML syntax error"),
    ],
)
def test_invalid_files_are_refused_with_a_reason(text, line, reason):
    exc = error(text)
    assert exc.line == line, str(exc)
    assert reason in str(exc)


def test_huge_files_are_refused():
    text = "rules: []\n#" + "x" * 1_000_001
    with pytest.raises(PolicyFormatError, match="larger than 1 MB"):
        parse_policy_yaml(text)


def test_deep_nesting_and_alias_bombs_are_refused_quickly():
    with pytest.raises(PolicyFormatError):
        parse_policy_yaml("rules: " + "[" * 50_000 + "]" * 50_000)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for i in "bcdefgh":
        prev = chr(ord(i) - 1)
        bomb += f"{i}: &{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    bomb += "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: m\n"
    bomb += "    terms: *h\n"
    with pytest.raises(PolicyFormatError):
        parse_policy_yaml(bomb)


def test_bytes_must_be_utf8():
    assert parse_policy_yaml(b"rules: []\n") == []
    with pytest.raises(PolicyFormatError, match="not UTF-8"):
        parse_policy_yaml(b"rules: [\xff]\n")


def test_validate_rules_has_no_lines_and_returns_copies():
    rule = {
        "id": "a",
        "kind": "banned_terms",
        "severity": "warn",
        "message": " m ",
        "terms": [" x ", "x", "y"],
    }
    out = validate_rules([rule])
    assert out == [
        {
            "id": "a",
            "kind": "banned_terms",
            "severity": "warn",
            "message": "m",
            "enabled": True,
            "terms": ["x", "y"],
        }
    ]
    assert rule["terms"] == [" x ", "x", "y"]
    with pytest.raises(PolicyFormatError) as info:
        validate_rules([{**rule, "kind": "nope"}])
    assert info.value.line is None
    assert str(info.value) == (
        "rule 'a': unknown kind 'nope' (expected one of: banned_terms, brand_spelling, "
        "required_terms, max_count, link_domains, sensitive_topics, hashtags)"
    )
    with pytest.raises(PolicyFormatError, match="rules must be a list"):
        validate_rules({"rules": []})


def test_compile_validates_too():
    with pytest.raises(PolicyFormatError):
        compile_policy([{"id": "a"}])
    assert compile_policy([]).lint("anything").to_dict() == {"blocked": False, "findings": []}


def test_a_brand_name_longer_than_copy_would_write_is_refused():
    long_name = "Kitchen" * 6
    exc = error(
        f"""\
        rules:
          - id: brand
            kind: brand_spelling
            severity: warn
            message: m
            canonical: {long_name}
        """
    )
    assert "'canonical' is longer than 40 characters" in str(exc)
    assert exc.line == 6  # the canonical line itself
