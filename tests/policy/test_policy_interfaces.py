"""policy_lint / policy_import / policy_export commands, the lint API, and the web pages."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from policy import services

POLICY = """rules:
  - id: no-swearing
    kind: banned_terms
    severity: block
    message: Keep it clean.
    terms: [fuck, shit]
  - id: spelling
    kind: brand_spelling
    severity: warn
    message: It is KitchenAid.
    canonical: KitchenAid
"""


@pytest.fixture
def brand(brand_with_team):
    services.policy_import(brand=brand_with_team["brand"], yaml_text=POLICY, actor=None)
    return brand_with_team["brand"]


def _lint_cmd(*args, stdin=""):
    from django.core.management import call_command

    out = io.StringIO()
    code = 0
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("policy_lint", *args, stdout=out)
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue()


def test_policy_lint_spans_index_the_original_text(brand):
    text = "Wow, f.u.c.k this kitchenaid"
    code, out = _lint_cmd(brand.slug, text)
    result = json.loads(out)
    assert code == 1 and result["blocked"] is True
    for finding in result["findings"]:
        assert text[finding["start"] : finding["end"]] == finding["match"]
        assert set(finding) >= {"rule", "severity", "start", "end", "match", "message"}
    assert {f["rule"] for f in result["findings"]} == {"no-swearing", "spelling"}


def test_policy_lint_exit_codes(brand):
    assert _lint_cmd(brand.slug, "All good here")[0] == 0
    assert _lint_cmd(brand.slug, "-", stdin="oh sh1t")[0] == 1
    assert _lint_cmd("no-such-brand", "x")[0] == 2


def test_a_text_of_several_lines_is_read_a_line_at_a_time(brand_with_team, brand):
    """The command, one text and --jsonl, and the lint API: a newline ends a word."""
    text = "Recap:\nwww.example.com\nsh.it.happens"
    code, out = _lint_cmd(brand.slug, text)
    assert code == 1 and json.loads(out)["findings"][0]["match"] == "sh.it"
    code, out = _lint_cmd(brand.slug, "--jsonl", stdin=json.dumps({"text": text}) + "\n")
    assert code == 1 and json.loads(out)["findings"][0]["match"] == "sh.it"
    api = APIClient()
    api.force_authenticate(brand_with_team["author"])
    response = api.post(f"/api/brands/{brand.slug}/lint/", {"text": text}, format="json")
    assert response.json()["findings"][0]["match"] == "sh.it"


def test_policy_lint_jsonl_keeps_order(brand):
    lines = [
        {"text": "clean"},
        {"text": "f u c k"},
        "not an object",
        {"text": "KITCHENAID", "category": "news"},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\n"
    code, out = _lint_cmd(brand.slug, "--jsonl", stdin=stdin)
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == 4
    assert results[0]["blocked"] is False
    assert results[1]["blocked"] is True
    assert "error" in results[2]
    assert results[3]["findings"][0]["rule"] == "spelling"
    assert code == 2


def test_lint_command_bad_usage_exits_2_from_the_shell(brand, settings):
    # argparse errors (no text) exit 2 when run as a program.
    proc = subprocess.run(
        [sys.executable, "manage.py", "policy_lint", "--jsonl"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2


def test_export_then_import_round_trips(brand, tmp_path):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("policy_export", brand.slug, stdout=out)
    path = tmp_path / "policy.yaml"
    path.write_text(out.getvalue())
    before = services.policy_ensure(brand=brand)
    call_command("policy_import", brand.slug, str(path), stdout=io.StringIO())
    after = services.policy_ensure(brand=brand)
    assert after.number == before.number + 1
    assert after.rules == before.rules


def test_import_command_refuses_a_bad_file_with_the_line(brand, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "bad.yaml"
    path.write_text("rules:\n  - id: x\n    kind: banned_terms\n    severity: sometimes\n")
    before = services.policy_ensure(brand=brand)
    with pytest.raises(CommandError, match="line"):
        call_command("policy_import", brand.slug, str(path))
    assert services.policy_ensure(brand=brand).pk == before.pk


def test_lint_api(brand_with_team, brand):
    api = APIClient()
    api.force_authenticate(brand_with_team["author"])
    url = f"/api/brands/{brand.slug}/lint/"
    response = api.post(url, {"text": "ｆｕｃｋ"}, format="json")
    assert response.status_code == 200
    assert response.json()["blocked"] is True
    assert api.post(url, {"text": 42}, format="json").status_code in (200, 400)
    assert api.post(url, {}, format="json").status_code == 400
    assert api.post(url, {"text": "x" * 100_001}, format="json").status_code == 400
    assert api.post(url, "not json", content_type="application/json").status_code == 400


def test_the_lint_api_reads_a_token_the_permissions_and_the_brand_with_its_channel(
    brand_with_team, brand, make_user
):
    """Three queries for a lint by token naming a channel by id (the composer's call): the
    token with its person, the person's permissions, the brand with the channel. A channel of
    another brand is never used, and an id no database could hold is a handle like any."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts import services as account_services
    from accounts.tokens import token_create

    channel = brand_with_team["channel"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=brand_with_team['author'])}")
    url = f"/api/brands/{brand.slug}/lint/"
    api.post(url, {"text": "warm", "channel": channel.pk}, format="json")
    for named in (channel.pk, str(channel.pk)):
        with CaptureQueriesContext(connection) as queries:
            response = api.post(url, {"text": "oh ｆｕｃｋ", "channel": named}, format="json")
        assert response.status_code == 200 and response.json()["blocked"] is True
        assert len(queries) == 3, [q["sql"] for q in queries]
    elsewhere = account_services.channel_create_outbox(
        brand=make_brand_for(make_user), handle="@elsewhere", actor=None
    )
    for named in (elsewhere.pk, "9" * 30, "²", "@team", "@nobody", "", None):
        response = api.post(url, {"text": "Fresh bread", "channel": named}, format="json")
        assert response.status_code in (200, 400), (named, response.content)
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=make_user('nosy'))}")
    assert stranger.post(url, {"text": "x", "channel": channel.pk}, format="json").status_code == (
        404
    )


