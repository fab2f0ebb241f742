"""The policy file: parsing, validation and writing.

A policy is a YAML mapping with ``rules:`` (a list) and optionally ``name:`` and
``description:``. Each rule is a mapping; see ``RULE_KINDS`` for the fields each kind
takes. Validation refuses the whole file on the first problem, with the line of the
offending rule or field and a precise reason.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_POLICY_BYTES = 1_000_000
MAX_TERM_CHARS = 200
# A brand name as written in copy. Spellings split over whitespace are found with
# patterns that grow with the square of its length (brand.head_pattern/tail_pattern).
MAX_CANONICAL_CHARS = 40
MAX_TERMS_PER_RULE = 20_000
MAX_MESSAGE_CHARS = 1_000

SEVERITIES = ("block", "warn")
COUNTABLE = ("hashtags", "mentions", "links", "emoji")
COMMON_REQUIRED = ("id", "kind", "severity", "message")
COMMON_OPTIONAL = ("channels", "categories", "enabled")

# kind -> (required kind-specific fields, optional kind-specific fields)
RULE_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "banned_terms": (("terms",), ()),
    "brand_spelling": (("canonical",), ()),
    "required_terms": (("any_of",), ()),
    "max_count": (("what", "max"), ()),
    "link_domains": (("allow",), ()),
    "sensitive_topics": (("terms",), ()),
}
FIELD_ORDER = (
    "id",
    "kind",
    "severity",
    "message",
    "channels",
    "categories",
    "enabled",
    "terms",
    "canonical",
    "any_of",
    "what",
    "max",
    "allow",
)

# PyYAML's scanner slows down quadratically with flow nesting depth; refuse early.
_DEEP_RE = re.compile(r"(?:[\[{]\s*){64}|(?:-[ \t]+){64}")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_HOST_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_-]{1,63})*$")


class PolicyFormatError(ValueError):
    """A policy that cannot be used, with the YAML line (when known) and the reason."""

    def __init__(self, line: int | None, reason: str):
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}" if line else reason)


class RuleList(list):
    """The rules of a policy; ``name`` and ``description`` of the file ride along."""

    name: str | None = None
    description: str | None = None


# --- YAML with line numbers ------------------------------------------------------------


class _Map(dict):
    line: int | None = None
    key_lines: dict


class _Seq(list):
    line: int | None = None
    item_lines: list


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


MAX_NODES = 500_000


def _convert(node: yaml.Node, loader: yaml.SafeLoader, depth: int = 0, budget=None) -> Any:
    """Plain Python values from a composed node, keeping line numbers on containers."""
    if budget is None:
        budget = [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise PolicyFormatError(None, "the file is too large once its aliases are expanded")
    if depth > 20:
        raise PolicyFormatError(_line(node), "the file is nested too deeply")
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_object(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        seq = _Seq(_convert(item, loader, depth + 1, budget) for item in node.value)
        seq.line = _line(node)
        seq.item_lines = [_line(item) for item in node.value]
        return seq
    if isinstance(node, yaml.MappingNode):
        mapping = _Map()
        mapping.line = _line(node)
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise PolicyFormatError(_line(key_node), "keys must be plain words")
            key = loader.construct_object(key_node)
            if key == "<<" and key_node.tag == "tag:yaml.org,2002:merge":
                raise PolicyFormatError(_line(key_node), "merge keys (<<) are not supported")
            if not isinstance(key, str):
                raise PolicyFormatError(_line(key_node), f"key {key!r} is not a word")
            if key in mapping:
                raise PolicyFormatError(_line(key_node), f"duplicate key '{key}'")
            mapping[key] = _convert(value_node, loader, depth + 1, budget)
            mapping.key_lines[key] = _line(key_node)
        return mapping
    raise PolicyFormatError(_line(node), "unsupported YAML node")  # pragma: no cover


def _load(text: str) -> Any:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _convert(node, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise PolicyFormatError(line, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise PolicyFormatError(None, f"YAML error: {exc}") from None
    except RecursionError:
        raise PolicyFormatError(None, "the file is nested too deeply") from None
    finally:
        loader.dispose()


def parse_policy_yaml(yaml_text: str | bytes) -> RuleList:
    """Parse and validate a policy file. Raises PolicyFormatError."""
    if isinstance(yaml_text, bytes):
        if len(yaml_text) > MAX_POLICY_BYTES:
            raise PolicyFormatError(None, "the policy file is larger than 1 MB")
        try:
            yaml_text = yaml_text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyFormatError(None, f"the file is not UTF-8 ({exc.reason})") from None
    if not isinstance(yaml_text, str):
        raise PolicyFormatError(None, "the policy must be text")
    if len(yaml_text) > MAX_POLICY_BYTES or (
        len(yaml_text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES
    ):
        raise PolicyFormatError(None, "the policy file is larger than 1 MB")
    deep = _DEEP_RE.search(yaml_text)
    if deep:
        line = yaml_text.count("\n", 0, deep.start()) + 1
        raise PolicyFormatError(line, "the file is nested too deeply")
    data = _load(yaml_text)
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {_type_name(data)}"
        raise PolicyFormatError(
            getattr(data, "line", None) or (1 if data is not None else None),
            f"the policy must be a mapping with a 'rules' list, not {found}",
        )
    lines = getattr(data, "key_lines", {})
    unknown = sorted(set(data) - {"rules", "name", "description"})
    if unknown:
        raise PolicyFormatError(
            lines.get(unknown[0]),
            f"unknown top-level key '{unknown[0]}' (allowed: rules, name, description)",
        )
    if "rules" not in data:
        raise PolicyFormatError(getattr(data, "line", None), "missing 'rules'")
    rules = data["rules"]
    if rules is None:
        rules = _Seq()
    if not isinstance(rules, list):
        raise PolicyFormatError(lines.get("rules"), "'rules' must be a list of rules")
    result = _validate(rules, getattr(rules, "item_lines", None))
    for key in ("name", "description"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise PolicyFormatError(lines.get(key), f"'{key}' must be text")
        setattr(result, key, value.strip() or None)
    return result


def validate_rules(rules: Any) -> RuleList:
    """Validate rules that come as Python data (a web form, the database)."""
    if not isinstance(rules, list | tuple):
        raise PolicyFormatError(None, "rules must be a list")
    result = _validate(list(rules), None)
    for key in ("name", "description"):
        setattr(result, key, getattr(rules, key, None))
    return result


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def _validate(rules: list, item_lines: list | None) -> RuleList:
    from policy.engine.matcher import term_is_empty  # late: matcher imports this module

    out = RuleList()
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules):
        rule_line = item_lines[index] if item_lines else None
        out.append(_validate_rule(index, rule, rule_line, seen, term_is_empty))
    return out


def _validate_rule(index, rule, rule_line, seen, term_is_empty) -> dict:
    where = f"rule #{index + 1}"
    if not isinstance(rule, dict):
        raise PolicyFormatError(
            rule_line, f"{where}: a rule must be a mapping, not {_type_name(rule)}"
        )
    key_lines = getattr(rule, "key_lines", {})

    def line_of(key=None):
        return key_lines.get(key) or getattr(rule, "line", None) or rule_line

    def fail(reason, key=None):
        raise PolicyFormatError(line_of(key), f"{where}: {reason}")

    rule_id = rule.get("id")
    if "id" not in rule or rule_id is None or rule_id == "":
        fail("missing 'id'", "id")
    if not isinstance(rule_id, str):
        fail(f"'id' must be text, not {_type_name(rule_id)}", "id")
    rule_id = rule_id.strip()
    if not _ID_RE.match(rule_id):
        fail(
            f"id {rule_id!r} must be 1-100 letters, digits, '-', '_' or '.', starting with a "
            "letter or digit",
            "id",
        )
    where = f"rule '{rule_id}'"
    if rule_id in seen:
        fail(f"duplicate id (first used on rule #{seen[rule_id] + 1})", "id")
    seen[rule_id] = index

    kind = rule.get("kind")
    if kind is None:
        fail("missing 'kind'", "kind")
    if not isinstance(kind, str) or kind not in RULE_KINDS:
        shown = kind if isinstance(kind, str) else _type_name(kind)
        fail(f"unknown kind '{shown}' (expected one of: {', '.join(RULE_KINDS)})", "kind")
    required, optional = RULE_KINDS[kind]
    allowed = set(COMMON_REQUIRED) | set(COMMON_OPTIONAL) | set(required) | set(optional)
    unknown = [k for k in rule if k not in allowed]
    if unknown:
        key = unknown[0]
        fail(f"unknown key '{key}' for kind {kind} (allowed: {', '.join(sorted(allowed))})", key)
    for key in (*COMMON_REQUIRED, *required):
        if key not in rule or rule[key] is None:
            fail(f"missing '{key}'", key)

    severity = rule["severity"]
    if severity not in SEVERITIES:
        shown = severity if isinstance(severity, str) else _type_name(severity)
        fail(f"severity must be 'block' or 'warn', not '{shown}'", "severity")
    message = rule["message"]
    if not isinstance(message, str):
        fail(f"'message' must be text, not {_type_name(message)}", "message")
    message = message.strip()
    if not message:
        fail("'message' is empty", "message")
    if len(message) > MAX_MESSAGE_CHARS:
        fail(f"'message' is longer than {MAX_MESSAGE_CHARS} characters", "message")

    clean: dict[str, Any] = {"id": rule_id, "kind": kind, "severity": severity, "message": message}
    for key in ("channels", "categories"):
        if key in rule:
            clean[key] = _text_list(rule[key], key, fail)
    enabled = rule.get("enabled", True)
    if not isinstance(enabled, bool):
        fail(f"'enabled' must be true or false, not {_type_name(enabled)}", "enabled")
    clean["enabled"] = enabled

    if kind in ("banned_terms", "sensitive_topics"):
        terms = _text_list(rule["terms"], "terms", fail)
        if len(terms) > MAX_TERMS_PER_RULE:
            fail(f"more than {MAX_TERMS_PER_RULE} terms", "terms")
        for term in terms:
            _check_term(term, "term", fail, term_is_empty)
        clean["terms"] = terms
    elif kind == "brand_spelling":
        canonical = rule["canonical"]
        if not isinstance(canonical, str):
            fail(f"'canonical' must be text, not {_type_name(canonical)}", "canonical")
        canonical = canonical.strip()
        if not canonical:
            fail("'canonical' is empty", "canonical")
        if "*" in canonical or canonical.startswith("#"):
            fail("'canonical' is the name as it should be written, without '#' or '*'", "canonical")
        if len(canonical) > MAX_CANONICAL_CHARS:
            fail(
                f"'canonical' is longer than {MAX_CANONICAL_CHARS} characters: "
                "write the brand name as it appears in posts",
                "canonical",
            )
        _check_term(canonical, "canonical", fail, term_is_empty)
        clean["canonical"] = canonical
    elif kind == "required_terms":
        any_of = _text_list(rule["any_of"], "any_of", fail)
        for term in any_of:
            if len(term) > MAX_TERM_CHARS:
                fail(f"'any_of' entry {term[:20]!r}... is longer than {MAX_TERM_CHARS}", "any_of")
            if not re.search(r"\w", term):
                fail(f"'any_of' entry {term!r} has no letters or digits", "any_of")
        clean["any_of"] = any_of
    elif kind == "max_count":
        what = rule["what"]
        if what not in COUNTABLE:
            shown = what if isinstance(what, str) else _type_name(what)
            fail(f"'what' must be one of {', '.join(COUNTABLE)}, not '{shown}'", "what")
        limit = rule["max"]
        if isinstance(limit, bool) or not isinstance(limit, int):
            fail(f"'max' must be a whole number, not {_type_name(limit)}", "max")
        if limit < 0:
            fail(f"'max' must be 0 or more, not {limit}", "max")
        clean["what"] = what
        clean["max"] = limit
    elif kind == "link_domains":
        from policy.engine.entities import normalise_host

        allow = _text_list(rule["allow"], "allow", fail)
        for host in allow:
            if "/" in host or ":" in host or "@" in host or " " in host:
                fail(
                    f"'allow' entry {host!r} must be a host name like example.com, not a URL",
                    "allow",
                )
            if not _HOST_RE.match(normalise_host(host)):
                fail(f"'allow' entry {host!r} is not a valid host name", "allow")
        clean["allow"] = allow
    return clean


def _text_list(value, key, fail) -> list[str]:
    if isinstance(value, str):
        fail(f"'{key}' must be a list, e.g. [{value!r}]", key)
    if not isinstance(value, list | tuple):
        fail(f"'{key}' must be a list, not {_type_name(value)}", key)
    if not value:
        fail(f"'{key}' is empty", key)
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            fail(f"'{key}' entries must be text, not {_type_name(item)} ({item!r})", key)
        item = item.strip()
        if not item:
            fail(f"'{key}' has an empty entry", key)
        if item not in out:
            out.append(item)
    return out


def _check_term(term: str, label: str, fail, term_is_empty) -> None:
    if len(term) > MAX_TERM_CHARS:
        fail(f"{label} {term[:20]!r}... is longer than {MAX_TERM_CHARS} characters", label + "s")
    body = term[:-1].rstrip() if term.endswith("*") else term
    if "*" in body:
        fail(
            f"{label} {term!r}: '*' is only allowed at the end (prefix match); write the plain "
            "spelling, evasions like f*ck are matched by the engine",
            "terms" if label == "term" else label,
        )
    if term_is_empty(term):
        fail(
            f"{label} {term!r} has no letters or digits once normalised",
            "terms" if label == "term" else label,
        )


# --- writing ------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)
_Dumper.add_representer(RuleList, _Dumper.represent_list)


def dump_policy_yaml(rules, *, name: str | None = None, description: str | None = None) -> str:
    """Write rules as a policy file that ``parse_policy_yaml`` reads back unchanged."""
    rules = validate_rules(rules)
    name = name if name is not None else getattr(rules, "name", None)
    description = description if description is not None else getattr(rules, "description", None)
    doc: dict[str, Any] = {}
    if name:
        doc["name"] = name
    if description:
        doc["description"] = description
    out_rules = []
    for rule in rules:
        ordered = {k: rule[k] for k in FIELD_ORDER if k in rule}
        if ordered.get("enabled") is True:
            del ordered["enabled"]
        out_rules.append(ordered)
    doc["rules"] = out_rules
    return yaml.dump(
        doc,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
        indent=2,
    )
