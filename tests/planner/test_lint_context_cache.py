"""The brand's lint context (hashtag vocabulary, sensitive moments) is read once per process
and checked with the brand row's stamp: a lint on a brand read just now makes no query for
it, and every write to the vocabulary or the moments is seen by the next lint, wherever it
runs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Brand
from policy import services as policy_services
from policy.models import HashtagVocabulary
from tests.planner.publishing.support import bulk_approved_posts

pytestmark = pytest.mark.django_db


def _tag_findings(brand, text, **kw):
    result = policy_services.policy_lint(brand=brand, text=text, **kw).result
    return [f.match for f in result.findings if f.rule == "new-hashtags"]


@pytest.fixture
def starter(team):
    policy_services.policy_version_create(
        brand=team["brand"],
        actor=None,
        rules=policy_services.presets_mod.preset_rules("general"),
        preset="general",
    )
    return team


def test_a_brand_read_just_now_lints_without_a_query(starter):
    brand = Brand.objects.get(pk=starter["brand"].pk)
    _tag_findings(brand, "warm #Sourdough", brand_loaded=True)  # this process's caches warm
    with CaptureQueriesContext(connection) as queries:
        found = _tag_findings(brand, "warm #Sourdough", brand_loaded=True)
    assert found == ["#Sourdough"]
    assert len(queries) == 0, [q["sql"] for q in queries]
    with CaptureQueriesContext(connection) as queries:
        _tag_findings(brand, "warm #Sourdough")  # an older object: one look at the row
    assert len(queries) == 1


def test_every_write_to_the_vocabulary_is_seen_by_the_next_lint(starter):
    held = Brand.objects.get(pk=starter["brand"].pk)  # an object read before the writes
    assert _tag_findings(held, "#Sourdough", brand_loaded=True) == ["#Sourdough"]
    stamp = Brand.objects.get(pk=held.pk).lint_context_stamp
    row, _ = policy_services.hashtag_add(
        brand=starter["brand"], actor=starter["admin"], tag="#Sourdough"
    )
    assert Brand.objects.get(pk=held.pk).lint_context_stamp != stamp
    assert _tag_findings(held, "#Sourdough") == []
    assert _tag_findings(Brand.objects.get(pk=held.pk), "#Sourdough", brand_loaded=True) == []
    policy_services.hashtag_remove(brand=starter["brand"], actor=starter["admin"], pk=row.pk)
    assert _tag_findings(held, "#Sourdough") == ["#Sourdough"]
    learned = policy_services.hashtags_learn(brand_id=held.pk, tags=["#Rye"], source="own")
    assert learned == 1
    assert _tag_findings(held, "#Rye") == []
    HashtagVocabulary.objects.filter(brand_id=held.pk, key="rye").delete()  # e.g. the admin
    assert _tag_findings(held, "#Rye") == ["#Rye"]


def test_a_moment_for_every_brand_reaches_every_brand_at_once(starter, other, make_user):
    brands = [Brand.objects.get(pk=starter["brand"].pk), Brand.objects.get(pk=other["brand"].pk)]
    policy_services.policy_ensure(brand=brands[1])
    for brand in brands:
        assert not policy_services.policy_lint(brand=brand, text="Stay dry, Sandy").result.blocked
    staff = make_user("staff", is_staff=True)
    moment = policy_services.moment_create(brand=None, actor=staff, name="Sandy", terms=["Sandy"])
    for brand in brands:
        assert policy_services.policy_lint(brand=brand, text="Stay dry, Sandy").result.blocked
    policy_services.moment_end(moment=moment, actor=staff)
    for brand in brands:
        assert not policy_services.policy_lint(brand=brand, text="Stay dry, Sandy").result.blocked


def test_a_set_of_published_posts_teaches_the_vocabulary(
    pub, mastodon, offline_publishing, settings
):
    from planner.publishing import services as publishing

    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "PUBLISH_SEND_CONCURRENCY": 4}
    ids = bulk_approved_posts(pub, 3, prefix="#SpringBake")
    claimed = publishing.dispatch().claimed
    assert sorted(claimed) == sorted(ids)
    outcomes = publishing.publish_many(claimed)
    assert {o.result for o in outcomes} == {"published"}
    assert HashtagVocabulary.objects.filter(
        brand=pub["brand"], key="springbake", source="published"
    ).exists()
    assert _tag_findings(pub["brand"], "#SpringBake again") == []
