"""Policy versions: every change is a new immutable version; bad files change nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from policy import selectors, services
from policy.models import PolicyVersion

GOOD = """
rules:
  - id: no-swearing
    kind: banned_terms
    severity: block
    message: Keep it clean.
    terms: [damn, "go to hell"]
  - id: disclose
    kind: required_terms
    severity: block
    message: Say it is an ad.
    any_of: ["#ad", "#sponsored"]
    categories: [promotional]
"""


@pytest.fixture
def brand(brand_with_team):
    return brand_with_team["brand"]


@pytest.fixture
def admin(brand_with_team):
    return brand_with_team["admin"]


def test_a_new_brand_starts_with_the_starter_policy(brand):
    version = services.policy_ensure(brand=brand)
    assert version.number == 1
    assert version.source == PolicyVersion.Source.STARTER
    ids = {rule["id"] for rule in version.rules}
    assert {"profanity-en", "profanity-fr", "profanity-es", "profanity-de", "profanity-pt"} <= ids
    assert services.policy_ensure(brand=brand).pk == version.pk  # idempotent


def test_starter_policy_blocks_profanity_and_politics(brand):
    assert services.policy_lint(brand=brand, text="what the fuck").result.blocked
    assert services.policy_lint(brand=brand, text="Vote in the election!").result.blocked
    assert not services.policy_lint(
        brand=brand, text="Our Scunthorpe store has grapes."
    ).result.blocked


def test_import_makes_a_new_version_and_keeps_the_old(brand, admin):
    v1 = services.policy_ensure(brand=brand)
    v2 = services.policy_import(brand=brand, yaml_text=GOOD, actor=admin, note="from legal")
    assert v2.number == v1.number + 1
    assert [r["id"] for r in v2.rules] == ["no-swearing", "disclose"]
    v1.refresh_from_db()
    assert any(r["id"] == "profanity-en" for r in v1.rules)  # untouched
    assert AuditEvent.objects.filter(action="policy.version_created", brand=brand).count() == 2


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("rules: [", "line"),
        ("rules:\n  - id: x\n    kind: nope\n    severity: block\n    message: m\n", "nope"),
        (
            "rules:\n  - id: x\n    kind: banned_terms\n    severity: maybe\n"
            "    message: m\n    terms: [a]\n",
            "severity",
        ),
        ("just a string", ""),
        (
            "rules:\n  - id: x\n    kind: banned_terms\n    severity: block\n"
            "    message: m\n    terms: []\n",
            "",
        ),
    ],
)
def test_a_malformed_file_is_refused_whole(brand, admin, text, needle):
    before = services.policy_ensure(brand=brand)
    with pytest.raises(ValidationError) as info:
        services.policy_import(brand=brand, yaml_text=text, actor=admin)
    assert needle in " ".join(info.value.messages)
    assert selectors.policy_current(brand=brand).pk == before.pk


def test_rule_edit_and_delete_make_versions_and_a_diff(brand, admin):
    services.policy_import(brand=brand, yaml_text=GOOD, actor=admin)
    rule = {
        "id": "no-swearing",
        "kind": "banned_terms",
        "severity": "warn",
        "message": "Careful.",
        "terms": ["damn", "heck"],
    }
    v3 = services.policy_rule_save(brand=brand, actor=admin, rule=rule, replaces="no-swearing")
    v2 = PolicyVersion.objects.get(brand=brand, number=v3.number - 1)
    diff = selectors.policy_diff(v2, v3)
    fields = {f["name"]: f for f in diff["changed"][0]["fields"]}
    assert fields["severity"]["before"] == "block" and fields["severity"]["after"] == "warn"
    assert fields["terms"]["added_terms"] == ["heck"]
    assert fields["terms"]["removed_terms"] == ["go to hell"]
    v4 = services.policy_rule_delete(brand=brand, actor=admin, rule_id="disclose")
    assert [r["id"] for r in v4.rules] == ["no-swearing"]
    assert selectors.policy_diff(v3, v4)["removed"][0]["id"] == "disclose"


def test_only_admins_change_the_policy(brand_with_team):
    from config.errors import NotAllowed

    brand = brand_with_team["brand"]
    with pytest.raises(NotAllowed):
        services.policy_import(brand=brand, yaml_text=GOOD, actor=brand_with_team["author"])


def test_scoped_rules_apply_only_in_scope(brand, admin):
    services.policy_import(brand=brand, yaml_text=GOOD, actor=admin)
    promo = services.policy_lint(brand=brand, text="Buy now", category="promotional")
    assert promo.result.blocked
    assert [f.rule for f in promo.result.findings] == ["disclose"]
    assert not services.policy_lint(brand=brand, text="Buy now", category="news").result.blocked
    assert not services.policy_lint(
        brand=brand, text="Buy now #ad", category="promotional"
    ).result.blocked


def test_compiled_policy_is_cached_per_version(brand, django_assert_num_queries):
    version = services.policy_ensure(brand=brand)
    selectors.policy_compiled(version)
    with django_assert_num_queries(0):
        for _ in range(5):
            selectors.policy_compiled(version).lint("hello")
