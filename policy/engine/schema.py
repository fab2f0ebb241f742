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

# Limits of a policy (the README's file-format section lists them). Each keeps an import,
# and the first lint that compiles the policy, to a few seconds; policy_import_bench
# measures both at the limits. Files over a limit are refused before they are built.
MAX_POLICY_BYTES = 1_000_000
MAX_RULES = 500
MAX_TERM_CHARS = 200
# A brand name as written in copy. Spellings split over whitespace are found with
# patterns that grow with the square of its length (brand.head_pattern/tail_pattern).
MAX_CANONICAL_CHARS = 40
MAX_CANONICAL_TOTAL_CHARS = 80  # all brand_spelling names together (~1 s per 40 to compile)
MAX_TERMS_PER_RULE = 20_000  # entries of one rule's terms, any_of or allow list
MAX_TERMS_TOTAL = 50_000  # entries of all those lists together
# Spellings the engine looks for: a term of several words, or with letters that read as
# both i and l, is looked for in several spellings (at most ~527 each); everyday words make
# about 7 on average, so some 40,000 of them fit. Compiling costs ~18 us a spelling.
MAX_SPELLINGS = 300_000
MAX_MESSAGE_CHARS = 1_000
LIST_KEYS = ("terms", "any_of", "allow", "known")

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
    "sensitive_topics": (("terms",), ("when_promotional",)),
    # every hashtag outside the brand's vocabulary (given at lint time) and ``known``
    "hashtags": ((), ("known",)),
}
#: What a sensitive_topics rule's ``when_promotional`` may raise its findings to.
WHEN_PROMOTIONAL = ("block",)
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
    "when_promotional",
    "known",
)

# PyYAML's scanner slows down quadratically with flow nesting depth; refuse early.
_DEEP_RE = re.compile(r"(?:[\[{]\s*){64}|(?:-[ \t]+){64}")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_HOST_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_-]{1,63})*$")


class PolicyFormatError(ValueError):
    """A policy that cannot be used, with the YAML line (and column, when known) and the
    reason."""

    def __init__(
        self,
        line: int | None,
        reason: str,
        column: int | None = None,
        *,
        field: str | None = None,
        detail: str | None = None,
    ):
        self.line = line
        self.column = column if line else None
        self.reason = reason
        # For one rule's problem: the rule's field it is about, and the reason without the
        # rule's name (what a form shows under that field).
        self.field = field
        self.detail = detail or reason
        where = f"line {line}, column {column}" if line and column else f"line {line}"
        super().__init__(f"{where}: {reason}" if line else reason)


# What YAML refuses to read (its reader's "special characters"), plus NEL (U+0085), which
# YAML reads as a line break: C0 controls but tab and line breaks, DEL, C1 controls, lone
# surrogates and the non-characters U+FFFE/U+FFFF. Checked before YAML sees the text so the
# reason names the character, its line and its column.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Inside values (written with YAML escapes such as "\x01", or sent as data): the same;
# tabs and line breaks are whitespace there.
_VALUE_CONTROL_RE = _CONTROL_RE
_LINE_BREAK_RE = re.compile("\r\n|[\n\r\u2028\u2029]")


def _char_name(ch: str) -> str:
    if ch == "\x00":
        return "NUL (U+0000)"
    return f"U+{ord(ch):04X}"


def _check_characters(text: str) -> None:
    found = _CONTROL_RE.search(text)
    if not found:
        return
    before = text[: found.start()]
    breaks = list(_LINE_BREAK_RE.finditer(before))
    line = len(breaks) + 1
    column = found.start() - (breaks[-1].end() if breaks else 0) + 1
    raise PolicyFormatError(
        line,
        f"control character {_char_name(found.group())} is not allowed "
        "(only tabs and line breaks are)",
        column,
    )


def _check_value(value: str, label: str, fail, key: str) -> None:
    found = _VALUE_CONTROL_RE.search(value)
    if found:
        fail(f"{label} contains the control character {_char_name(found.group())}", key)


class RuleList(list):
    """The rules of a policy; ``name`` and ``description`` of the file ride along."""

    name: str | None = None
    description: str | None = None

    def __init__(self, *args):
        super().__init__(*args)
        # after each rule, how many spellings its terms and those before make (at most)
        self.spellings: list[int] = []


# --- YAML with line numbers ------------------------------------------------------------


class _Map(dict):
    line: int | None = None
    key_lines: dict


class _Seq(list):
    line: int | None = None
    item_lines: list


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


MAX_NODES = 100_000  # YAML values in a file, aliases expanded


