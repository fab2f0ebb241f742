"""The OpenAPI document: every endpoint described, generated without a warning, and served
with its interactive docs under the same Content-Security-Policy as every other page."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS


def test_the_schema_generates_without_warnings_or_errors(tmp_path):
    GENERATOR_STATS.reset()
    out = tmp_path / "schema.yaml"
    # --fail-on-warn raises on any warning or error; --validate checks it against the spec.
    call_command("spectacular", "--file", str(out), "--fail-on-warn", "--validate")
    assert GENERATOR_STATS._warn_cache == {}
    assert GENERATOR_STATS._error_cache == {}
    assert out.read_text().startswith("openapi:")


@pytest.mark.django_db
def test_every_api_endpoint_is_in_the_schema_with_its_error_body(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    for path in paths:
        assert path.startswith("/api/")
    for needed in (
        "/api/auth/token/",
        "/api/brands/{slug}/channels/",
        "/api/me/personal-accounts/",
        "/api/brands/{slug}/posts/",
        "/api/posts/{id}/",
        "/api/posts/{id}/submit/",
        "/api/posts/{id}/approve/",
        "/api/posts/{id}/reject/",
        "/api/posts/{id}/evidence/",
        "/api/brands/{slug}/lint/",
        "/api/brands/{slug}/pause/",
        "/api/brands/{slug}/resume/",
        "/api/brands/{slug}/calendar/",
        "/api/brands/{slug}/quizzes/",
        "/api/quizzes/{id}/",
        "/api/quizzes/{id}/attempts/",
        "/api/brands/{slug}/certifications/",
    ):
        assert needed in paths, needed
    assert "Error" in schema["components"]["schemas"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            errors = [code for code in responses if code[0] in "45"]
            assert errors, f"{method.upper()} {path} documents no error answer"
            for code in errors:
                body = responses[code]["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/Error"}, (method, path, code)


@pytest.mark.django_db
def test_the_interactive_docs_load_from_our_own_static_files_without_inline_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Content-Security-Policy" in response.headers
    assert "cdn" not in html.lower()
    assert "<script>" not in html.replace(" ", "")
    assert "swagger-ui" in html
