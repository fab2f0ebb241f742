"""Bad policy files through every way in (API, web import, policy_import, the rule editor):
a 400 (a form error, exit 2) with the line, never a 500, a traceback or a new version; and
the documented size limits, refused before the file is built."""

from __future__ import annotations

import io
import random
import string

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from policy import services
from policy.engine import schema
from policy.engine.matcher import parse_term, patterns
from policy.engine.schema import PolicyFormatError, parse_policy_yaml, validate_rules
from policy.models import PolicyVersion

RULE = (
    "  - id: {id}\n    kind: banned_terms\n    severity: block\n    message: m\n"
    "    terms: [{terms}]\n"
)


def _policy(*term_lists) -> str:
    return "rules:\n" + "".join(
        RULE.format(id=f"r{i}", terms=", ".join(terms)) for i, terms in enumerate(term_lists)
    )


def _words(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        out["".join(rng.choice(string.ascii_lowercase) for _ in range(9))] = None
    return list(out)


def _bomb() -> str:
    text = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for letter in "bcdefgh":
        prev = chr(ord(letter) - 1)
        text += f"{letter}: &{letter} [{', '.join([f'*{prev}'] * 9)}]\n"
    return text + "rules: []\n"


# (file, what the refusal must say)
BAD_FILES = {
    "soh": ("rules:\n  - id: a\x01b\n", "line 2, column 10: control character U+0001"),
    "nul": ("rules: []\n# done\x00\n", "line 2, column 7: control character NUL (U+0000)"),
    "escaped": (
        "rules:\n  - id: a\n    kind: banned_terms\n    severity: block\n    message: m\n"
        '    terms: ["ok", "b\\x07d"]\n',
        "line 6: rule 'a': 'terms' entry 'b\\x07d' contains the control character U+0007",
    ),
    "scalar": ("just some words\n", "the policy must be a mapping with a 'rules' list, not a text"),
    "list": ("- id: a\n- id: b\n", "not a list"),
    "no rules": ("name: Ours\n", "missing 'rules'"),
    "huge": ("rules: []\n#" + "x" * 1_000_001 + "\n", "larger than 1 MB"),
    "aliases": (_bomb(), "more than 100,000 values once its aliases are expanded"),
    "deep flow": ("rules: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    "deep block": ("".join(" " * i + f"k{i}:\n" for i in range(300)), "nested too deeply"),
    "duplicate ids": (
        _policy(["x"], ["y"]).replace("id: r1", "id: r0"),
        "line 7: rule 'r0': duplicate id (first used on rule #1)",
    ),
    "syntax": ("rules: [\n", "line 2: YAML syntax error"),
}


@pytest.fixture
def setup(brand_with_team):
    brand = brand_with_team["brand"]
    services.policy_ensure(brand=brand)
    return brand, brand_with_team["admin"]


def _versions(brand) -> int:
    return PolicyVersion.objects.filter(brand=brand).count()


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_are_a_400_on_the_api_with_the_line(setup, name):
    brand, admin = setup
    text, reason = BAD_FILES[name]
    api = APIClient()
    api.force_authenticate(admin)
    before = _versions(brand)
    response = api.post(f"/api/brands/{brand.slug}/policy/", {"yaml": text}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert reason in response.json()["detail"]
    assert _versions(brand) == before


@pytest.mark.parametrize("name", ["soh", "nul", "escaped", "aliases", "duplicate ids"])
def test_bad_files_are_a_form_error_on_the_web_import(client, setup, name):
    brand, admin = setup
    text, reason = BAD_FILES[name]
    client.force_login(admin)
    url = reverse("policy_import", kwargs={"slug": brand.slug})
    before = _versions(brand)
    pasted = client.post(url, {"yaml_text": text})
    upload = SimpleUploadedFile("p.yaml", text.encode("utf-8"), content_type="application/yaml")
    uploaded = client.post(url, {"yaml_file": upload})
    for response in (pasted, uploaded):
        assert response.status_code == 200
        errors = response.context["form"].non_field_errors()
        assert any(reason in e for e in errors), errors
    assert _versions(brand) == before


def test_a_non_utf8_upload_says_where(client, setup):
    brand, admin = setup
    client.force_login(admin)
    upload = SimpleUploadedFile("p.yaml", b"rules:\n  - id: caf\xe9\n")
    response = client.post(
        reverse("policy_import", kwargs={"slug": brand.slug}), {"yaml_file": upload}
    )
    assert response.status_code == 200
    (error,) = response.context["form"].non_field_errors()
    assert error.startswith("line 2, column 12: the file is not UTF-8 text (byte 0xE9")


def _import_cmd(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("policy_import", *args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.mark.parametrize("name", ["soh", "nul", "aliases", "scalar", "duplicate ids"])
def test_bad_files_exit_2_from_policy_import_with_the_reason(setup, tmp_path, name):
    brand, _ = setup
    text, reason = BAD_FILES[name]
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    before = _versions(brand)
    with pytest.raises(CommandError) as info:
        _import_cmd(brand.slug, str(path))
    assert info.value.returncode == 2
    assert reason in str(info.value) and "nothing was imported" in str(info.value)
    assert _versions(brand) == before


def test_policy_import_refuses_non_utf8_and_unknown_brands_with_exit_2(setup, tmp_path):
    brand, _ = setup
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"rules: []\n# caf\xe9\n")
    with pytest.raises(CommandError) as info:
        _import_cmd(brand.slug, str(path))
    message = str(info.value)
    assert info.value.returncode == 2 and "line 2, column 6" in message and "not UTF-8" in message
    with pytest.raises(CommandError) as info:
        _import_cmd("no-such-brand", str(path))
    assert info.value.returncode == 2


def test_stored_rules_with_control_characters_stay_readable():
    # Checks of new input must not make an old version unreadable (dump, compile).
    stored = [
        {"id": "a", "kind": "banned_terms", "severity": "warn", "message": "m\x01", "terms": ["x"]}
    ]
    assert validate_rules(stored)[0]["message"] == "m\x01"
    with pytest.raises(PolicyFormatError, match="control character U"):
        validate_rules(stored, strict=True)


# --- limits ---------------------------------------------------------------------------------


def test_the_limits_are_the_documented_ones():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert (schema.MAX_POLICY_BYTES, schema.MAX_RULES) == (1_000_000, 500)
    assert (schema.MAX_TERMS_PER_RULE, schema.MAX_TERMS_TOTAL) == (20_000, 50_000)
    assert (schema.MAX_TERM_CHARS, schema.MAX_SPELLINGS) == (200, 300_000)
    assert (schema.MAX_CANONICAL_CHARS, schema.MAX_CANONICAL_TOTAL_CHARS) == (40, 80)
    for figure in ("1 MB", "500 rules", "20,000", "50,000", "200 characters", "300,000"):
        assert figure in readme, figure


@pytest.mark.parametrize(
    "text, reason",
    [
        (
            _policy(_words(20_000, 1), _words(20_000, 2))
            + RULE.format(id="r9", terms=", ".join(_words(10_001, 3))),
            "line 16: the policy has more than 50,000 terms in all",
        ),
        (_policy(_words(20_001)), "line 6: 'terms' has more than 20,000 entries"),
        (
            "rules:\n"
            + "  - {id: a, kind: max_count, severity: warn, message: m, what: links, max: 1}\n"
            * 501,
            "line 502: the policy has more than 500 rules",
        ),
    ],
    ids=["total terms", "terms per rule", "rules"],
)
def test_files_over_a_count_limit_are_refused_naming_it(setup, text, reason):
    brand, admin = setup
    api = APIClient()
    api.force_authenticate(admin)
    response = api.post(f"/api/brands/{brand.slug}/policy/", {"yaml": text}, format="json")
    assert response.status_code == 400
    assert reason in response.json()["detail"]


def test_a_policy_at_the_limits_imports(setup):
    brand, admin = setup
    words = _words(schema.MAX_TERMS_TOTAL)
    per = schema.MAX_TERMS_PER_RULE
    text = _policy(*(words[i : i + per] for i in range(0, len(words), per)))
    api = APIClient()
    api.force_authenticate(admin)
    response = api.post(f"/api/brands/{brand.slug}/policy/", {"yaml": text}, format="json")
    assert response.status_code == 201, response.content[:300]
    version = services.policy_ensure(brand=brand)
    assert sum(len(r["terms"]) for r in version.rules) == schema.MAX_TERMS_TOTAL


def _look_alike_terms(n: int) -> list[str]:
    """Five words, eight letters read as i or l: ~527 spellings each (the most a term has)."""
    rng = random.Random(4)
    terms: dict[str, None] = {}
    while len(terms) < n:
        words = [rng.choice("il") + rng.choice("abcdefgh") + rng.choice("il") for _ in "1234"]
        terms[" ".join([*words, rng.choice("abcdefgh") * 2])] = None
    return list(terms)


def test_terms_that_expand_to_too_many_spellings_are_refused():
    # 600 such terms are over 300,000 spellings; 600 plain words are 600.
    with pytest.raises(PolicyFormatError, match="more than 300,000 spellings"):
        parse_policy_yaml(_policy(_look_alike_terms(600)))
    assert parse_policy_yaml(_policy(_words(600)))


def test_the_spelling_count_is_never_below_what_the_engine_builds():
    rng = random.Random(7)
    for _ in range(400):
        words = [
            "".join(rng.choice("il!|1xab0") for _ in range(rng.randint(1, 6)))
            for _ in range(rng.randint(1, 7))
        ]
        term = rng.choice(["", "#"]) + " ".join(words) + rng.choice(["", "*"])
        form = parse_term(term)
        if form is not None:
            assert schema._spelling_count(form) >= len(patterns(form)), term


def test_brand_names_have_a_total_length_limit_in_the_editor_too(setup):
    brand, admin = setup
    for i in range(2):
        services.policy_rule_save(
            brand=brand,
            actor=admin,
            rule={
                "id": f"brand-{i}",
                "kind": "brand_spelling",
                "severity": "warn",
                "message": "m",
                "canonical": "KitchenAidProfessionalStandMixerSeri" + "abc"[i],
            },
        )
    with pytest.raises(ValidationError, match="longer than 80 characters together"):
        services.policy_rule_save(
            brand=brand,
            actor=admin,
            rule={
                "id": "brand-2",
                "kind": "brand_spelling",
                "severity": "warn",
                "message": "m",
                "canonical": "KitchenAid",
            },
        )


def test_a_control_character_in_the_rule_editor_is_a_field_error_not_a_version(client, setup):
    brand, admin = setup
    client.force_login(admin)
    before = _versions(brand)
    response = client.post(
        reverse("policy_rule_add", kwargs={"slug": brand.slug}),
        {
            "id": "odd",
            "kind": "banned_terms",
            "severity": "block",
            "message": "Keep it clean",
            "terms": "fine\nbad\x02word",
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    assert "control character U+0002" in str(response.context["form"].errors["terms"])
    assert _versions(brand) == before
