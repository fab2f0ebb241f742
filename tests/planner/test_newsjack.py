"""The newsjacking guard through the product: the hashtag vocabulary (vetted in one click,
audited, learned from campaigns and published posts), sensitive moments (added from the
pause page and the policy page, expiring by themselves), presets, the lint API and the
composer's live findings."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditEvent
from config.errors import NotAllowed
from planner.posts import services as post_services
from policy import selectors as policy_selectors
from policy import services as policy_services
from policy.models import HashtagVocabulary, PolicyVersion, SensitiveMoment
from tests.commands import manage
from tests.planner.publishing.support import approved_post, make_due


@pytest.fixture
def starter(team):
    """The team brand on the starter policy (general preset)."""
    policy_services.policy_version_create(
        brand=team["brand"],
        actor=None,
        rules=policy_services.presets_mod.preset_rules("general"),
        preset="general",
    )
    return team


def lint(brand, text, **kw):
    result = policy_services.policy_lint(brand=brand, text=text, **kw).result
    for f in result.findings:
        assert text[f.start : f.end] == f.match
    return result


def tag_findings(result):
    return [f.match for f in result.findings if f.rule == "new-hashtags"]


# --- the vocabulary -----------------------------------------------------------------------


def test_an_unvetted_tag_warns_until_an_approver_adds_it(starter):
    brand = starter["brand"]
    text = "#WhyIStayed You had pizza. #Team"
    result = lint(brand, text)
    assert not result.blocked
    assert tag_findings(result) == ["#WhyIStayed"]  # the brand's own name is fine
    row, created = policy_services.hashtag_add(
        brand=brand, actor=starter["approver1"], tag="#whyistayed"
    )
    assert created and row.source == "approved" and row.added_by == starter["approver1"]
    assert tag_findings(lint(brand, text)) == []
    assert tag_findings(lint(brand, "#WHYISTAYED")) == []
    again, created = policy_services.hashtag_add(
        brand=brand, actor=starter["admin"], tag="WhyIStayed"
    )
    assert not created and again.pk == row.pk
    event = AuditEvent.objects.get(action="policy.hashtag_added")
    assert event.actor == starter["approver1"] and event.data["tag"] == "#whyistayed"


def test_only_approvers_and_admins_vet_tags(starter):
    with pytest.raises(NotAllowed):
        policy_services.hashtag_add(brand=starter["brand"], actor=starter["author"], tag="#x")
    for bad in ("", "#", "two words", "#a-b", "x" * 200, None):
        with pytest.raises(ValidationError):
            policy_services.hashtag_add(brand=starter["brand"], actor=starter["admin"], tag=bad)
    assert not HashtagVocabulary.objects.exists()


def test_campaigns_and_published_posts_teach_the_vocabulary(
    starter, pub, mastodon, offline_publishing
):
    brand = starter["brand"]
    post_services.campaign_create(brand=brand, actor=starter["author"], name="Spring Bake!")
    assert tag_findings(lint(brand, "#springbake is on")) == []
    post = approved_post(pub, "Fresh bread today #FreshBread")
    assert tag_findings(lint(pub["brand"], "#freshbread again")) == ["#freshbread"]
    make_due([post.pk])
    assert manage("publish_due").code == 0
    assert tag_findings(lint(pub["brand"], "#freshbread again")) == []
    row = HashtagVocabulary.objects.get(brand=pub["brand"], key="freshbread")
    assert row.source == "published" and row.added_by is None


def test_the_vocabulary_over_the_api(starter, api):
    brand = starter["brand"]
    url = "/api/brands/team/hashtags/"
    assert api(starter["author"]).post(url, {"tag": "#x"}, format="json").status_code == 403
    made = api(starter["approver2"]).post(url, {"tag": "#Aurora"}, format="json")
    assert made.status_code == 201 and made.json()["created"] is True
    assert api(starter["approver2"]).post(url, {"tag": "#aurora"}, format="json").status_code == 200
    bad = api(starter["admin"]).post(url, {"tag": "not a tag"}, format="json")
    assert bad.status_code == 400 and "tag" in bad.json()["errors"]
    listed = api(starter["author"]).get(url).json()
    assert [t["tag"] for t in listed] == ["#Aurora"]
    pk = listed[0]["id"]
    assert api(starter["approver2"]).delete(f"{url}{pk}/").status_code == 403
    assert api(starter["admin"]).delete(f"{url}{pk}/").status_code == 204
    assert api(starter["admin"]).delete(f"{url}{pk}/").status_code == 400
    assert tag_findings(lint(brand, "#Aurora")) == ["#Aurora"]


def test_the_lint_api_carries_the_new_findings_with_their_spans(starter, api):
    text = "Hurricane weekend: 20% off! #StormSale"
    body = (
        api(starter["author"])
        .post("/api/brands/team/lint/", {"text": text, "category": "news"}, format="json")
        .json()
    )
    assert body["blocked"] is True
    rules = {f["rule"]: f for f in body["findings"]}
    assert rules["sensitive-disasters"]["severity"] == "block"
    assert rules["new-hashtags"]["match"] == "#StormSale"
    for f in body["findings"]:
        assert text[f["start"] : f["end"]] == f["match"]
        assert set(f) == {"rule", "severity", "start", "end", "match", "message"}


def test_policy_lint_command_sees_the_vocabulary_and_moments(starter):
    policy_services.moment_create(
        brand=starter["brand"], actor=starter["admin"], name="Verdict", tags=["#notguilty"]
    )
    ran = manage("policy_lint", "team", "Who's #notguilty? #Fresh")
    assert ran.code == 1
    ran = manage(
        "policy_lint", "team", "--jsonl", stdin='{"text": "#notguilty"}\n{"text": "#Fresh"}\n'
    )
    assert ran.code == 1
    assert '"moment-' in ran.lines[0] and '"new-hashtags"' in ran.lines[1]


# --- moments ------------------------------------------------------------------------------


def test_a_moment_blocks_while_active_and_expires_by_itself(starter):
    brand = starter["brand"]
    moment = policy_services.moment_create(
        brand=brand,
        actor=starter["admin"],
        name="Hurricane Sandy",
        terms=["Sandy"],
        tags=["#Sandy"],
        days=2,
    )
    assert moment.severity == "block"
    result = lint(brand, "Stay dry! #Sandy")
    assert result.blocked
    assert [f.rule for f in result.findings if f.severity == "block"] == [f"moment-{moment.pk}"]
    later = timezone.now() + dt.timedelta(days=2, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert not lint(brand, "Stay dry! Sandy").blocked
        assert list(policy_selectors.moments_active(brand=brand)) == []
        assert list(policy_selectors.moments_past(brand=brand)) == [moment]
    assert AuditEvent.objects.filter(action="policy.moment_created", brand=brand).exists()


def test_ending_a_moment_keeps_it_in_the_history(starter):
    brand = starter["brand"]
    moment = policy_services.moment_create(
        brand=brand, actor=starter["admin"], name="Verdict", tags=["#notguilty"]
    )
    with pytest.raises(NotAllowed):
        policy_services.moment_end(moment=moment, actor=starter["author"])
    policy_services.moment_end(moment=moment, actor=starter["admin"])
    assert not lint(brand, "#notguilty").blocked
    assert SensitiveMoment.objects.filter(pk=moment.pk).exists()
    assert list(policy_selectors.moments_past(brand=brand)) == [moment]


def test_moments_are_checked_and_scoped(starter, other, make_user):
    admin = starter["admin"]
    for bad in (
        {"name": "", "terms": ["x"]},
        {"name": "Empty"},
        {"name": "Bad tag", "tags": ["#two words"]},
        {"name": "Long", "terms": ["x"], "days": 400},
        {"name": "Backwards", "terms": ["x"], "ends_at": timezone.now() - dt.timedelta(days=1)},
        {"name": "Severity", "terms": ["x"], "severity": "maybe"},
    ):
        with pytest.raises(ValidationError):
            policy_services.moment_create(brand=starter["brand"], actor=admin, **bad)
    with pytest.raises(NotAllowed):
        policy_services.moment_create(
            brand=starter["brand"], actor=starter["author"], name="x", terms=["x"]
        )
    with pytest.raises(NotAllowed):
        policy_services.moment_create(brand=None, actor=admin, name="x", terms=["x"])
    mine = policy_services.moment_create(
        brand=starter["brand"], actor=admin, name="Mine", terms=["flarp"]
    )
    assert not lint(other["brand"], "flarp").findings  # another brand's moment
    staff = make_user("staff", is_staff=True)
    policy_services.moment_create(brand=None, actor=staff, name="Everyone", terms=["glorp"])
    assert lint(other["brand"], "glorp").blocked and lint(starter["brand"], "glorp").blocked
    assert policy_selectors.moment_get(brand=other["brand"], pk=mine.pk) is None


def test_moments_over_the_api(starter, api):
    admin = api(starter["admin"])
    made = admin.post(
        "/api/brands/team/moments/",
        {"name": "Storm", "terms": ["Sandy"], "tags": ["#Sandy"], "days": 1},
        format="json",
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["active"] is True and body["tags"] == ["#Sandy"]
    assert (
        api(starter["author"])
        .post("/api/brands/team/moments/", {"name": "x", "terms": ["x"]}, format="json")
        .status_code
        == 403
    )
    assert admin.post("/api/brands/team/moments/", {"name": "x"}, format="json").status_code == 400
    assert (
        admin.post(
            "/api/brands/team/moments/", {"name": "x", "terms": "x", "days": "many"}, format="json"
        ).status_code
        == 400
    )
    ended = admin.post(f"/api/brands/team/moments/{body['id']}/end/")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert admin.post("/api/brands/team/moments/999999/end/").status_code == 404
    listed = api(starter["author"]).get("/api/brands/team/moments/").json()
    assert [m["name"] for m in listed] == ["Storm"]


# --- presets ------------------------------------------------------------------------------


def test_a_new_brand_starts_from_the_general_preset(make_brand):
    version = policy_services.policy_ensure(brand=make_brand("fresh"))
    assert version.preset == "general"
    rules = {r["id"]: r for r in version.rules}
    assert rules["new-hashtags"]["enabled"] and not rules["sensitive-gambling"]["enabled"]


def test_an_admin_picks_a_preset(starter, api):
    brand = starter["brand"]
    with pytest.raises(NotAllowed):
        policy_services.policy_preset_apply(brand=brand, actor=starter["author"], preset="finance")
    with pytest.raises(ValidationError):
        policy_services.policy_preset_apply(brand=brand, actor=starter["admin"], preset="casino")
    assert not lint(brand, "Double your money, guaranteed returns!").blocked
    version = policy_services.policy_preset_apply(
        brand=brand, actor=starter["admin"], preset="finance"
    )
    assert version.preset == "finance" and version.note == "Preset: Finance"
    assert lint(brand, "Double your money, guaranteed returns!").blocked
    # later versions keep the preset
    later = policy_services.policy_rule_delete(
        brand=brand, actor=starter["admin"], rule_id="sensitive-religion"
    )
    assert later.preset == "finance"
    got = api(starter["author"]).get("/api/brands/team/policy/preset/").json()
    assert got["preset"] == "finance" and len(got["presets"]) == 5
    posted = api(starter["admin"]).post(
        "/api/brands/team/policy/preset/", {"preset": "family"}, format="json"
    )
    assert posted.status_code == 201 and posted.json()["preset"] == "family"
    assert (
        api(starter["admin"])
        .post("/api/brands/team/policy/preset/", {"preset": "nope"}, format="json")
        .status_code
        == 400
    )
    assert PolicyVersion.objects.filter(brand=brand).first().preset == "family"
    assert lint(brand, "Two beers please").blocked


# --- pages --------------------------------------------------------------------------------


def test_the_pause_page_adds_a_moment_and_offers_one_while_paused(starter, client):
    brand = starter["brand"]
    client.force_login(starter["admin"])
    page = client.get(reverse("publishing", args=["team"]))
    assert b'data-testid="moment-form"' in page.content
    client.post(reverse("brand_pause", args=["team"]), {"reason": "Hurricane Sandy"})
    page = client.get(reverse("publishing", args=["team"]))
    assert b'data-testid="moment-offer"' in page.content
    assert b'value="Hurricane Sandy"' in page.content
    back = reverse("publishing", args=["team"])
    answer = client.post(
        reverse("policy_moments", args=["team"]),
        {
            "name": "Hurricane Sandy",
            "entries": "Sandy, #Sandy",
            "severity": "block",
            "days": "3",
            "next": back,
        },
    )
    assert answer.status_code == 302 and answer["Location"] == back
    moment = SensitiveMoment.objects.get(brand=brand)
    assert moment.terms == ["Sandy"] and moment.tags == ["#Sandy"]
    assert moment.ends_at - moment.starts_at == dt.timedelta(days=3)
    page = client.get(back)
    assert b'data-testid="moment-active"' in page.content and b"Hurricane Sandy" in page.content
    # a bad one goes back to the pause page with the reason
    answer = client.post(
        reverse("policy_moments", args=["team"]),
        {"name": "x", "entries": "#two words", "severity": "block", "days": "3", "next": back},
        follow=True,
    )
    assert b"The moment was not added" in answer.content
    assert SensitiveMoment.objects.count() == 1
    # an offsite next is ignored
    answer = client.post(
        reverse("policy_moments", args=["team"]),
        {
            "name": "y",
            "entries": "y",
            "severity": "warn",
            "days": "1",
            "next": "https://evil.example/",
        },
    )
    assert answer["Location"] == reverse("policy_moments", args=["team"])


def test_authors_cannot_add_moments_from_the_web(starter, client):
    client.force_login(starter["author"])
    page = client.get(reverse("publishing", args=["team"]))
    assert b'data-testid="moment-form"' not in page.content
    answer = client.post(
        reverse("policy_moments", args=["team"]),
        {"name": "x", "entries": "x", "severity": "block", "days": "3"},
    )
    assert answer.status_code == 403
    assert not SensitiveMoment.objects.exists()


def test_the_moments_page_shows_the_history(starter, client):
    moment = policy_services.moment_create(
        brand=starter["brand"], actor=starter["admin"], name="Old storm", terms=["Sandy"], days=1
    )
    client.force_login(starter["author"])
    later = timezone.now() + dt.timedelta(days=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        page = client.get(reverse("policy_moments", args=["team"]))
    assert b'data-testid="moment-past"' in page.content and b"Old storm" in page.content
    assert b'data-testid="moment-active"' not in page.content
    client.force_login(starter["admin"])
    ended = client.post(reverse("policy_moment_end", args=["team", moment.pk]))
    assert ended.status_code == 302


def test_the_post_page_lets_an_approver_vet_a_tag_in_one_click(starter, make_post, client):
    post = make_post("You had pizza. #WhyIStayed")
    client.force_login(starter["author"])
    page = client.get(post.get_absolute_url())
    assert b'data-testid="hashtag-finding"' in page.content
    assert b'data-testid="vet-hashtag"' not in page.content
    client.force_login(starter["approver1"])
    page = client.get(post.get_absolute_url())
    assert b'data-testid="vet-hashtag"' in page.content
    answer = client.post(
        reverse("policy_hashtag_approve", args=["team"]),
        {"tag": "#WhyIStayed", "next": post.get_absolute_url()},
    )
    assert answer.status_code == 302 and answer["Location"] == post.get_absolute_url()
    page = client.get(post.get_absolute_url())
    assert b'data-testid="hashtag-finding"' not in page.content
    assert HashtagVocabulary.objects.get(brand=starter["brand"]).added_by == starter["approver1"]


def test_the_composer_shows_hashtag_and_moment_findings_live(starter, client):
    policy_services.moment_create(
        brand=starter["brand"], actor=starter["admin"], name="Storm", terms=["Sandy"]
    )
    client.force_login(starter["author"])
    page = client.post(
        reverse("compose_preview", args=["team"]),
        {
            "text": "Sandy is here #StormSale",
            "channels": [starter["channel"].pk],
            "category": "news",
        },
    )
    assert page.status_code == 200
    assert b'data-testid="hashtag-finding"' in page.content
    assert b'data-testid="moment-finding"' in page.content
    assert b"#StormSale has not been used by this brand" in page.content


def test_the_policy_and_vocabulary_pages(starter, client):
    client.force_login(starter["admin"])
    page = client.get(reverse("policy_detail", args=["team"]))
    assert b'data-testid="policy-moments"' in page.content
    assert b'data-testid="preset-form"' in page.content
    answer = client.post(reverse("policy_preset", args=["team"]), {"preset": "charity"})
    assert answer.status_code == 302
    assert policy_selectors.policy_current(brand=starter["brand"]).preset == "charity"
    answer = client.post(reverse("policy_hashtags", args=["team"]), {"tag": "#BakingDay"})
    assert answer.status_code == 302
    row = HashtagVocabulary.objects.get(brand=starter["brand"])
    assert row.source == "own"
    page = client.get(reverse("policy_hashtags", args=["team"]))
    assert b"#BakingDay" in page.content
    client.post(reverse("policy_hashtag_delete", args=["team", row.pk]))
    assert not HashtagVocabulary.objects.exists()
    client.force_login(starter["author"])
    assert (
        client.post(reverse("policy_preset", args=["team"]), {"preset": "finance"}).status_code
        == 403
    )
    page = client.get(reverse("policy_hashtags", args=["team"]))
    assert page.status_code == 200 and b'data-testid="hashtag-form"' not in page.content


def test_account_services_are_untouched_by_the_guard(starter):
    # pausing and resuming still work as before with a moment on
    policy_services.moment_create(
        brand=starter["brand"], actor=starter["admin"], name="x", terms=["x"]
    )
    account_services.brand_pause(brand=starter["brand"], actor=starter["admin"], reason="News")
    assert starter["brand"].__class__.objects.get(pk=starter["brand"].pk).is_paused


def test_the_rule_editor_writes_the_new_kind_and_field():
    from policy.forms import RuleForm

    form = RuleForm(
        {
            "id": "tags",
            "kind": "hashtags",
            "severity": "warn",
            "message": "{tag} is new here",
            "known": "#ad\n#collab",
            "enabled": "on",
        }
    )
    assert form.is_valid(), form.errors
    assert form.rule["known"] == ["#ad", "#collab"]
    form = RuleForm(
        {
            "id": "storms",
            "kind": "sensitive_topics",
            "severity": "warn",
            "message": "m",
            "terms": "hurricane",
            "when_promotional": "on",
            "enabled": "on",
        }
    )
    assert form.is_valid(), form.errors
    assert form.rule["when_promotional"] == "block"
    initial = RuleForm.initial_from_rule(form.rule)
    assert initial["when_promotional"] is True