# What an open collection is, while prescanning: the root mapping, the rules list, a rule,
# one of a rule's term lists, or anything else.
_ROOT, _RULES, _RULE, _ENTRIES, _OTHER = range(5)


class _Frame:
    __slots__ = ("anchor", "entries", "key", "key_line", "mapping", "role", "start", "want_key")

    def __init__(self, mapping: bool, role: int, anchor, start: int, key_line: int):
        self.mapping = mapping
        self.role = role
        self.want_key = True
        self.key: str | None = None
        self.key_line = key_line  # a mapping: of its current key; a list: of the key holding it
        self.anchor = anchor
        self.start = start
        self.entries = 0


def _prescan(text: str) -> None:
    """Refuse a file over the size limits (nesting, rules, list entries, values once aliases
    are expanded) from libyaml's event stream, before anything is built, so a file far over
    a limit is refused as quickly as one just over it. Syntax errors are left to the full
    parse, which reports them with their line."""
    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
    seq_start, map_start = yaml.SequenceStartEvent, yaml.MappingStartEvent
    ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    stack: list[_Frame] = []
    anchors: dict[str, int] = {}
    nodes = rules = entries = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            kind = type(event)
            if kind in ends:
                frame = stack.pop()
                if frame.anchor:
                    anchors[frame.anchor] = nodes - frame.start + 1
                if stack and stack[-1].mapping:
                    stack[-1].want_key = True
                continue
            if kind not in (scalar, alias, seq_start, map_start):
                continue  # stream and document events
            size = anchors.get(event.anchor, 1) if kind is alias else 1
            nodes += size
            if nodes > MAX_NODES:
                raise PolicyFormatError(
                    _line(event),
                    f"the file has more than {MAX_NODES:,} values once its aliases are expanded",
                )
            parent = stack[-1] if stack else None
            if parent is None:
                role = _ROOT if kind is map_start else _OTHER
            elif parent.mapping:
                if parent.want_key:
                    if kind is not scalar and kind is not alias:
                        raise PolicyFormatError(_line(event), "keys must be plain words")
                    parent.want_key = False
                    parent.key = event.value if kind is scalar else None
                    parent.key_line = _line(event)
                    continue
                parent.want_key = True
                role = _OTHER
                if parent.role == _ROOT and parent.key == "rules":
                    role = _RULES
                elif parent.role == _RULE and parent.key in LIST_KEYS:
                    role = _ENTRIES
                    if kind is alias and size - 1 > MAX_TERMS_PER_RULE:  # an alias of a list
                        raise PolicyFormatError(
                            parent.key_line,
                            f"'{parent.key}' has more than {MAX_TERMS_PER_RULE:,} entries",
                        )
                    entries += size - 1 if kind is alias else 0
            elif parent.role == _RULES:
                role = _RULE
                rules += 1
                if rules > MAX_RULES:
                    raise PolicyFormatError(
                        _line(event), f"the policy has more than {MAX_RULES:,} rules"
                    )
            elif parent.role == _ENTRIES:
                role = _OTHER
                parent.entries += size
                entries += size
                if parent.entries > MAX_TERMS_PER_RULE:
                    raise PolicyFormatError(
                        parent.key_line,
                        f"'{stack[-2].key}' has more than {MAX_TERMS_PER_RULE:,} entries",
                    )
            else:
                role = _OTHER
            if entries > MAX_TERMS_TOTAL:
                raise PolicyFormatError(
                    _line(event),
                    f"the policy has more than {MAX_TERMS_TOTAL:,} terms in all "
                    f"({', '.join(LIST_KEYS)} entries together)",
                )
            if kind is seq_start or kind is map_start:
                if len(stack) > 20:
                    raise PolicyFormatError(_line(event), "the file is nested too deeply")
                key_line = parent.key_line if parent is not None else _line(event)
                stack.append(_Frame(kind is map_start, role, event.anchor, nodes, key_line))
            elif kind is scalar and event.anchor:
                anchors[event.anchor] = 1
    except (yaml.YAMLError, RecursionError):
        return


def _convert(node: yaml.Node, loader, depth: int = 0, budget=None) -> Any:
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


# libyaml's parser when PyYAML has it (its wheels do): the same YAML, twice as fast.
_Loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


