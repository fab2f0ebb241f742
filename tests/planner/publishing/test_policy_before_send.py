"""A brand's policy version exists before anything is sent, and the brand row names its
current version whichever way a version is written (services, the editor, the API, the
import command); the send path writes nothing but the send's own rows."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Brand
from planner.models import Post, Status
from planner.publishing import services as publishing
from policy import services as policy_services
from policy.models import PolicyVersion
from tests.planner.publishing.support import bulk_approved_posts

pytestmark = pytest.mark.usefixtures("offline_publishing")

POLICY = """\
rules:
  - id: no-cake
    kind: banned_terms
    severity: block
    message: No cake.
    terms: [cake]
"""


def _current(brand) -> int | None:
    return Brand.objects.values_list("policy_version_id", flat=True).get(pk=brand.pk)


def _latest(brand) -> int:
    return PolicyVersion.objects.filter(brand=brand).order_by("-number").first().pk


def test_every_way_of_writing_a_version_moves_the_brands_current_version(pub, tmp_path):
    brand, admin = pub["brand"], pub["admin"]
    assert _current(brand) is None  # a new brand has no version until one is needed
    policy_services.policy_ensure(brand=Brand.objects.get(pk=brand.pk))
    assert _current(brand) == _latest(brand)
    policy_services.policy_rule_save(
        brand=Brand.objects.get(pk=brand.pk),
        actor=admin,
        rule={
            "id": "r1",
            "kind": "banned_terms",
            "severity": "warn",
            "message": "m",
            "terms": ["x"],
        },
    )
    assert _current(brand) == _latest(brand)
    api = APIClient()
    api.force_authenticate(admin)
    response = api.post(f"/api/brands/{brand.slug}/policy/", {"yaml": POLICY}, format="json")
    assert response.status_code == 201
    assert _current(brand) == _latest(brand)
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.replace("cake", "pie"))
    call_command("policy_import", brand.slug, str(path), stdout=io.StringIO())
    assert _current(brand) == _latest(brand)
    assert PolicyVersion.objects.get(pk=_current(brand)).number == 4
    # A stale brand object does not hide the newer version from the policy's readers.
    assert policy_services.policy_ensure(brand=brand).pk == _latest(brand)


def test_the_dispatcher_starts_a_missing_policy_with_the_claim_not_the_send(pub, mastodon):
    ids = bulk_approved_posts(pub, 3)  # never submitted: the brand has no policy yet
    assert not PolicyVersion.objects.filter(brand=pub["brand"]).exists()
    result = publishing.dispatch()
    assert sorted(result.claimed) == sorted(ids)
    versions = list(PolicyVersion.objects.filter(brand=pub["brand"]).values_list("pk", flat=True))
    assert len(versions) == 1 and _current(pub["brand"]) == versions[0]
    for pk in result.claimed:
        assert publishing.publish_one(pk).result == "published"
    assert PolicyVersion.objects.filter(brand=pub["brand"]).count() == 1
    assert set(Post.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.PUBLISHED
    }


def test_a_post_falling_due_while_the_dispatcher_runs_has_its_policy_before_the_send(
    pub, mastodon, monkeypatch
):
    """The posts written between the dispatcher's start and its claim (a bulk set-up, an
    import) are claimed in that pass: their brand's version is started for them too."""
    from planner import lifecycle

    claim = lifecycle.claim_due
    ids = []

    def claim_after_a_write(*args, **kwargs):
        ids.extend(bulk_approved_posts(pub, 2))
        return claim(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "claim_due", claim_after_a_write)
    result = publishing.dispatch()
    assert sorted(result.claimed) == sorted(ids)
    assert _current(pub["brand"]) is not None
    assert [publishing.publish_one(pk).result for pk in result.claimed] == ["published"] * 2


def test_a_send_never_writes_a_policy_version(pub, mastodon):
    """Without a version (a brand made before versions, claimed by hand), the send is held
    with the reason instead of writing one from inside the send."""
    from django.utils import timezone

    from planner import lifecycle

    ids = bulk_approved_posts(pub, 1)
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    assert claimed == ids[0]
    outcome = publishing.publish_one(claimed)
    assert outcome.result == "held" and "no policy version" in outcome.detail
    assert not PolicyVersion.objects.filter(brand=pub["brand"]).exists()
    assert mastodon.posts() == []