def make_brand_for(make_user):
    from accounts import services as account_services

    return account_services.brand_create(
        slug="other-brand", name="Other", created_by=make_user("other-admin")
    )


def test_lint_api_is_brand_scoped(brand, make_user):
    api = APIClient()
    api.force_authenticate(make_user("stranger"))
    assert (
        api.post(f"/api/brands/{brand.slug}/lint/", {"text": "x"}, format="json").status_code == 404
    )


def test_blns_strings_never_break_the_lint_api(brand_with_team, brand):
    from pathlib import Path

    strings = json.loads((Path(__file__).parents[1] / "data" / "blns.json").read_text())
    api = APIClient()
    api.force_authenticate(brand_with_team["author"])
    for text in strings:
        response = api.post(f"/api/brands/{brand.slug}/lint/", {"text": text}, format="json")
        assert response.status_code == 200, text
        for f in response.json()["findings"]:
            assert text[f["start"] : f["end"]] == f["match"]


def test_try_it_page_highlights_findings_escaped(client, brand_with_team, brand):
    client.force_login(brand_with_team["author"])
    url = reverse("policy_try", kwargs={"slug": brand.slug})
    response = client.post(url, {"text": "<b>fuck</b>"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<mark class="finding-block"' in html
    assert "&lt;b&gt;" in html and "<b>fuck" not in html


def test_rule_editor_makes_a_new_version(client, brand_with_team, brand):
    client.force_login(brand_with_team["admin"])
    url = reverse("policy_rule_add", kwargs={"slug": brand.slug})
    before = services.policy_ensure(brand=brand).number
    response = client.post(
        url,
        {
            "id": "hashtags",
            "kind": "max_count",
            "severity": "warn",
            "message": "Two at most",
            "what": "hashtags",
            "max": 2,
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    assert services.policy_ensure(brand=brand).number == before + 1
    bad = client.post(url, {"id": "x", "kind": "max_count", "severity": "warn", "message": "m"})
    assert bad.status_code == 200  # re-shown with the reason, nothing saved
    assert services.policy_ensure(brand=brand).number == before + 1


def test_policy_pages_for_members_only(client, brand_with_team, brand, make_user):
    client.force_login(brand_with_team["author"])
    for name in ("policy_detail", "policy_try", "policy_versions"):
        assert client.get(reverse(name, kwargs={"slug": brand.slug})).status_code == 200
    assert client.get(reverse("policy_import", kwargs={"slug": brand.slug})).status_code == 403
    client.force_login(make_user("outsider"))
    assert client.get(reverse("policy_detail", kwargs={"slug": brand.slug})).status_code == 404