def _load(text: str) -> Any:
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        return _convert(node, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise PolicyFormatError(line, f"YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as exc:  # _check_characters finds these first
        raise PolicyFormatError(None, f"unacceptable character #x{exc.character:04x}") from None
    except yaml.YAMLError as exc:
        raise PolicyFormatError(None, f"YAML error: {exc}") from None
    except RecursionError:
        raise PolicyFormatError(None, "the file is nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


def parse_policy_yaml(yaml_text: str | bytes) -> RuleList:
    """Parse and validate a policy file. Raises PolicyFormatError."""
    if isinstance(yaml_text, bytes):
        yaml_text = decode_policy_bytes(yaml_text)
    if not isinstance(yaml_text, str):
        raise PolicyFormatError(None, "the policy must be text")
    if len(yaml_text) > MAX_POLICY_BYTES or (
        len(yaml_text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES
    ):
        raise PolicyFormatError(None, "the policy file is larger than 1 MB")
    _check_characters(yaml_text)
    # (with libyaml, the prescan refuses deep nesting as soon as it reaches it)
    deep = None if yaml.__with_libyaml__ else _DEEP_RE.search(yaml_text)
    if deep:
        line = yaml_text.count("\n", 0, deep.start()) + 1
        raise PolicyFormatError(line, "the file is nested too deeply")
    _prescan(yaml_text)
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
    result = _validate(rules, getattr(rules, "item_lines", None), strict=True)
    for key in ("name", "description"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise PolicyFormatError(lines.get(key), f"'{key}' must be text")

        def fail(reason, key):
            raise PolicyFormatError(lines.get(key), reason)

        _check_value(value, f"'{key}'", fail, key)
        setattr(result, key, value.strip() or None)
    check_policy_limits(result, getattr(rules, "item_lines", None))
    return result


def check_policy_limits(rules: list[dict], item_lines: list | None = None) -> None:
    """The limits of a whole policy, for validated rules about to become a new version (a
    file, the rule editor, the API). Stored versions are not re-checked: a limit lowered
    later must not make an existing policy unreadable."""
    if getattr(rules, "spellings", None) is None or len(rules.spellings) != len(rules):
        rules = _validate(list(rules), None, strict=True)

    def fail(index, reason):
        raise PolicyFormatError(item_lines[index] if item_lines else None, reason)

    if len(rules) > MAX_RULES:
        fail(MAX_RULES, f"the policy has more than {MAX_RULES:,} rules")
    entries = canonical = 0
    for index, rule in enumerate(rules):
        for key in LIST_KEYS:
            count = len(rule.get(key) or ())
            if count > MAX_TERMS_PER_RULE:
                fail(
                    index,
                    f"rule '{rule['id']}': '{key}' has more than {MAX_TERMS_PER_RULE:,} entries",
                )
            entries += count
        if entries > MAX_TERMS_TOTAL:
            fail(
                index,
                f"rule '{rule['id']}': the policy has more than {MAX_TERMS_TOTAL:,} terms in "
                f"all ({', '.join(LIST_KEYS)} entries together)",
            )
        if rule["kind"] == "brand_spelling":
            canonical += len(rule["canonical"])
            if canonical > MAX_CANONICAL_TOTAL_CHARS:
                fail(
                    index,
                    f"rule '{rule['id']}': the brand names of all brand_spelling rules are "
                    f"longer than {MAX_CANONICAL_TOTAL_CHARS} characters together",
                )
        if rules.spellings[index] > MAX_SPELLINGS:
            fail(
                index,
                f"rule '{rule['id']}': the terms of the policy make more than "
                f"{MAX_SPELLINGS:,} spellings to look for; terms of several words, or with "
                "many i and l letters, make the most (up to 512 each)",
            )


def _spelling_count(form) -> int:
    """How many patterns ``matcher.patterns`` makes for a term, at most (without building
    them): each way of joining its words, times each i/l reading of its letters."""
    from policy.engine import normalize as nz
    from policy.engine.matcher import _IL, MAX_VARIANTS_PER_TERM

    words = form.words
    joined = "".join(words)
    marks = joined.count(nz.MARK)
    others = sum(joined.count(ch) for ch in _IL) - marks
    readings = 2**others * 3**marks if others + marks <= 16 else 257
    readings = readings if readings <= 256 else 2
    gaps = len(words) - 1
    if gaps == 0 or any(w.isdigit() for w in words):
        joins, total = 1, readings
    else:
        joins = 2**gaps if gaps <= 4 else 2
        # the words run together are also looked for as spelled-out letters (one more lead)
        total = joins * readings + (0 if form.hashtag else readings)
    # the cap is checked once per reading, each join adds at least one reading (two leads)
    return min(total, MAX_VARIANTS_PER_TERM + 2 * joins)


def decode_policy_bytes(data: bytes) -> str:
    """The text of an uploaded policy file; refuses one over the size limit, or not UTF-8
    (with the line and column of the first bad byte)."""
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyFormatError(None, "the policy file is larger than 1 MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PolicyFormatError(
            line, f"the file is not UTF-8 text (byte 0x{data[exc.start]:02X}: {exc.reason})", column
        ) from None


def validate_rules(rules: Any, *, strict: bool = False) -> RuleList:
    """Validate rules that come as Python data (a web form, the database).

    ``strict`` adds the checks of new input (no control characters in values); stored
    versions are read without them, so a check added later cannot make them unreadable.
    """
    if not isinstance(rules, list | tuple):
        raise PolicyFormatError(None, "rules must be a list")
    result = _validate(list(rules), None, strict=strict)
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


def _validate(rules: list, item_lines: list | None, *, strict: bool = False) -> RuleList:
    from policy.engine.matcher import parse_term  # late: matcher imports this module

    spellings = 0

    def term_is_empty(term: str) -> bool:  # and, for new input, count its spellings
        nonlocal spellings
        form = parse_term(term)
        if form is None:
            return True
        if strict:
            spellings += _spelling_count(form)
        return False

    out = RuleList()
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules):
        rule_line = item_lines[index] if item_lines else None
        out.append(_validate_rule(index, rule, rule_line, seen, term_is_empty, strict))
        if strict:
            out.spellings.append(spellings)
    return out


def _validate_rule(index, rule, rule_line, seen, term_is_empty, strict=False) -> dict:
    where = f"rule #{index + 1}"
    if not isinstance(rule, dict):
        raise PolicyFormatError(
            rule_line, f"{where}: a rule must be a mapping, not {_type_name(rule)}"
        )
    rule_id = _checked_id(rule, _failer(rule, rule_line, where))
    fail = _failer(rule, rule_line, f"rule '{rule_id}'")  # errors name the rule from here on
    if rule_id in seen:
        fail(f"duplicate id (first used on rule #{seen[rule_id] + 1})", "id")
    seen[rule_id] = index
    kind = _checked_kind(rule, fail)
    clean: dict[str, Any] = {"id": rule_id, "kind": kind, **_checked_common(rule, fail, strict)}
    clean.update(_KIND_FIELDS[kind](rule, fail, strict, term_is_empty))
    return clean


def _failer(rule, rule_line, where):
    """A ``fail(reason, key)`` that raises the error at the key's line, naming ``where``."""
    key_lines = getattr(rule, "key_lines", {})

    def fail(reason, key=None):
        line = key_lines.get(key) or getattr(rule, "line", None) or rule_line
        raise PolicyFormatError(line, f"{where}: {reason}", field=key, detail=reason)

    return fail


def _checked_id(rule, fail) -> str:
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
    return rule_id


def _checked_kind(rule, fail) -> str:
    """The rule's kind, once its keys are those the kind allows and requires."""
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
    return kind


def _checked_common(rule, fail, strict) -> dict[str, Any]:
    """The keys every kind has: severity, message, channels, categories, enabled."""
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
    if strict:
        _check_value(message, "'message'", fail, "message")
    if len(message) > MAX_MESSAGE_CHARS:
        fail(f"'message' is longer than {MAX_MESSAGE_CHARS} characters", "message")
    clean: dict[str, Any] = {"severity": severity, "message": message}
    for key in ("channels", "categories"):
        if key in rule:
            clean[key] = _text_list(rule[key], key, fail, strict)
    enabled = rule.get("enabled", True)
    if not isinstance(enabled, bool):
        fail(f"'enabled' must be true or false, not {_type_name(enabled)}", "enabled")
    clean["enabled"] = enabled
    return clean


def _terms_fields(rule, fail, strict, term_is_empty) -> dict[str, Any]:
    terms = _text_list(rule["terms"], "terms", fail, strict)
    if len(terms) > MAX_TERMS_PER_RULE:
        fail(f"more than {MAX_TERMS_PER_RULE} terms", "terms")
    for term in terms:
        _check_term(term, "term", fail, term_is_empty)
    return {"terms": terms}


def _spelling_fields(rule, fail, strict, term_is_empty) -> dict[str, Any]:
    canonical = rule["canonical"]
    if not isinstance(canonical, str):
        fail(f"'canonical' must be text, not {_type_name(canonical)}", "canonical")
    canonical = canonical.strip()
    if not canonical:
        fail("'canonical' is empty", "canonical")
    if strict:
        _check_value(canonical, "'canonical'", fail, "canonical")
    if "*" in canonical or canonical.startswith("#"):
        fail("'canonical' is the name as it should be written, without '#' or '*'", "canonical")
    if len(canonical) > MAX_CANONICAL_CHARS:
        fail(
            f"'canonical' is longer than {MAX_CANONICAL_CHARS} characters: "
            "write the brand name as it appears in posts",
            "canonical",
        )
    _check_term(canonical, "canonical", fail, term_is_empty)
    return {"canonical": canonical}


def _required_fields(rule, fail, strict, term_is_empty) -> dict[str, Any]:
    any_of = _text_list(rule["any_of"], "any_of", fail, strict)
    for term in any_of:
        if len(term) > MAX_TERM_CHARS:
            fail(f"'any_of' entry {term[:20]!r}... is longer than {MAX_TERM_CHARS}", "any_of")
        if not re.search(r"\w", term):
            fail(f"'any_of' entry {term!r} has no letters or digits", "any_of")
    return {"any_of": any_of}


def _max_count_fields(rule, fail, strict, term_is_empty) -> dict[str, Any]:
    what = rule["what"]
    if what not in COUNTABLE:
        shown = what if isinstance(what, str) else _type_name(what)
        fail(f"'what' must be one of {', '.join(COUNTABLE)}, not '{shown}'", "what")
    limit = rule["max"]
    if isinstance(limit, bool) or not isinstance(limit, int):
        fail(f"'max' must be a whole number, not {_type_name(limit)}", "max")
    if limit < 0:
        fail(f"'max' must be 0 or more, not {limit}", "max")
    return {"what": what, "max": limit}


def _link_domains_fields(rule, fail, strict, term_is_empty) -> dict[str, Any]:
    from policy.engine.entities import normalise_host

    allow = _text_list(rule["allow"], "allow", fail, strict)
    for host in allow:
        if "/" in host or ":" in host or "@" in host or " " in host:
            fail(
                f"'allow' entry {host!r} must be a host name like example.com, not a URL",
                "allow",
            )
        if not _HOST_RE.match(normalise_host(host)):
            fail(f"'allow' entry {host!r} is not a valid host name", "allow")
    return {"allow": allow}


def _topic_fields(rule, fail, strict, term_is_empty) -> dict[str, Any]:
    clean = _terms_fields(rule, fail, strict, term_is_empty)
    if "when_promotional" in rule:
        value = rule["when_promotional"]
        if value not in WHEN_PROMOTIONAL:
            shown = value if isinstance(value, str) else _type_name(value)
            fail(
                f"'when_promotional' must be 'block' (the severity of a finding in a "
                f"promotional post), not '{shown}'",
                "when_promotional",
            )
        clean["when_promotional"] = value
    return clean


_TAG_RE = re.compile(r"^#?[^\W_][\w]{0,99}$")


def _hashtags_fields(rule, fail, strict, term_is_empty) -> dict[str, Any]:
    if "known" not in rule:
        return {}
    known = _text_list(rule["known"], "known", fail, strict)
    for tag in known:
        if not _TAG_RE.match(tag):
            fail(f"'known' entry {tag[:20]!r} is not a hashtag like #BakingDay", "known")
    return {"known": [tag if tag.startswith("#") else f"#{tag}" for tag in known]}


#: The fields each kind adds to the common ones, checked.
_KIND_FIELDS = {
    "banned_terms": _terms_fields,
    "sensitive_topics": _topic_fields,
    "hashtags": _hashtags_fields,
    "brand_spelling": _spelling_fields,
    "required_terms": _required_fields,
    "max_count": _max_count_fields,
    "link_domains": _link_domains_fields,
}


def _text_list(value, key, fail, strict=False) -> list[str]:
    if isinstance(value, str):
        fail(f"'{key}' must be a list, e.g. [{value!r}]", key)
    if not isinstance(value, list | tuple):
        fail(f"'{key}' must be a list, not {_type_name(value)}", key)
    if not value:
        fail(f"'{key}' is empty", key)
    out: dict[str, None] = {}  # ordered and without repeats, in linear time
    for item in value:
        if not isinstance(item, str):
            fail(f"'{key}' entries must be text, not {_type_name(item)} ({item!r})", key)
        item = item.strip()
        if not item:
            fail(f"'{key}' has an empty entry", key)
        if strict:
            _check_value(item, f"'{key}' entry {item[:20]!r}", fail, key)
        out[item] = None
    return list(out)


def _check_term(term: str, label: str, fail, term_is_empty) -> None:
    if len(term) > MAX_TERM_CHARS:
        fail(
            f"{label} {term[:20]!r}... is longer than {MAX_TERM_CHARS} characters",
            "terms" if label == "term" else label,
        )
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


class _Dumper(yaml.CSafeDumper if yaml.__with_libyaml__ else yaml.SafeDumper):
    pass  # libyaml's emitter when PyYAML has it: the same file, several times faster


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
