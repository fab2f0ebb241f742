"""Training pages: taking a quiz (no answers in the HTML), results, certificates, the
trainer's pages, the dashboard (chart data in json_script) and the CSV export."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from accounts import services as account_services
from policy import selectors as policy_selectors
from policy.models import Attempt, Question, Quiz
from policy.training import selectors, services
from tests.policy.training.support import (
    flip_answers,
    manual_quiz,
    right_answers,
    wrong_answers,
)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')


@pytest.fixture
def web():
    def client_for(user):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client

    return client_for


def _form(answers: dict) -> dict:
    return {f"q{q}": [str(c) for c in choices] for q, choices in answers.items()}


def test_the_quiz_page_never_says_which_answers_are_right(team, quiz, web):
    generated = services.quiz_create(
        brand=team["brand"], actor=team["trainer"], title="Generated", cooldown_minutes=0
    )
    services.quiz_generate(quiz=generated, actor=team["trainer"], count=6, seed=2)
    services.quiz_publish(quiz=generated, actor=team["trainer"])
    client = web(team["author"])
    for q in (quiz, generated):
        url = f"/b/team/training/quizzes/{q.pk}/"
        before = client.get(url)
        assert before.status_code == 200
        html = before.content.decode()
        form = re.search(
            r'<form method="post" novalidate data-testid="quiz-form">.*?</form>', html, re.S
        )
        assert "correct" not in form.group(0).lower()
        assert form.group(0).count('type="hidden"') == 1  # the CSRF token, nothing else
        assert "data-" not in form.group(0).replace('data-testid="quiz-form"', "")
        for explanation in q.questions.values_list("explanation", flat=True):
            assert explanation not in html
        flip_answers(q)
        after = client.get(url).content.decode()
        assert CSRF.sub("", after) == CSRF.sub("", html)


def test_the_quiz_page_is_keyboard_friendly(team, quiz, web):
    html = web(team["author"]).get(f"/b/team/training/quizzes/{quiz.pk}/").content.decode()
    assert html.count("<fieldset") == 2 and html.count("<legend") == 2
    inputs = re.findall(
        r'<input class="form-check-input" type="(\w+)" name="q\d+" id="([^"]+)"', html
    )
    assert [t for t, _ in inputs] == ["radio", "radio", "checkbox", "checkbox", "checkbox"]
    for _, input_id in inputs:
        assert f'<label class="form-check-label" for="{input_id}">' in html


def test_fail_then_pass_shows_explanations_then_a_certificate(team, quiz, web):
    client = web(team["author"])
    url = f"/b/team/training/quizzes/{quiz.pk}/"
    failed = client.post(url, _form(wrong_answers(quiz)))
    assert failed.status_code == 302
    page = client.get(failed.url).content.decode()
    assert "You scored <strong>0%</strong>" in page
    assert "Warnings travel with the post" in page and "Only the brand" in page
    assert "retake the quiz" in page
    passed = client.post(url, _form(right_answers(quiz)))
    page = client.get(passed.url).content.decode()
    assert "You scored <strong>100%</strong>" in page
    assert "Warnings travel" not in page  # explanations are for misses
    cert_url = re.search(r'href="(/b/team/training/certificates/\d+/)"', page).group(1)
    cert = client.get(cert_url).content.decode()
    version = policy_selectors.policy_current(brand=team["brand"]).number
    assert f"<strong>v{version}</strong>" in cert and "certified as <strong>author</strong>" in cert
    # Someone else's certificate and attempt are not found.
    other = web(team["approver1"])
    assert other.get(cert_url).status_code == 404
    assert other.get(failed.url).status_code == 404
    assert web(team["trainer"]).get(cert_url).status_code == 200


def test_unanswered_or_tampered_submissions_record_nothing(team, quiz, web):
    client = web(team["author"])
    url = f"/b/team/training/quizzes/{quiz.pk}/"
    single = quiz.questions.get(kind="single")
    response = client.post(url, {f"q{single.pk}": str(single.choices.first().pk)})
    assert response.status_code == 400
    assert "Answer every question" in response.content.decode()
    other = manual_quiz(team["brand"], team["trainer"], title="Other")
    tampered = _form(right_answers(quiz))
    tampered[f"q{single.pk}"] = [str(other.questions.first().choices.first().pk)]
    assert client.post(url, tampered).status_code == 400
    assert client.post(url, {**_form(right_answers(quiz)), "q999999999999999999999": "x"})
    assert Attempt.objects.count() == 1  # only the last one, with extra junk ignored


def test_a_retake_in_the_cooldown_says_when(team, web):
    quiz = manual_quiz(team["brand"], team["trainer"], cooldown=120)
    client = web(team["author"])
    url = f"/b/team/training/quizzes/{quiz.pk}/"
    client.post(url, _form(wrong_answers(quiz)))
    page = client.get(url).content.decode()
    assert "You can retake it from" in page and "Submit answers" not in page
    response = client.post(url, _form(right_answers(quiz)))
    assert response.status_code == 400 and "You can retake it from" in response.content.decode()
    assert Attempt.objects.count() == 1


def test_trainers_create_generate_edit_and_publish(team, web):
    client = web(team["trainer"])
    response = client.post(
        "/b/team/training/quizzes/new/",
        {
            "title": "Policy check",
            "pass_mark": "75",
            "cooldown_value": "2",
            "cooldown_unit": "hours",
            "certifies_author": "on",
        },
    )
    quiz = Quiz.objects.get(title="Policy check")
    assert response.url == f"/b/team/training/quizzes/{quiz.pk}/edit/"
    assert quiz.cooldown_minutes == 120 and not quiz.is_published
    page = client.get(f"/b/team/training/quizzes/{quiz.pk}/generate/").content.decode()
    assert 'value="no-politics"' in page and "checked" in page
    response = client.post(
        f"/b/team/training/quizzes/{quiz.pk}/generate/",
        {"count": "5", "rules": ["no-swearing", "no-politics", "own-links"]},
    )
    assert response.status_code == 302
    assert quiz.questions.filter(source="generated").count() == 5
    edit = client.get(response.url).content.decode()
    assert edit.count('data-testid="quiz-question"') == 5
    question = quiz.questions.first()
    page = client.get(f"/b/team/training/quizzes/{quiz.pk}/questions/{question.pk}/")
    assert "computed by the policy engine" in page.content.decode()
    page = client.get(f"/b/team/training/quizzes/{quiz.pk}/questions/new/").content.decode()
    assert (
        'name="choices-TOTAL_FORMS" value="4"' in page and 'for="id_choices-0-is_correct"' in page
    )
    response = client.post(
        f"/b/team/training/quizzes/{quiz.pk}/questions/{question.pk}/",
        {
            "prompt": question.prompt,
            "sample_text": "Damn, Brexit again",
            "sample_channel": "",
            "sample_category": "news",
            "explanation": question.explanation,
        },
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.kind == Question.Kind.MULTIPLE
    response = client.post(
        f"/b/team/training/quizzes/{quiz.pk}/questions/new/",
        {
            "prompt": "Who approves posts?",
            "kind": "single",
            "sample_text": "",
            "explanation": "Approvers do.",
            "choices-TOTAL_FORMS": "3",
            "choices-INITIAL_FORMS": "0",
            "choices-0-text": "Approvers",
            "choices-0-is_correct": "on",
            "choices-1-text": "Anyone",
            "choices-2-text": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert quiz.questions.filter(source="manual").get().choices.count() == 2
    response = client.post(f"/b/team/training/quizzes/{quiz.pk}/publish/", follow=True)
    assert "Published: every answer agrees with policy v" in response.content.decode()
    assert Quiz.objects.get(pk=quiz.pk).is_published


def test_a_refused_publish_says_why(team, web):
    quiz = services.quiz_create(brand=team["brand"], actor=team["trainer"], title="Empty")
    response = web(team["trainer"]).post(
        f"/b/team/training/quizzes/{quiz.pk}/publish/", follow=True
    )
    assert "Add at least one question" in response.content.decode()
    assert not Quiz.objects.get(pk=quiz.pk).is_published


def test_only_trainers_reach_the_trainer_pages(team, quiz, web, make_brand, make_user):
    author = web(team["author"])
    assert author.get("/b/team/training/quizzes/new/").status_code == 403
    assert author.get(f"/b/team/training/quizzes/{quiz.pk}/edit/").status_code == 403
    assert author.post(f"/b/team/training/quizzes/{quiz.pk}/unpublish/").status_code == 403
    assert author.get("/b/team/training/people.csv").status_code == 403
    assert Quiz.objects.get(pk=quiz.pk).is_published
    boss = make_user("elsewhere")
    make_brand("elsewhere", admin=boss)
    assert web(boss).get(f"/b/team/training/quizzes/{quiz.pk}/").status_code == 404
    assert web(boss).get(f"/b/elsewhere/training/quizzes/{quiz.pk}/").status_code == 404
    draft = manual_quiz(team["brand"], team["trainer"], title="Draft", publish=False)
    assert author.get(f"/b/team/training/quizzes/{draft.pk}/").status_code == 404
    q = draft.questions.first()
    assert (
        author.post(f"/b/team/training/quizzes/{draft.pk}/questions/{q.pk}/delete/").status_code
        == 404
    )
    trainer = web(team["trainer"])
    assert (
        trainer.get(
            f"/b/team/training/quizzes/{draft.pk}/questions/999999999999999999999/"
        ).status_code
        == 404
    )
    assert trainer.get(f"/b/team/training/quizzes/{quiz.pk}/questions/{q.pk}/").status_code == 404


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_dashboard_queries_do_not_grow_with_people_or_attempts(
    team, quiz, web, make_user, django_assert_max_num_queries
):
    client = web(team["trainer"])
    services.attempt_submit(quiz=quiz, user=team["author"], answers=wrong_answers(quiz))
    few = _queries(client, "/b/team/training/")
    for n in range(8):
        user = make_user(f"extra{n}")
        account_services.membership_set(
            brand=team["brand"], user=user, roles=["author", "approver"], actor=team["admin"]
        )
        services.attempt_submit(
            quiz=quiz, user=user, answers=right_answers(quiz) if n % 2 else wrong_answers(quiz)
        )
    other = manual_quiz(team["brand"], team["trainer"], title="Second")
    services.attempt_submit(quiz=other, user=team["author"], answers=right_answers(other))
    assert _queries(client, "/b/team/training/") == few
    with django_assert_max_num_queries(25):
        client.get("/b/team/training/")


def test_the_dashboard(team, quiz, web):
    Quiz.objects.filter(pk=quiz.pk).update(title="</script><script>alert(1)</script>")
    services.attempt_submit(quiz=quiz, user=team["author"], answers=wrong_answers(quiz))
    services.attempt_submit(quiz=quiz, user=team["approver1"], answers=right_answers(quiz))
    client = web(team["trainer"])
    response = client.get("/b/team/training/")
    html = response.content.decode()
    assert 'data-testid="training-people"' in html and "Never tried" in html
    assert "Tried, not passed" in html and "50%" in html
    data = re.search(r'<script id="missed-data" type="application/json">(.*?)</script>', html, re.S)
    assert data and "\\u003C/script\\u003E" in data.group(1)
    assert "<script>alert(1)" not in html
    # No inline script at all (CSP): the chart is drawn by a static file.
    assert re.findall(r"<script>(.*?)</script>", html, re.S) == []
    assert "/static/js/training-chart.js" in html
    assert "vendor/chart.js-4.6.1/chart.umd.min.js" in html
    # A member sees their own training, not the others'.
    member = web(team["author"]).get("/b/team/training/").content.decode()
    assert 'data-testid="my-training"' in member and "training-people" not in member
    assert 'href="/b/team/training/"' in member  # the nav link


def test_the_people_csv_is_an_attachment_safe_from_formulas(team, quiz, web):
    team["author"].first_name = '=HYPERLINK("http://evil")'
    team["author"].last_name = "+1"
    team["author"].save()
    team["approver1"].first_name = "@SUM(A1)"
    team["approver1"].save()
    services.attempt_submit(quiz=quiz, user=team["author"], answers=right_answers(quiz))
    response = web(team["trainer"]).get("/b/team/training/people.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="team-certifications-')
    rows = {r[0]: r for r in csv.reader(io.StringIO(response.content.decode()))}
    assert rows["author"][1] == '\'=HYPERLINK("http://evil") +1'
    assert rows["approver1"][1] == "'@SUM(A1)"
    assert rows["author"][4] == "Certified" and rows["author"][6] == "v1"
    assert rows["approver2"][7] == "Never tried"
    assert web(team["admin"]).get("/b/team/training/people.csv").status_code == 200


def test_the_gate_links_to_a_page_that_takes_the_quiz(team, quiz, web):
    brand = account_services.brand_update(
        brand=team["brand"], actor=team["admin"], require_certification=True
    )
    message = selectors.certification_gate(user=team["author"], brand=brand, role="author")
    url = message.rsplit(": ", 1)[1]
    assert web(team["author"]).get(url).status_code == 200


def test_quiz_and_result_pages_do_not_query_per_question(team, web):
    client = web(team["author"])
    small = manual_quiz(team["brand"], team["trainer"], title="Small")
    big = manual_quiz(team["brand"], team["trainer"], title="Big", publish=False)
    for n in range(6):
        services.question_create(
            quiz=big,
            actor=team["trainer"],
            prompt=f"Extra {n}?",
            kind="multiple",
            sample_text=f"Sample {n}",
            explanation="Because.",
            choices=[services.ChoiceInput("Yes", True), services.ChoiceInput("No")],
        )
    services.quiz_publish(quiz=big, actor=team["trainer"])
    take = [_queries(client, f"/b/team/training/quizzes/{q.pk}/") for q in (small, big)]
    assert take[0] == take[1]
    results = []
    for q in (small, big):
        attempt = services.attempt_submit(
            quiz=q, user=team["author"], answers=wrong_answers(q)
        ).attempt
        results.append(_queries(client, f"/b/team/training/attempts/{attempt.pk}/"))
    assert results[0] == results[1]


def test_trainers_change_quiz_settings(team, quiz, web):
    client = web(team["trainer"])
    url = f"/b/team/training/quizzes/{quiz.pk}/edit/"
    page = client.get(url).content.decode()
    assert 'value="Basics"' in page and "Correct:" in page  # trainers see the answers
    response = client.post(
        url,
        {
            "title": "Basics, revised",
            "pass_mark": "90",
            "cooldown_value": "45",
            "cooldown_unit": "minutes",
            "certifies_approver": "on",
        },
    )
    assert response.status_code == 302
    quiz.refresh_from_db()
    assert (quiz.title, quiz.pass_mark, quiz.cooldown_minutes) == ("Basics, revised", 90, 45)
    assert quiz.certifies == ["approver"] and quiz.is_published
    response = client.post(url, {"title": "x", "pass_mark": "0", "cooldown_value": "1"})
    assert response.status_code == 400
    assert web(team["author"]).post(url, {"title": "Mine"}).status_code == 403
