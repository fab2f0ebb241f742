"""Training API: quizzes without answers, attempts, certifications; bad input is a clear 4xx,
never a 500, and records nothing."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from policy.models import Attempt, AttemptAnswer, Certification
from tests.policy.training.support import (
    flip_answers,
    manual_quiz,
    right_answers,
    wrong_answers,
)


@pytest.fixture
def quiz(team):
    return manual_quiz(team["brand"], team["trainer"], cooldown=60)


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def other(make_user, make_brand):
    boss = make_user("other-boss")
    brand = make_brand("other", admin=boss)
    trainer = make_user("other-trainer")
    account_services.membership_set(brand=brand, user=trainer, roles=["trainer"], actor=boss)
    return {"brand": brand, "trainer": trainer, "quiz": manual_quiz(brand, trainer)}


def test_members_list_published_quizzes_and_trainers_also_drafts(team, quiz, api):
    draft = manual_quiz(team["brand"], team["trainer"], title="Draft", publish=False)
    seen = api(team["author"]).get("/api/brands/team/quizzes/").json()
    assert [q["id"] for q in seen] == [quiz.pk]
    assert seen[0]["certifies"] == ["author"] and seen[0]["question_count"] == 2
    trainer_sees = {q["id"] for q in api(team["trainer"]).get("/api/brands/team/quizzes/").json()}
    assert trainer_sees == {quiz.pk, draft.pk}
    assert api(team["author"]).get("/api/brands/nope/quizzes/").status_code == 404


def test_a_quiz_never_says_which_choices_are_right(team, quiz, api):
    for user in (team["author"], team["trainer"]):
        client = api(user)
        before = client.get(f"/api/quizzes/{quiz.pk}/")
        assert before.status_code == 200
        body = before.json()
        assert [len(q["choices"]) for q in body["questions"]] == [2, 3]
        assert set(body["questions"][0]["choices"][0]) == {"id", "text"}
        assert "correct" not in json.dumps(body).lower()
        assert "explanation" not in json.dumps(body)
        flip_answers(quiz)
        assert client.get(f"/api/quizzes/{quiz.pk}/").json() == body
        flip_answers(quiz)


def test_drafts_and_other_brands_quizzes_are_not_found(team, quiz, other, api):
    draft = manual_quiz(team["brand"], team["trainer"], title="Draft", publish=False)
    author = api(team["author"])
    assert author.get(f"/api/quizzes/{draft.pk}/").status_code == 404
    assert author.get(f"/api/quizzes/{other['quiz'].pk}/").status_code == 404
    assert author.get("/api/quizzes/99999999999999999999/").status_code == 404
    response = author.post(
        f"/api/quizzes/{other['quiz'].pk}/attempts/",
        {"answers": right_answers(other["quiz"])},
        format="json",
    )
    assert response.status_code == 404
    assert api(team["trainer"]).get(f"/api/quizzes/{draft.pk}/").status_code == 200


def test_an_attempt_scores_and_a_second_within_the_cooldown_is_409(team, quiz, api):
    client = api(team["author"])
    first = client.post(
        f"/api/quizzes/{quiz.pk}/attempts/", {"answers": wrong_answers(quiz)}, format="json"
    )
    assert first.status_code == 201
    body = first.json()
    assert (body["score"], body["passed"], body["correct"], body["total"]) == (0, False, 0, 2)
    assert body["certification"] is None
    assert [r["correct"] for r in body["results"]] == [False, False]
    assert body["results"][0]["explanation"].startswith("Warnings travel")
    again = client.post(
        f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "cooldown" and again.json()["retake_at"] == body["retake_at"]
    assert "retake it from" in again.json()["detail"]
    assert Attempt.objects.count() == 1
    detail = client.get(f"/api/quizzes/{quiz.pk}/").json()
    assert detail["retake_at"] is not None


def test_passing_returns_the_certification(team, api):
    quiz = manual_quiz(team["brand"], team["trainer"], certifies_approver=True)
    response = api(team["author"]).post(
        f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["score"], body["passed"]) == (100, True)
    assert body["certification"]["roles"] == ["author", "approver"]
    assert body["certification"]["valid"] is True
    assert body["certification"]["policy_version"] == 1  # the imported policy is the first


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"answers": None},
        {"answers": []},
        {"answers": "all of them"},
        {"answers": {"abc": [1]}},
        {"answers": {"1e3": [1]}},
        {"answers": {"": []}},
        {"answers": {"{q}": ["one"]}},
        {"answers": {"{q}": [1.5]}},
        {"answers": {"{q}": [{"$gt": 0}]}},
        {"answers": {"{q}": "{other_choice}"}},
        {"answers": {"{other_q}": ["{other_choice}"]}},
        {"answers": {"{q}": ["{c1}", "{c2}"]}},
        {"answers": {"{q}": [99999999999999999999]}},
        {"answers": {"{q}": list(range(1, 50))}},
    ],
)
def test_bad_answers_are_400_and_record_nothing(team, quiz, other, api, payload):
    single = quiz.questions.get(kind="single")
    other_q = other["quiz"].questions.first()
    values = {
        "{q}": str(single.pk),
        "{other_q}": str(other_q.pk),
        "{other_choice}": other_q.choices.first().pk,
        "{c1}": single.choices.all()[0].pk,
        "{c2}": single.choices.all()[1].pk,
    }
    raw = json.dumps(payload)
    for key, value in values.items():
        raw = raw.replace(f'"{key}"', json.dumps(value)).replace(key, str(value))
    response = api(team["author"]).post(
        f"/api/quizzes/{quiz.pk}/attempts/", raw, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert not Attempt.objects.exists() and not AttemptAnswer.objects.exists()


def test_a_body_that_is_not_an_object_is_400(team, quiz, api):
    client = api(team["author"])
    for raw in ("[1, 2]", '"answers"', "not json", "null"):
        response = client.post(
            f"/api/quizzes/{quiz.pk}/attempts/", raw, content_type="application/json"
        )
        assert response.status_code == 400, raw
    assert not Attempt.objects.exists()


def test_attempts_on_an_unpublished_quiz(team, api):
    draft = manual_quiz(team["brand"], team["trainer"], title="Draft", publish=False)
    payload = {"answers": right_answers(draft)}
    author = api(team["author"]).post(f"/api/quizzes/{draft.pk}/attempts/", payload, format="json")
    assert author.status_code == 404
    trainer = api(team["trainer"]).post(
        f"/api/quizzes/{draft.pk}/attempts/", payload, format="json"
    )
    assert trainer.status_code == 409 and trainer.json()["code"] == "quiz_not_published"
    assert not Attempt.objects.exists()


def test_a_quiz_with_no_correct_choice_is_a_clear_400(team, quiz, api):
    quiz.questions.get(kind="single").choices.update(is_correct=False)
    response = api(team["author"]).post(
        f"/api/quizzes/{quiz.pk}/attempts/", {"answers": wrong_answers(quiz)}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "quiz_not_ready"
    assert not Attempt.objects.exists()


def test_certifications_mine_for_members_everyones_for_trainers_and_admins(team, quiz, api):
    for user in (team["author"], team["approver1"]):
        api(user).post(
            f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)}, format="json"
        )
    assert Certification.objects.count() == 2
    mine = api(team["author"]).get("/api/brands/team/certifications/").json()
    assert [c["user"] for c in mine] == ["author"]
    assert mine[0]["quiz"] == {"id": quiz.pk, "title": "Basics"} and mine[0]["valid"] is True
    for user in (team["trainer"], team["admin"]):
        everyone = api(user).get("/api/brands/team/certifications/").json()
        assert sorted(c["user"] for c in everyone) == ["approver1", "author"]
    assert api(team["author"]).get("/api/brands/other/certifications/").status_code == 404


def test_token_auth_and_anonymous(team, quiz):
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(user=team["author"])
    client = APIClient()
    assert client.get(f"/api/quizzes/{quiz.pk}/").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"/api/quizzes/{quiz.pk}/").status_code == 200
