"""The rule editor: only the chosen kind's fields count, errors sit on their field, and the
YAML view beside the form (an htmx preview that never saves)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from policy import services
from policy.forms import RuleForm
from policy.models import PolicyVersion

BASE = {"id": "few-hashtags", "severity": "warn", "message": "Two at most", "enabled": "on"}


def _form(data, **kwargs) -> RuleForm:
    form = RuleForm(data, **kwargs)
    form.is_valid()
    return form


def test_a_missing_value_is_an_error_on_its_field():
    form = _form({**BASE, "kind": "max_count", "what": "hashtags"})
    assert form.errors == {"max": ["Enter the most a post may have (0 or more)."]}
    assert not form.non_field_errors()


def test_only_the_chosen_kinds_fields_are_read():
    # Left-overs typed for another kind (even invalid ones) are neither checked nor saved.
    form = _form(
        {**BASE, "kind": "max_count", "what": "links", "max": "1", "terms": "x*y", "allow": "a b"}
    )
    assert form.is_valid(), form.errors
    assert form.rule == {
        **{k: BASE[k] for k in ("id", "severity", "message")},
        "kind": "max_count",
        "what": "links",
        "max": 1,
        "enabled": True,
    }
    form = _form({**BASE, "kind": "banned_terms", "terms": "damn", "max": "lots"})
    assert form.is_valid(), form.errors
    assert "max" not in form.rule and form.rule["terms"] == ["damn"]


@pytest.mark.parametrize(
    "data, field, text",
    [
        ({"kind": "banned_terms", "terms": "f*ck"}, "terms", "'*' is only allowed at the end"),
        ({"kind": "link_domains", "allow": "https://x.com/a"}, "allow", "not a URL"),
        ({"kind": "brand_spelling", "canonical": "#Brand"}, "canonical", "without '#'"),
        ({"kind": "required_terms", "terms": "!!!"}, "terms", "has no letters or digits"),
        ({"kind": "max_count", "what": "hashtags", "max": "-1"}, "max", "greater than or equal"),
    ],
)
def test_engine_refusals_land_on_the_field_they_are_about(data, field, text):
    form = _form({**BASE, **data})
    assert list(form.errors) == [field], form.errors
    assert text in form.errors[field][0]


def test_an_id_already_in_the_policy_is_an_error_on_the_id():
    form = _form(
        {**BASE, "kind": "max_count", "what": "links", "max": "1"}, taken_ids={"few-hashtags"}
    )
    assert "already has a rule 'few-hashtags'" in form.errors["id"][0]


@pytest.fixture
def admin_client(client, brand_with_team):
    brand = brand_with_team["brand"]
    services.policy_ensure(brand=brand)
    client.force_login(brand_with_team["admin"])
    return client, brand


def test_adding_a_rule_with_an_existing_id_says_so_on_the_field(admin_client):
    client, brand = admin_client
    existing = services.policy_ensure(brand=brand).rules[0]["id"]
    before = PolicyVersion.objects.filter(brand=brand).count()
    response = client.post(
        reverse("policy_rule_add", kwargs={"slug": brand.slug}),
        {**BASE, "id": existing, "kind": "max_count", "what": "links", "max": "1"},
    )
    assert response.status_code == 200
    assert "already has a rule" in response.context["form"].errors["id"][0]
    assert PolicyVersion.objects.filter(brand=brand).count() == before


def test_the_yaml_preview_shows_the_rule_and_never_saves(admin_client):
    client, brand = admin_client
    url = reverse("policy_rule_add", kwargs={"slug": brand.slug})
    before = PolicyVersion.objects.filter(brand=brand).count()
    ok = client.post(
        url, {**BASE, "kind": "max_count", "what": "hashtags", "max": "2"}, HTTP_HX_REQUEST="true"
    )
    html = ok.content.decode()
    assert ok.status_code == 200 and 'data-testid="rule-yaml"' in html
    assert "kind: max_count" in html and "max: 2" in html and "<form" not in html
    missing = client.post(url, {**BASE, "kind": "max_count"}, HTTP_HX_REQUEST="true")
    assert "once these fields are right: What to count, At most" in missing.content.decode()
    assert PolicyVersion.objects.filter(brand=brand).count() == before


def test_the_edit_page_shows_the_saved_rule_as_yaml_and_the_kind_groups(admin_client):
    client, brand = admin_client
    rule = services.policy_ensure(brand=brand).rules[0]
    response = client.get(
        reverse("policy_rule_edit", kwargs={"slug": brand.slug, "rule_id": rule["id"]})
    )
    html = response.content.decode()
    assert f"- id: {rule['id']}" in html
    assert 'data-kinds="max_count"' in html  # the groups the script shows and hides
    assert "js/policy-rule-form.js" in html and "<script>" not in html


def test_try_it_renders_labelled_bootstrap_selects(client, brand_with_team):
    brand = brand_with_team["brand"]
    client.force_login(brand_with_team["author"])
    html = client.get(reverse("policy_try", kwargs={"slug": brand.slug})).content.decode()
    for name in ("channel", "category"):
        # a label of its own (above, not run into the select) and a Bootstrap select
        assert re.search(
            rf'<label\s+for="id_{name}" class="form-label">\s*{name.title()}\s*<', html
        )
        assert f'class="select form-select" id="id_{name}"' in html
